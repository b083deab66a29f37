namespace OtaConsole.Core.Queries;

/// <summary>One page of a list and how many items the whole list has.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total);

public enum SortDirection
{
    Ascending,
    Descending,
}

internal static class Paging
{
    public const int MaxPageSize = 500;

    public static int Size(int pageSize) => Math.Clamp(pageSize, 1, MaxPageSize);
    /// <summary>How many items come before a page (0-based); past the last possible item for a huge page, never wrapped round.</summary>
    public static int Skip(int page, int pageSize) => (int)Math.Min(int.MaxValue, (long)Math.Max(0, page) * Size(pageSize));

    /// <summary>A LIKE pattern that matches <paramref name="text"/> anywhere, with its own wildcards escaped.</summary>
    public static string Contains(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
}
