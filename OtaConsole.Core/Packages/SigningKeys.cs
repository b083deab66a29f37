using System.Security.Cryptography;
using System.Text;

namespace OtaConsole.Core.Packages;

/// <summary>Keys the console signs its own links with (downloads, upload tickets).</summary>
internal static class SigningKeys
{
    /// <summary>The configured key, or a random one made once and kept in the data folder.</summary>
    public static byte[] LoadOrCreate(string? configured, string dataPath, string fileName)
    {
        if (!string.IsNullOrEmpty(configured))
            return Encoding.UTF8.GetBytes(configured);
        // Kept beside the data so links handed out before a restart still work after it. With several nodes the
        // data folder is shared: the first node to create the file wins (CreateNew is atomic), the others read it.
        var file = Path.Combine(dataPath, fileName);
        if (File.Exists(file))
            return Read(file);
        Directory.CreateDirectory(dataPath);
        var key = RandomNumberGenerator.GetBytes(32);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var stream = new FileStream(file, create);
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
        }
        catch (IOException) when (File.Exists(file))
        {
            return Read(file);
        }
        return key;
    }

    /// <summary>A key file another node (or thread) may still be writing: read it once it is whole.</summary>
    private static byte[] Read(string file)
    {
        for (var attempt = 0; ; attempt++)
        {
            var text = File.ReadAllText(file).Trim();
            if (text.Length >= 44) // 32 bytes in base64
                return Convert.FromBase64String(text);
            if (attempt == 100)
                throw new InvalidOperationException($"The signing key file {file} is empty or cut short; delete it to make a new key (links signed with the old one stop working).");
            Thread.Sleep(10);
        }
    }
}

/// <summary>
/// A signing key loaded at first use and kept. A failed load (an unreadable data folder) is not kept: the next use
/// tries again, so one bad moment does not break every later link. Loads are serialised so that two first uses
/// cannot each create a different key.
/// </summary>
internal sealed class SigningKey(Func<byte[]> load)
{
    private readonly Lock _gate = new();
    private byte[]? _key;

    public byte[] Value
    {
        get
        {
            if (Volatile.Read(ref _key) is { } key)
                return key;
            lock (_gate)
                return _key ??= load();
        }
    }
}
