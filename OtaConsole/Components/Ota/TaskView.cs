using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;

namespace OtaConsole.Components.Ota;

/// <summary>
/// What the Device List of a batch shows: filter, search, sort, page and page size. It lives in the page's address
/// (query string), so a reload, back and forward, a shared link and the reload after a console restart all return
/// to the same view. Defaults are left out of the address.
/// </summary>
public sealed record TaskView
{
    public static readonly int[] PageSizes = [20, 50, 100, 500];

    public OtaTaskStatus? Status { get; init; }
    public string? Search { get; init; }
    public TaskSort Sort { get; init; } = TaskSort.DeviceName;
    public SortDirection Direction { get; init; } = SortDirection.Ascending;
    /// <summary>From 0; the address counts from 1.</summary>
    public int Page { get; init; }
    public int PageSize { get; init; } = PageSizes[0];

    /// <summary>The view an address names; anything unknown or out of range is taken as its default.</summary>
    public static TaskView From(string? status, string? search, string? sort, string? dir, int? page, int? size) => new()
    {
        Status = Enum.TryParse<OtaTaskStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s : null,
        Search = string.IsNullOrWhiteSpace(search) ? null : search,
        Sort = Enum.TryParse<TaskSort>(sort, ignoreCase: true, out var o) && Enum.IsDefined(o) ? o : TaskSort.DeviceName,
        Direction = string.Equals(dir, "desc", StringComparison.OrdinalIgnoreCase) ? SortDirection.Descending : SortDirection.Ascending,
        Page = page is > 1 and < 1_000_000 ? page.Value - 1 : 0,
        PageSize = size is int z && PageSizes.Contains(z) ? z : PageSizes[0],
    };

    /// <summary>The query-string parameters of this view, each default as null (which removes it from the address).</summary>
    public Dictionary<string, object?> Query() => new()
    {
        ["status"] = Status?.ToString(),
        ["search"] = string.IsNullOrEmpty(Search) ? null : Search,
        ["sort"] = Sort == TaskSort.DeviceName ? null : Sort.ToString(),
        ["dir"] = Direction == SortDirection.Descending ? "desc" : null,
        ["page"] = Page > 0 ? Page + 1 : null,
        ["size"] = PageSize == PageSizes[0] ? null : PageSize,
    };

    /// <summary>Whether going from <paramref name="before"/> to this view changed only the search (typing: no new history entry each key).</summary>
    public bool OnlySearchChangedFrom(TaskView before) => this with { Search = before.Search } == before;
}
