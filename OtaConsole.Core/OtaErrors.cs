namespace OtaConsole.Core;

public enum OtaErrorKind
{
    /// <summary>A parameter is missing or out of its range.</summary>
    Invalid,
    /// <summary>The thing named does not exist.</summary>
    NotFound,
    /// <summary>The request is well formed but the current state forbids it (a running batch, a verified package, …).</summary>
    Conflict,
    /// <summary>The caller's role (or key) may not do this.</summary>
    Forbidden,
}

/// <summary>An operation refused, with a code a script can test (Alibaba style, e.g. InvalidMaximumPerMinute) and a message an operator can read.</summary>
public class OtaException(OtaErrorKind kind, string code, string message) : Exception(message)
{
    public OtaErrorKind Kind { get; } = kind;
    public string Code { get; } = code;

    public static OtaException NotFound(string what, string id) => new(OtaErrorKind.NotFound, $"{what}NotFound", $"{what} {id} does not exist.");
    public static OtaException Conflict(string code, string message) => new(OtaErrorKind.Conflict, code, message);
    public static OtaException Forbidden(string message) => new(OtaErrorKind.Forbidden, "Forbidden", message);
}

/// <summary>One field that failed validation. <see cref="Field"/> uses the API's parameter name.</summary>
public sealed record FieldError(string Field, string Message, bool Missing = false)
{
    public string Code => (Missing ? "Missing" : "Invalid") + CodeName(Field);
    public override string ToString() => $"{Field}: {Message}";

    /// <summary>A parameter's name as an error code has it: list numbers dropped, so Tag.N.Key and Tag.3.Key are both TagKey.</summary>
    public static string CodeName(string field) =>
        string.Concat(field.Split('.').Where(s => s != "N" && !s.All(char.IsAsciiDigit)));
}

public sealed class OtaValidationException(IReadOnlyList<FieldError> errors)
    : OtaException(OtaErrorKind.Invalid, errors[0].Code, string.Join(" ", errors.Select(e => e.ToString())))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;

    public static void ThrowIfAny(List<FieldError> errors)
    {
        if (errors.Count > 0)
            throw new OtaValidationException(errors);
    }
}
