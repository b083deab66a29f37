using System.Globalization;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Api;

/// <summary>
/// An API request's parameters as Alibaba sends them: case-sensitive names, lists flattened 1-based
/// (SrcVersion.1, Tag.1.Key). Each reader names the parameter and its range when a value is missing or wrong.
/// </summary>
public sealed class ApiParameters(IReadOnlyDictionary<string, string> values)
{
    public string Action => Required("Action");
    public bool Has(string name) => values.TryGetValue(name, out var v) && v.Length > 0;

    public string Required(string name) => Optional(name) ?? throw ApiException.Missing(name);

    public string? Optional(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public int? Int(string name, int min, int max)
    {
        if (Optional(name) is not { } text)
            return null;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw ApiException.Invalid(name, $"an integer from {min} to {max}; got '{Shorten(text)}'.");
        return v;
    }

    public int RequiredInt(string name, int min, int max) => Int(name, min, max) ?? throw ApiException.Missing(name);

    /// <summary>An integer that must be one of a few values (RetryInterval, RetryCount, NodeType…).</summary>
    public int? OneOf(string name, params int[] allowed)
    {
        if (Optional(name) is not { } text)
            return null;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || !allowed.Contains(v))
            throw ApiException.Invalid(name, $"one of {string.Join(", ", allowed)}; got '{Shorten(text)}'.");
        return v;
    }

    public double? Double(string name, double min, double max)
    {
        if (Optional(name) is not { } text)
            return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v < min || v > max)
            throw ApiException.Invalid(name, $"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}; got '{Shorten(text)}'.");
        return v;
    }

    public long? Long(string name, long min, long max)
    {
        if (Optional(name) is not { } text)
            return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw ApiException.Invalid(name, $"an integer from {min} to {max}; got '{Shorten(text)}'.");
        return v;
    }

    /// <summary>true or false, as Alibaba's clients send booleans.</summary>
    public bool? Bool(string name)
    {
        if (Optional(name) is not { } text)
            return null;
        return text.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw ApiException.Invalid(name, $"true or false; got '{Shorten(text)}'."),
        };
    }

    /// <summary>A time given as 13-digit milliseconds since 1970 (ScheduleTime).</summary>
    public DateTimeOffset? EpochMilliseconds(string name) =>
        Long(name, 0, 253402300799999) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>One of an enum's API names (TargetSelection=ALL, TaskStatus=IN_PROGRESS…).</summary>
    public T? Enum<T>(string name, IReadOnlyDictionary<string, T> names) where T : struct
    {
        if (Optional(name) is not { } text)
            return null;
        return names.TryGetValue(text, out var v) ? v : throw ApiException.Invalid(name, $"one of {string.Join(", ", names.Keys)}; got '{Shorten(text)}'.");
    }

    /// <summary>
    /// A flattened list, name.1 … name.N, at most <paramref name="max"/> items. Numbers must run from 1 without a
    /// gap, so a mistyped index is reported rather than silently dropped.
    /// </summary>
    public List<string> List(string name, int max)
    {
        var prefix = name + ".";
        var indexes = Indexes(prefix, suffix: "");
        var items = new List<string>(indexes.Count);
        foreach (var i in indexes)
            items.Add(values[$"{prefix}{i}"]);
        if (items.Count > max)
            throw ApiException.Invalid(name + ".N", $"at most {max} items; got {items.Count}.");
        return items;
    }

    /// <summary>Tags as Tag.N.Key / Tag.N.Value pairs (<paramref name="name"/> "Tags" for UpdateOTAJob).</summary>
    public List<BatchTag> Tags(string name = "Tag")
    {
        var prefix = name + ".";
        var keys = Indexes(prefix, ".Key");
        var valueIndexes = Indexes(prefix, ".Value");
        if (!keys.SequenceEqual(valueIndexes))
            throw ApiException.Invalid(name + ".N", $"every {name}.N.Key needs its {name}.N.Value, and the other way round.");
        return keys.Select(i => new BatchTag { Key = values[$"{prefix}{i}.Key"], Value = values[$"{prefix}{i}.Value"] }).ToList();
    }

    /// <summary>The item numbers of a list of records (MultiFiles.N.Url…), read by the field every item must have.</summary>
    public List<int> Items(string name, string field) => Indexes(name + ".", "." + field);

    public bool HasList(string name) => values.Keys.Any(k => k.StartsWith(name + ".", StringComparison.Ordinal));

    private List<int> Indexes(string prefix, string suffix)
    {
        var found = new List<int>();
        foreach (var k in values.Keys)
        {
            if (!k.StartsWith(prefix, StringComparison.Ordinal) || !k.EndsWith(suffix, StringComparison.Ordinal) || k.Length <= prefix.Length + suffix.Length)
                continue;
            var middle = k.AsSpan(prefix.Length, k.Length - prefix.Length - suffix.Length);
            if (middle.Contains('.'))
                continue; // Tag.1.Key when reading Tag.N, for instance
            // Digits only, no leading zero: Name.01 would be read as item 1 but is not the name Name.1 the item is kept under.
            if (middle[0] == '0' || !int.TryParse(middle, NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                throw ApiException.Invalid(prefix + "N" + suffix, $"list items are numbered 1, 2, 3… (no leading zeros); got '{Shorten(k)}'.");
            found.Add(i);
        }
        found.Sort();
        for (var n = 0; n < found.Count; n++)
            if (found[n] != n + 1)
                throw ApiException.Invalid(prefix + "N" + suffix, $"list items are numbered 1, 2, 3… without gaps; {prefix}{n + 1}{suffix} is missing.");
        return found;
    }

    private static string Shorten(string s) => Validation.NameRules.Excerpt(s, 40);
}
