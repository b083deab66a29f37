using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using OtaConsole.Core.Api.Operations;

namespace OtaConsole.Core.Api;

/// <summary>An answer: the HTTP status and the JSON body, RequestId first.</summary>
public sealed record ApiAnswer(int Status, JsonObject Body)
{
    public string ToJson() => Body.ToJsonString(OtaApi.Json);
}

/// <summary>
/// Alibaba's OTA API (RPC dialect, Version 2018-01-20): authenticates a request, finds its operation and runs it
/// through the core services, and answers in Alibaba's envelope: {"RequestId", "Success": true, …} or
/// {"RequestId", "Success": false, "Code", "ErrorMessage", "Message"}. No call can take the process down: anything
/// unexpected is logged and answered 500.
/// </summary>
public sealed class OtaApi(ApiAccess access, ApiServices services, Security.AuditedWrites audit, ILogger<OtaApi> log)
{
    public static IReadOnlyList<ApiOperation> Operations { get; } =
    [
        .. ProductOperations.All,
        .. ModuleOperations.All,
        .. FirmwareOperations.All,
        .. JobOperations.All,
        .. TaskOperations.All,
    ];

    private static readonly Dictionary<string, ApiOperation> ByAction = Operations.ToDictionary(o => o.Action, StringComparer.Ordinal);

    internal static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Device and package names may be CJK; the API answers JSON, never HTML, so they need no escaping.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public bool HasKeys => access.HasKeys;

    /// <summary>
    /// Answers one request: its HTTP method and its parameters as they came (query and form), each name once.
    /// </summary>
    /// <param name="address">The caller's network address, for the audit log.</param>
    public async Task<ApiAnswer> HandleAsync(string httpMethod, IEnumerable<KeyValuePair<string, string>> request, string? address = null, CancellationToken ct = default)
    {
        var requestId = NewRequestId();
        try
        {
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in request)
                if (!parameters.TryAdd(name, value))
                    throw new ApiException(400, "InvalidParameter", $"{ApiException.Echo(name)} is given more than once; a list is flattened as Name.1, Name.2, ….");
            var key = await access.AuthenticateAsync(httpMethod, parameters, ct);
            var p = new ApiParameters(parameters);
            var action = p.Action;
            if (!ByAction.TryGetValue(action, out var operation))
                throw new ApiException(404, "InvalidApi.NotFound", $"Specified api is not found, please check your url and method: {ApiException.Echo(action)}.");
            try
            {
                ApiAccess.Authorize(key, operation);
            }
            catch (ApiException e)
            {
                // A valid key trying what its role may not: audited like an operator's refused command.
                await audit.RecordAsync(ApiAccess.ActorOf(key, address), $"api.{operation.Action}", null, null, null, e.Message, ct);
                throw;
            }
            if (operation.PostOnly && !httpMethod.Equals("POST", StringComparison.OrdinalIgnoreCase))
                throw new ApiException(400, "UnsupportedHTTPMethod", $"{action} is taken by POST only.");
            var result = await operation.Run(new ApiCall(p, services, ApiAccess.ActorOf(key, address), ct));
            return Success(requestId, result);
        }
        catch (ApiException e)
        {
            return Failure(requestId, e);
        }
        catch (OtaException e)
        {
            return Failure(requestId, ApiException.From(e));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "API request {RequestId} failed", requestId);
            return Failure(requestId, new ApiException(500, "InternalError", $"The request processing has failed due to some unknown error; the console's log has request {requestId}."));
        }
    }

    /// <summary>A request refused before it could be read (a malformed or oversized body).</summary>
    public static ApiAnswer Refusal(ApiException e) => Failure(NewRequestId(), e);

    private static string NewRequestId() => Guid.NewGuid().ToString("D").ToUpperInvariant();

    private static ApiAnswer Success(string requestId, object result)
    {
        var body = new JsonObject { ["RequestId"] = requestId, ["Success"] = true };
        if (JsonSerializer.SerializeToNode(result, result.GetType(), Json) is JsonObject fields)
        {
            foreach (var name in fields.Select(f => f.Key).ToList())
            {
                var value = fields[name];
                fields.Remove(name);
                body[name] = value;
            }
        }
        return new ApiAnswer(200, body);
    }

    private static ApiAnswer Failure(string requestId, ApiException e) => new(e.Status, new JsonObject
    {
        ["RequestId"] = requestId,
        ["Success"] = false,
        ["Code"] = e.Code,
        ["ErrorMessage"] = Message(e),
        // Alibaba's RPC clients read Message; IoT's own answers carry ErrorMessage. Both, so every client sees why.
        ["Message"] = Message(e),
    });

    /// <summary>The refusal's message, cut short: the core's messages may quote names and values as the client sent them.</summary>
    private static string Message(ApiException e) => Validation.NameRules.Excerpt(e.Message, ApiException.MaxMessage);

    /// <summary>An empty success: operations that answer only RequestId and Success.</summary>
    internal static readonly object Done = new { };
}
