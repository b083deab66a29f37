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

    /// <summary>Also listen on port 80 for downloads only: Alibaba's C SDK 3.x ignores the port in the URL (reference §7.4).</summary>
    public bool LegacyPort80 { get; set; }

    /// <summary>Key for signing links. Empty: a random key is made once and kept in the data folder.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The base of every link the console hands out, read when used: the web host may fill PublicBaseUrl in after start.</summary>
    public string BaseUrl => string.IsNullOrWhiteSpace(PublicBaseUrl) ? "http://localhost:5080" : PublicBaseUrl.TrimEnd('/');
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
    private readonly Lazy<byte[]> _key;

    public DownloadLinks(IOptions<DownloadOptions> options, IOptions<OtaOptions> ota, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _key = new Lazy<byte[]>(() => SigningKeys.LoadOrCreate(_options.SigningKey, ota.Value.DataPath, "download-signing.key"));
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
