using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Mqtt;

namespace OtaConsole.Endpoints;

/// <summary>
/// EMQX's HTTP authentication and authorization, answered with the embedded broker's rules (<see cref="EmqxHooks"/>):
/// POST /mqtt/emqx/authenticate and /mqtt/emqx/authorize with a JSON body, answered 200 with
/// {"result":"allow"|"deny","is_superuser":…}. Only EMQX calls them, with Ota:Mqtt:EmqxHookToken as a bearer token;
/// without a token configured they do not exist (404).
/// </summary>
public static class EmqxEndpoints
{
    public const string AuthenticatePath = "/mqtt/emqx/authenticate", AuthorizePath = "/mqtt/emqx/authorize";
    private const int MaxBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapOtaEmqxHooks(this IEndpointRouteBuilder app)
    {
        app.MapPost(AuthenticatePath, AuthenticateAsync).DisableAntiforgery().AllowAnonymous().ExcludeFromDescription();
        app.MapPost(AuthorizePath, AuthorizeAsync).DisableAntiforgery().AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> AuthenticateAsync(HttpContext context, EmqxHooks hooks, IOptions<MqttOptions> options, CancellationToken ct)
    {
        if (Refusal(context, options.Value) is { } refused)
            return refused;
        if (await ReadAsync(context, ct) is not { } body)
            return Results.BadRequest(new { result = "deny", message = "the body must be a JSON object of at most 16 KB (clientid, username, password, optional keepalive)" });
        var verdict = await hooks.AuthenticateAsync(new EmqxAuthRequest(Str(body, "clientid"), Str(body, "username"), Str(body, "password"), Int(body, "keepalive")), ct);
        return Results.Json(new { result = verdict.Result, is_superuser = verdict.IsSuperuser });
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext context, EmqxHooks hooks, IOptions<MqttOptions> options, CancellationToken ct)
    {
        if (Refusal(context, options.Value) is { } refused)
            return refused;
        if (await ReadAsync(context, ct) is not { } body)
            return Results.BadRequest(new { result = "deny", message = "the body must be a JSON object of at most 16 KB (clientid, username, topic, action)" });
        var verdict = hooks.Authorize(new EmqxAclRequest(Str(body, "clientid"), Str(body, "username"), Str(body, "topic"), Str(body, "action")));
        return Results.Json(new { result = verdict.Result });
    }

    /// <summary>Off without a token (404); a caller without the token gets 401 and learns nothing about devices.</summary>
    private static IResult? Refusal(HttpContext context, MqttOptions options)
    {
        if (string.IsNullOrEmpty(options.EmqxHookToken))
            return Results.NotFound();
        var header = context.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(options.EmqxHookToken))
            ? null
            : Results.Json(new { result = "deny", message = "missing or wrong bearer token (Ota:Mqtt:EmqxHookToken)" }, statusCode: StatusCodes.Status401Unauthorized);
    }

    private static async Task<Dictionary<string, JsonElement>?> ReadAsync(HttpContext context, CancellationToken ct)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
            return null;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxBodyBytes;
        try
        {
            using var doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: ct);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return null;
            var fields = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in doc.RootElement.EnumerateObject())
                fields[p.Name] = p.Value.Clone();
            return fields;
        }
        catch (Exception e) when (e is JsonException or IOException) // IOException: Kestrel's refusal of a body past the limit
        {
            return null;
        }
    }

    private static string? Str(Dictionary<string, JsonElement> body, string name) =>
        body.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number, or a number in a string (EMQX's placeholders are strings).</summary>
    private static int? Int(Dictionary<string, JsonElement> body, string name) =>
        body.TryGetValue(name, out var v) && (v.ValueKind == JsonValueKind.Number ? v.TryGetInt32(out var i) : int.TryParse(v.GetString(), out i)) ? i : null;
}
