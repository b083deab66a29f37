namespace OtaConsole.Core.Packages;

/// <summary>
/// Streams a file to disk the one way the console does it: into a ".part" file beside the final name, within a size
/// limit, moved into place only when the whole stream was written and accepted. A refused or broken write leaves nothing.
/// </summary>
internal static class PartFile
{
    /// <param name="tooLarge">The exception to throw when the stream passes <paramref name="maxBytes"/>.</param>
    /// <param name="observe">Sees each chunk as it is written (digests).</param>
    /// <param name="accept">Checks the whole file's size before it is moved into place; throws to refuse it.</param>
    public static async Task<long> WriteAsync(Stream content, string path, long maxBytes, Func<Exception> tooLarge,
        Action<byte[], int>? observe, Action<long>? accept, CancellationToken ct)
    {
        var partial = path + ".part";
        long size = 0;
        var buffer = new byte[81920];
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                        throw tooLarge();
                    observe?.Invoke(buffer, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            accept?.Invoke(size);
            File.Move(partial, path, overwrite: true);
            return size;
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }
}
