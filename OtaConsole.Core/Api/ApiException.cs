namespace OtaConsole.Core.Api;

/// <summary>
/// A refused API call: the HTTP status, Alibaba's error code and a message a person can act on. Nothing was
/// changed by the call.
/// </summary>
public sealed class ApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    /// <summary>At most this much of what a client sent is echoed in a refusal: a huge request must not get a huge answer.</summary>
    public const int MaxEcho = 200;
    /// <summary>A refusal's whole message is cut here, whatever the core's messages quote.</summary>
    public const int MaxMessage = 800;

    /// <summary>Client input as a refusal quotes it.</summary>
    public static string Echo(string? text) => Validation.NameRules.Excerpt(text, MaxEcho);

    /// <summary>Alibaba's wording for a missing parameter: "FirmwareId is mandatory for this action."</summary>
    public static ApiException Missing(string name) => new(400, $"Missing{FieldError.CodeName(name)}", $"{name} is mandatory for this action.");

    public static ApiException Invalid(string name, string why) => new(400, $"Invalid{FieldError.CodeName(name)}", $"{name}: {why}");

    /// <summary>The core's refusals, in the API's envelope: a bad value 400, an unknown thing 404, a state that forbids it 400, a role that may not 403.</summary>
    public static ApiException From(OtaException e) => e.Kind switch
    {
        OtaErrorKind.NotFound => new(404, e.Code, e.Message),
        // Alibaba's code for a RAM user without the permission.
        OtaErrorKind.Forbidden => new(403, "Forbidden.RAM", e.Message),
        _ => new(400, e.Code, e.Message),
    };
}
