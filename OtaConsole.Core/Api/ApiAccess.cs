using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OtaConsole.Core.Api;

/// <summary>
/// Checks who is calling, as Alibaba's gateway does (reference §8): the common parameters, the access key, the
/// signature, the Timestamp within 15 minutes of the console's clock, and a SignatureNonce not seen before.
/// Every refusal is an <see cref="ApiException"/> with Alibaba's code and status.
/// </summary>
/// <param name="store">The keys Admins made in the console, besides those in settings.</param>
/// <param name="nonces">Where used nonces are kept: in memory on one node, in the database for several.</param>
public sealed class ApiAccess(IOptionsMonitor<ApiOptions> options, TimeProvider time, ApiKeyStore? store = null, IApiNonces? nonces = null)
{
    public const string Version = "2018-01-20";
    private const int MaxNonceLength = 128;
    private readonly IApiNonces _nonces = nonces ?? new MemoryApiNonces();

    public bool HasKeys => Keys().Any();

    /// <summary>The keys' IDs and roles (settings' and the console's), never their secrets: what the console's API page shows.</summary>
    public IReadOnlyList<(string Id, ApiRole Role)> KeyRoles() => Keys().Select(k => (k.Id, k.Role)).ToList();

    /// <summary>The key that signed the request, or a refusal.</summary>
    public async Task<ApiAccessKey> AuthenticateAsync(string httpMethod, IReadOnlyDictionary<string, string> p, CancellationToken ct = default)
    {
        if (!HasKeys)
            throw new ApiException(403, "Forbidden.NoAccessKey",
                "The API is off: there is no access key. An Admin makes one on the console's API keys page (/api-keys), or add one under Ota:Api:AccessKeys in appsettings.json " +
                "({ \"Id\": \"…\", \"Secret\": \"…\", \"Role\": \"Full\" }) or as Ota__Api__AccessKeys__0__Id/__Secret/__Role, and restart.");
        foreach (var name in (string[])["AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce", "Timestamp", "Version"])
            if (!p.TryGetValue(name, out var v) || v.Length == 0)
                throw ApiException.Missing(name);
        if (p["SignatureMethod"] != "HMAC-SHA1")
            throw new ApiException(400, "InvalidSignatureMethod", $"Specified signature method is not valid: {ApiException.Echo(p["SignatureMethod"])} (HMAC-SHA1 only).");
        if (p.TryGetValue("SignatureVersion", out var sv) && sv != "1.0")
            throw new ApiException(400, "InvalidSignatureVersion", $"Specified signature version is not valid: {ApiException.Echo(sv)} (1.0 only).");
        if (p["Version"] != Version)
            throw new ApiException(400, "InvalidVersion", $"Specified parameter Version is not valid: {ApiException.Echo(p["Version"])} (the IoT API version is {Version}).");
        if (p.TryGetValue("Format", out var format) && !format.Equals("JSON", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(400, "InvalidFormat", $"Specified parameter Format is not valid: {ApiException.Echo(format)} (OtaConsole answers JSON only).");

        var key = Keys().FirstOrDefault(k => k.Id == p["AccessKeyId"])
            ?? throw new ApiException(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");

        var stringToSign = RpcSignature.StringToSign(httpMethod, p);
        var expected = RpcSignature.Sign(stringToSign, key.Secret);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(p["Signature"])))
            throw new ApiException(400, "SignatureDoesNotMatch", $"Specified signature is not matched with our calculation. server string to sign is:{ApiException.Echo(stringToSign)}");

        if (!DateTimeOffset.TryParseExact(p["Timestamp"], ["yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ"], CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
            throw new ApiException(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted (yyyy-MM-ddTHH:mm:ssZ, UTC).");
        var now = time.GetUtcNow();
        var tolerance = options.CurrentValue.TimestampTolerance;
        if ((at - now).Duration() > tolerance)
            throw new ApiException(400, "InvalidTimeStamp.Expired", $"Specified time stamp or date value is expired: {p["Timestamp"]} is more than {tolerance.TotalMinutes:0} minutes from the console's clock ({now:yyyy-MM-ddTHH:mm:ssZ}).");

        var nonce = p["SignatureNonce"];
        if (nonce.Length > MaxNonceLength)
            throw ApiException.Invalid("SignatureNonce", $"at most {MaxNonceLength} characters.");
        // A nonce is remembered for twice the tolerance: a request older than that fails on its Timestamp anyway.
        if (!await _nonces.TryUseAsync(key.Id + "\n" + nonce, now + 2 * tolerance, now, ct))
            throw new ApiException(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
        store?.Touch(key.Id);
        return key;
    }

    /// <summary>
    /// The key as the core's actor: a Full key acts as an Operator, a ReadOnly key as a Viewer (no secrets), so the
    /// core's checks and audit log treat scripts and operators alike.
    /// </summary>
    public static Security.Actor ActorOf(ApiAccessKey key, string? address) =>
        new(Security.ActorKind.ApiKey, key.Id, key.Id, key.Role == ApiRole.Full ? Security.OperatorRole.Operator : Security.OperatorRole.Viewer, address,
            key.Products is { Length: > 0 } products ? products : null);

    /// <summary>A read-only key may not call an operation that changes anything.</summary>
    public static void Authorize(ApiAccessKey key, ApiOperation operation)
    {
        if (operation.Writes && key.Role != ApiRole.Full)
            throw new ApiException(403, "Forbidden.RAM", $"User not authorized to operate on the specified resource: access key {key.Id} is read-only and {operation.Action} changes state.");
    }

    private IEnumerable<ApiAccessKey> Keys() =>
        options.CurrentValue.AccessKeys.Where(k => !string.IsNullOrEmpty(k.Id) && !string.IsNullOrEmpty(k.Secret)).Concat(store?.Active() ?? []);
}
