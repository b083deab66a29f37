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
        // Kept beside the data so links handed out before a restart still work after it.
        var file = Path.Combine(dataPath, fileName);
        if (File.Exists(file))
            return Convert.FromBase64String(File.ReadAllText(file).Trim());
        Directory.CreateDirectory(dataPath);
        var key = RandomNumberGenerator.GetBytes(32);
        File.WriteAllText(file, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
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
