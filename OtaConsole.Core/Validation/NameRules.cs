using System.Globalization;
using System.Text.RegularExpressions;

namespace OtaConsole.Core.Validation;

/// <summary>Character and length rules for the names Alibaba's OTA model uses (reference §3.1, §3.2).</summary>
public static partial class NameRules
{
    /// <summary>Untrusted text made safe to log or show: control characters as '?', at most <paramref name="max"/> characters.</summary>
    public static string Printable(string? s, int max) => s is null ? "(none)" : new(s.Take(max).Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());

    /// <summary>The start of untrusted text, at most <paramref name="max"/> characters and "…" when cut (never inside a surrogate pair).</summary>
    public static string Excerpt(string? s, int max)
    {
        if (s is null || s.Length <= max)
            return s ?? "";
        var cut = char.IsHighSurrogate(s[max - 1]) ? max - 1 : max;
        return s[..cut] + "…";
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ModulePattern();

    [GeneratedRegex("^[A-Za-z0-9]{1,32}$")]
    private static partial Regex ProductKeyPattern();

    // Alibaba's DeviceName: 4-32 characters of letters, digits and - _ @ . :
    [GeneratedRegex("^[A-Za-z0-9_@.:-]{4,32}$")]
    private static partial Regex DeviceNamePattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex GroupIdPattern();

    public static bool IsVersion(string? v) => v is not null && VersionPattern().IsMatch(v);
    public static bool IsModuleName(string? v) => v is not null && ModulePattern().IsMatch(v);
    public static bool IsProductKey(string? v) => v is not null && ProductKeyPattern().IsMatch(v);
    public static bool IsDeviceName(string? v) => v is not null && DeviceNamePattern().IsMatch(v);
    public static bool IsGroupId(string? v) => v is not null && GroupIdPattern().IsMatch(v);

    /// <summary>A device secret we accept on import: 1-64 printable ASCII characters without spaces.</summary>
    public static bool IsDeviceSecret(string? v) => v is { Length: >= 1 and <= 64 } && v.All(ch => ch > ' ' && ch < 127);

    /// <summary>
    /// Package name: 1-40 characters of letters, digits, CJK or Japanese characters and - _ ( ),
    /// starting with a letter, a digit or a CJK/Japanese character.
    /// </summary>
    public static bool IsPackageName(string? v)
    {
        if (v is not { Length: >= 1 and <= 40 })
            return false;
        if (!IsNameLetter(v[0]))
            return false;
        return v.All(ch => IsNameLetter(ch) || ch is '-' or '_' or '(' or ')');
    }

    private static bool IsNameLetter(char ch) =>
        char.IsAsciiLetterOrDigit(ch)
        || (ch >= '\u4E00' && ch <= '\u9FFF') // CJK unified ideographs
        || (ch >= '\u3040' && ch <= '\u30FF') // hiragana, katakana
        || (ch >= '\u3400' && ch <= '\u4DBF'); // CJK extension A

    /// <summary>Text a console shows and a log writes: no control characters.</summary>
    public static bool IsPlainText(string? v, int maxLength) =>
        v is null || (v.Length <= maxLength && !v.Any(ch => char.IsControl(ch) && ch is not ('\n' or '\r' or '\t')));

    /// <summary>A gray percentage: a number above 0 and at most 100 with up to 3 decimals.</summary>
    public static bool TryParseGrayPercent(string? v, out decimal percent)
    {
        percent = 0;
        if (string.IsNullOrWhiteSpace(v) || v.Length > 8)
            return false;
        if (!decimal.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out percent))
            return false;
        var dot = v.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0 && v.Length - dot - 1 > 3)
            return false;
        return percent > 0 && percent <= 100;
    }
}
