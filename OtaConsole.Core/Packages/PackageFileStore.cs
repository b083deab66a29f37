using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace OtaConsole.Core.Packages;

/// <summary>A stored file and its digests.</summary>
public sealed record StoredFile(string StoragePath, long Size, string Md5, string Sha256);

/// <summary>
/// Package files on disk under the data folder. A file is streamed once: to a temporary name while its size,
/// MD5 and SHA-256 are computed, then moved into place. Past the size limit it is abandoned and deleted.
/// </summary>
public sealed class PackageFileStore(IOptions<OtaOptions> options)
{
    private readonly OtaOptions _options = options.Value;

    public long MaxFileBytes => _options.MaxPackageFileBytes;

    /// <summary>
    /// At start: the packages folder exists and takes a file. With several nodes it must be one folder they all
    /// share (NFS or similar), so a node that cannot write there stops at once instead of failing an upload later.
    /// </summary>
    public static void EnsureWritable(OtaOptions options)
    {
        var probe = Path.Combine(options.PackagesPath, $".write-check-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(options.PackagesPath);
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"The packages folder {options.PackagesPath} cannot be written ({e.Message}); set Ota:DataDirectory to a folder this node can write (with several nodes, one they all share).", e);
        }
    }

    public async Task<StoredFile> SaveAsync(string packageId, int index, Stream content, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.Combine(_options.PackagesPath, packageId));
        var relative = Path.Combine(packageId, $"{index}.bin");
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var size = await PartFile.WriteAsync(content, Path.Combine(_options.PackagesPath, relative), MaxFileBytes,
            () => new OtaValidationException([new FieldError("FirmwareSize", $"a package file is at most {_options.MaxPackageFileMegabytes} MB.")]),
            (buffer, count) =>
            {
                md5.AppendData(buffer, 0, count);
                sha.AppendData(buffer, 0, count);
            },
            written =>
            {
                if (written == 0)
                    throw new OtaValidationException([new FieldError("FirmwareSize", "the file is empty.")]);
            }, ct);
        return new StoredFile(relative, size, Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    public string FullPath(string storagePath) => Path.Combine(_options.PackagesPath, storagePath);

    public Stream Open(string storagePath) =>
        new FileStream(FullPath(storagePath), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);

    public void DeletePackage(string packageId)
    {
        var folder = Path.Combine(_options.PackagesPath, packageId);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }
}
