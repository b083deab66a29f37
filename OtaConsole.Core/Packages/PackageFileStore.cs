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

    public long MaxFileBytes => _options.MaxPackageFileMegabytes * 1024L * 1024L;

    public async Task<StoredFile> SaveAsync(string packageId, int index, Stream content, CancellationToken ct)
    {
        var folder = Path.Combine(_options.PackagesPath, packageId);
        Directory.CreateDirectory(folder);
        var relative = Path.Combine(packageId, $"{index}.bin");
        var final = Path.Combine(_options.PackagesPath, relative);
        var temp = final + ".part";

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        var buffer = new byte[81920];
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > MaxFileBytes)
                        throw new OtaValidationException([new FieldError("FirmwareSize", $"a package file is at most {_options.MaxPackageFileMegabytes} MB.")]);
                    md5.AppendData(buffer, 0, read);
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            if (size == 0)
                throw new OtaValidationException([new FieldError("FirmwareSize", "the file is empty.")]);
            File.Move(temp, final, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
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
