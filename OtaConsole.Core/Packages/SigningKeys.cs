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
