using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Packages;

/// <summary>The "Ota:Downloads" section.</summary>
public sealed class DownloadOptions
{
    public const string Section = "Ota:Downloads";

    /// <summary>
    /// The address devices download from; it must be reachable from the devices. Empty: the console's own
    /// listening address (the web host fills it in at start).
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>How long a link works after it is handed out (Alibaba: 24 h).</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Also listen on port 80 for downloads only, and hand out links without a port: Alibaba's C SDK 3.0.1 and Link
    /// SDK 4.1.0 take "host:port" for a host name, fail to resolve it, and then connect to port 80 (3.0.1) or to the
    /// port the application set (4.x). Only Link SDK 4.2.0 reads the port.
    /// </summary>
    public bool LegacyPort80 { get; set; }

    /// <summary>Key for signing links. Empty: a random key is made once and kept in the data folder.</summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Whether links must suit the SDKs that cannot use a port: then they carry none and are served on the scheme's
    /// default port (http: the port-80 listener; an https twin on 443 would join here once the console has TLS).
    /// </summary>
    public bool PortlessLinks => LegacyPort80;

    /// <summary>The base of every link the console hands out, read when used: the web host may fill PublicBaseUrl in after start.</summary>
    public string BaseUrl => LinkBase(string.IsNullOrWhiteSpace(PublicBaseUrl) ? "http://localhost:5080" : PublicBaseUrl, PortlessLinks);

    /// <summary>
    /// An address as links carry it: never the scheme's default port (":80" is what those SDKs fail on too), and no
    /// port at all when <paramref name="portless"/>. An address that is not absolute is left as given (warned of at start).
    /// </summary>
    public static string LinkBase(string address, bool portless)
    {
        if (!Uri.TryCreate(address.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return address.TrimEnd('/');
        var port = portless || uri.IsDefaultPort ? "" : $":{uri.Port}";
        return $"{uri.Scheme}://{uri.Host}{port}{uri.AbsolutePath.TrimEnd('/')}";
    }

    /// <summary>What is wrong with the download address for Alibaba's device SDKs, naming the setting to change; null when nothing is.</summary>
    public string? AddressProblem()
    {
        var address = BaseUrl;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return $"Download links start with '{address}', which is not an http:// or https:// address: set {Section}:PublicBaseUrl to one devices can reach.";
        if (!PortlessLinks && !uri.IsDefaultPort)
            return $"Download links carry port {uri.Port} ({address}): Alibaba's C SDK 3.0.1 and Link SDK 4.1.0 cannot use a port in a link " +
                $"(only Link SDK 4.2.0 can). For those devices set {Section}:LegacyPort80=true (links without a port, served on port 80), " +
                $"or set {Section}:PublicBaseUrl to a port-less http address that serves the console's downloads on port 80.";
        if (PortlessLinks && uri.Scheme == "https")
            return $"Download links are https without a port ({address}), so devices connect to port 443, but the console serves downloads " +
                $"on port 80 (http) only: put a TLS proxy on port 443 or set {Section}:PublicBaseUrl to an http:// address.";
        return null;
    }
}

/// <summary>
/// Signed, expiring download links: /ota/download/{package}/{file}/{name}?expires={unix s}&amp;sig={hex HMAC-SHA256}.
/// A link whose path, expiry or signature was altered, or that has expired, is refused.
/// </summary>
public sealed class DownloadLinks
{
    public const string PathPrefix = "/ota/download/";

    private readonly DownloadOptions _options;
    private readonly TimeProvider _time;
    private readonly SigningKey _key;

    public DownloadLinks(IOptions<DownloadOptions> options, IOptions<OtaOptions> ota, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _key = new SigningKey(() => SigningKeys.LoadOrCreate(_options.SigningKey, ota.Value.DataPath, "download-signing.key"));
    }

    public string For(string packageId, NoticeFile file)
    {
        var expires = (_time.GetUtcNow() + _options.LinkLifetime).ToUnixTimeSeconds();
        return $"{_options.BaseUrl}{PathPrefix}{Uri.EscapeDataString(packageId)}/{file.Index}/{Uri.EscapeDataString(file.Name)}?expires={expires}&sig={Sign(packageId, file.Index, expires)}";
    }

    /// <summary>Whether a link's parts are the ones this console signed, and not expired.</summary>
    public bool IsValid(string packageId, int fileIndex, string? expires, string? sig)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var at) || string.IsNullOrEmpty(sig) || sig.Length != 64)
            return false;
        if (DateTimeOffset.FromUnixTimeSeconds(Math.Min(at, 253402300799)) < _time.GetUtcNow())
            return false;
        var expected = Encoding.ASCII.GetBytes(Sign(packageId, fileIndex, at));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(sig.ToLowerInvariant()));
    }

    private string Sign(string packageId, int fileIndex, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes($"{packageId}/{fileIndex}/{expires}")));
}
