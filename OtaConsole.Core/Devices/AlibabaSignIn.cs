using System.Security.Cryptography;
using System.Text;
using OtaConsole.Core.Model;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Devices;

/// <summary>Why a device's CONNECT was refused, mapped to a CONNACK code by the broker.</summary>
public enum SignInFailure
{
    None,
    /// <summary>The clientId is not "id|key=value,…|".</summary>
    MalformedClientId,
    /// <summary>The username is not "DeviceName&amp;ProductKey", or no such device, or the password does not match.</summary>
    BadCredentials,
    /// <summary>Keep-alive outside 30-1200 s.</summary>
    BadKeepAlive,
    /// <summary>On the TLS port, the handshake failed before MQTT began (not TLS, or the client refused the certificate).</summary>
    TlsHandshake,
}

/// <summary>The parts of an Alibaba MQTT clientId: the id before the first '|' and the key=value pairs between the bars.</summary>
public sealed record AlibabaClientId(string Id, IReadOnlyDictionary<string, string> Parameters)
{
    public string SignMethod => Parameters.GetValueOrDefault("signmethod", "hmacmd5");
    public string? Timestamp => Parameters.GetValueOrDefault("timestamp");
    /// <summary>_ss=1: the device expects the server to subscribe it to its OTA topics (Link SDK 4.x, Python linkkit).</summary>
    public bool WantsServerSubscription => Parameters.GetValueOrDefault("_ss") == "1";
}

/// <summary>
/// Alibaba's device sign-in (reference §1, §7.1): username "DeviceName&amp;ProductKey", password the hex HMAC of
/// "clientId{id}deviceName{dn}productKey{pk}timestamp{ts}" keyed with the DeviceSecret, with the method the
/// clientId names. Hex is compared without regard to case; keys in the clientId other than signmethod and
/// timestamp, and a trailing comma, are ignored; no time window is checked (SDKs send a fixed timestamp).
/// </summary>
public static class AlibabaSignIn
{
    public const int MinKeepAliveSeconds = 30;
    public const int MaxKeepAliveSeconds = 1200;
    /// <summary>Alibaba documents ≤64; we allow 128 so imported keys up to our 32+32 limits always fit.</summary>
    public const int MaxIdLength = 128;

    public static AlibabaClientId? ParseClientId(string? mqttClientId)
    {
        if (string.IsNullOrEmpty(mqttClientId) || mqttClientId.Length > 512)
            return null;
        var first = mqttClientId.IndexOf('|', StringComparison.Ordinal);
        if (first <= 0 || first > MaxIdLength || !mqttClientId.EndsWith('|') || mqttClientId.Length == first + 1)
            return null;
        var id = mqttClientId[..first];
        var section = mqttClientId[(first + 1)..^1];
        if (section.Contains('|', StringComparison.Ordinal))
            return null;
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in section.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                return null;
            parameters[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        return new AlibabaClientId(id, parameters);
    }

    public static DeviceKey? ParseUsername(string? username)
    {
        if (string.IsNullOrEmpty(username))
            return null;
        var amp = username.LastIndexOf('&');
        if (amp <= 0 || amp == username.Length - 1)
            return null;
        var key = new DeviceKey(username[(amp + 1)..], username[..amp]);
        return NameRules.IsProductKey(key.ProductKey) && NameRules.IsDeviceName(key.DeviceName) ? key : null;
    }

    /// <summary>The signed text: the submitted parameters sorted by name, name and value concatenated.</summary>
    public static string SignedContent(string id, DeviceKey device, string? timestamp) =>
        $"clientId{id}deviceName{device.DeviceName}productKey{device.ProductKey}" + (timestamp is null ? "" : $"timestamp{timestamp}");

    /// <summary>The password a device computes, as uppercase hex; null for an unknown sign method.</summary>
    public static string? Sign(string signMethod, string deviceSecret, string content)
    {
        var key = Encoding.UTF8.GetBytes(deviceSecret);
        var data = Encoding.UTF8.GetBytes(content);
        byte[]? mac = signMethod.ToLowerInvariant() switch
        {
            "hmacmd5" => HMACMD5.HashData(key, data),
            "hmacsha1" => HMACSHA1.HashData(key, data),
            "hmacsha256" => HMACSHA256.HashData(key, data),
            _ => null,
        };
        return mac is null ? null : Convert.ToHexString(mac);
    }

    /// <summary>Checks a CONNECT. <paramref name="findSecret"/> returns the device's secret, or null for an unknown device.</summary>
    public static SignInFailure Check(string? clientId, string? username, string? password, int keepAliveSeconds, Func<DeviceKey, string?> findSecret, out DeviceKey device, out AlibabaClientId? parsed)
    {
        device = default;
        parsed = ParseClientId(clientId);
        if (parsed is null)
            return SignInFailure.MalformedClientId;
        if (ParseUsername(username) is not DeviceKey key || string.IsNullOrEmpty(password) || findSecret(key) is not string secret)
            return SignInFailure.BadCredentials;
        if (keepAliveSeconds is < MinKeepAliveSeconds or > MaxKeepAliveSeconds)
            return SignInFailure.BadKeepAlive;

        var content = SignedContent(parsed.Id, key, parsed.Timestamp);
        var expected = Sign(parsed.SignMethod, secret, content);
        // Alibaba's Node SDK, asked for sha256, announces hmacsha256 but sends an HMAC-SHA1 (40 hex digits).
        // We accept it on purpose: it proves the secret as well as an announced hmacsha1 does, and refusing it
        // would strand Node fleets that move here.
        if (expected is not null && expected.Length != password.Length && parsed.SignMethod.Equals("hmacsha256", StringComparison.OrdinalIgnoreCase) && password.Length == 40)
            expected = Sign("hmacsha1", secret, content);
        if (expected is null || !FixedTimeEqualsIgnoreCase(expected, password))
            return SignInFailure.BadCredentials;
        device = key;
        return SignInFailure.None;
    }

    private static bool FixedTimeEqualsIgnoreCase(string expectedUpperHex, string given) =>
        given.Length == expectedUpperHex.Length
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expectedUpperHex), Encoding.ASCII.GetBytes(given.ToUpperInvariant()));
}
