using System.Security.Cryptography;
using System.Text;

namespace OtaConsole.Core.Api;

/// <summary>
/// Alibaba's RPC signature (reference §8), as its own clients compute it: the parameters but Signature, sorted
/// by name (ordinal), each name and value percent-encoded per RFC 3986, joined as k=v&amp;k=v; the string to sign
/// is METHOD&amp;%2F&amp;percent-encode(that); the signature is base64(HMAC-SHA1(secret + "&amp;", string to sign)).
/// The path signed is always "/", whatever path the endpoint has.
/// </summary>
public static class RpcSignature
{
    public static string StringToSign(string httpMethod, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var canonical = string.Join('&', parameters
            .Where(p => p.Key != "Signature")
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => Encode(p.Key) + "=" + Encode(p.Value)));
        return httpMethod.ToUpperInvariant() + "&" + Encode("/") + "&" + Encode(canonical);
    }

    public static string Sign(string stringToSign, string accessKeySecret) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(accessKeySecret + "&"), Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>
    /// RFC 3986 percent-encoding of UTF-8: only A-Z a-z 0-9 - _ . ~ stay as they are (encodeURIComponent, then
    /// ! ' ( ) * encoded too). Hex digits are upper case, as Alibaba's clients send them.
    /// </summary>
    public static string Encode(string value)
    {
        var sb = new StringBuilder(value.Length * 3 / 2);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
