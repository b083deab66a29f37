using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace OtaConsole.Core.Packages;

/// <summary>What GenerateOTAUploadURL hands out: the fields of an OSS-style PostObject form, and the FirmwareUrl to give CreateOTAFirmware.</summary>
public sealed record UploadTicket(string Key, string Host, string FirmwareUrl, string Policy, string Signature, DateTimeOffset CreatedAt);

/// <summary>An upload refused: the HTTP status and why.</summary>
public sealed class UploadRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Where API scripts upload package files before CreateOTAFirmware: Alibaba's flow is GenerateOTAUploadURL, then an
/// OSS PostObject, then CreateOTAFirmware(FirmwareUrl). Here the "bucket" is a folder of the console's own data:
/// the ticket's policy (key, expiry, size limit) is signed with the console's key, the file is kept for a day, and
/// CreateOTAFirmware takes only FirmwareUrls of this store — the console never fetches a file from elsewhere.
/// </summary>
public sealed partial class UploadStore
{
    public const string PathPrefix = "/api/uploads";
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(24);
    /// <summary>Alibaba's package file types (reference §3.2); the first is the default.</summary>
    public static readonly string[] Suffixes = ["bin", "dav", "tar", "gz", "zip", "gzip", "apk", "tar.gz", "tar.xz", "pack"];

    private readonly OtaOptions _ota;
    private readonly TimeProvider _time;
    private readonly SigningKey _key;

    public UploadStore(IOptions<OtaOptions> ota, TimeProvider time)
    {
        _ota = ota.Value;
        _time = time;
        _key = new SigningKey(() => SigningKeys.LoadOrCreate(null, _ota.DataPath, "upload-signing.key"));
    }

    public string Folder => Path.Combine(_ota.DataPath, "uploads");
    public long MaxFileBytes => _ota.MaxPackageFileBytes;

    public UploadTicket Issue(string suffix)
    {
        if (!Suffixes.Contains(suffix))
            throw new OtaValidationException([new FieldError("FileSuffix", $"one of {string.Join(", ", Suffixes)}; got '{suffix}'.")]);
        RemoveOld();
        var now = _time.GetUtcNow();
        var key = $"ota/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}.{suffix}";
        var policy = Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new
        {
            expiration = (now + TicketLifetime).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            conditions = new object[] { new object[] { "eq", "$key", key }, new object[] { "content-length-range", 0, MaxFileBytes } },
        }));
        // The console's own API address: the download address may be a port-80 listener that serves downloads only.
        var host = _ota.BaseUrl + PathPrefix;
        return new UploadTicket(key, host, $"{host}/{key}", policy, SignPolicy(policy), now);
    }

    /// <summary>Checks a PostObject's ticket: the policy's signature, expiry and key. Throws <see cref="UploadRefusedException"/> to refuse it.</summary>
    public void Check([NotNull] string? key, [NotNull] string? policy, [NotNull] string? signature)
    {
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(policy) || string.IsNullOrEmpty(signature))
            throw new UploadRefusedException(400, "key, policy and Signature must come before the file in the form.");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(SignPolicy(policy)), Encoding.ASCII.GetBytes(signature)))
            throw new UploadRefusedException(403, "The policy's signature does not match: use the fields GenerateOTAUploadURL returned, unchanged.");
        var (expires, policyKey) = ReadPolicy(policy);
        if (expires < _time.GetUtcNow())
            throw new UploadRefusedException(403, "The upload ticket has expired: call GenerateOTAUploadURL again.");
        if (policyKey != key || KeyPattern().Match(key) is not { Success: true })
            throw new UploadRefusedException(403, "The key is not the one the ticket was issued for.");
    }

    /// <summary>Takes a PostObject upload: checks its ticket, then stores the file within the size limit.</summary>
    public async Task<long> ReceiveAsync(string? key, string? policy, string? signature, Stream content, CancellationToken ct)
    {
        Check(key, policy, signature);
        Directory.CreateDirectory(Folder);
        return await PartFile.WriteAsync(content, PathOf(key), MaxFileBytes,
            () => new UploadRefusedException(413, $"The file is larger than {_ota.MaxPackageFileMegabytes} MB (Ota:MaxPackageFileMegabytes)."), null, null, ct);
    }

    /// <summary>The stored file a FirmwareUrl of this store names, or null (not ours, never uploaded, or gone).</summary>
    public string? Resolve(string firmwareUrl)
    {
        if (!Uri.TryCreate(firmwareUrl, UriKind.Absolute, out var uri))
            return null;
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        var at = path.IndexOf(PathPrefix + "/", StringComparison.Ordinal);
        if (at < 0)
            return null;
        var key = path[(at + PathPrefix.Length + 1)..];
        if (!KeyPattern().IsMatch(key))
            return null;
        var file = PathOf(key);
        return File.Exists(file) ? file : null;
    }

    /// <summary>An upload that became a package is not kept twice.</summary>
    public void Remove(string file)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(file)) == Path.GetFullPath(Folder))
            File.Delete(file);
    }

    private string PathOf(string key) => Path.Combine(Folder, key["ota/".Length..]);

    private string SignPolicy(string policy) => Convert.ToBase64String(HMACSHA1.HashData(_key.Value, Encoding.ASCII.GetBytes(policy)));

    private static (DateTimeOffset Expires, string? Key) ReadPolicy(string policy)
    {
        using var doc = JsonDocument.Parse(Convert.FromBase64String(policy));
        var expires = DateTimeOffset.Parse(doc.RootElement.GetProperty("expiration").GetString()!, CultureInfo.InvariantCulture);
        var key = doc.RootElement.GetProperty("conditions").EnumerateArray()
            .Where(c => c.ValueKind == JsonValueKind.Array && c.GetArrayLength() == 3 && c[1].GetString() == "$key")
            .Select(c => c[2].GetString()).FirstOrDefault();
        return (expires, key);
    }

    private void RemoveOld()
    {
        if (!Directory.Exists(Folder))
            return;
        var before = (_time.GetUtcNow() - KeptFor).UtcDateTime;
        foreach (var file in Directory.EnumerateFiles(Folder))
            if (File.GetLastWriteTimeUtc(file) < before)
                File.Delete(file);
    }

    [GeneratedRegex(@"^ota/[0-9a-f]{32}\.(bin|dav|tar|gz|zip|gzip|apk|tar\.gz|tar\.xz|pack)$")]
    private static partial Regex KeyPattern();
}
