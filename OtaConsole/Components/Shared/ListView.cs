namespace OtaConsole.Components.Shared;

/// <summary>
/// A list's filter, search, page and page size, kept in the page's address (query string) so reload, back and
/// forward, a shared link and the reload after a restart return to the same place. Defaults stay out of the address.
/// </summary>
/// <param name="Filter">The list's one filter (a product, a status, online or offline), as its address writes it.</param>
/// <param name="Page">From 0; the address counts from 1.</param>
public sealed record ListView(string? Filter = null, string? Search = null, int Page = 0, int PageSize = ListView.DefaultPageSize)
{
    public const int DefaultPageSize = 20;
    public static readonly int[] PageSizes = [20, 50, 100];

    /// <summary>The view an address names; anything unknown or out of range is its default.</summary>
    public static ListView From(string? filter, string? search, int? page, int? size) => new(
        string.IsNullOrWhiteSpace(filter) ? null : filter,
        string.IsNullOrWhiteSpace(search) ? null : search,
        page is > 1 and < 1_000_000 ? page.Value - 1 : 0,
        size is int s && PageSizes.Contains(s) ? s : DefaultPageSize);

    /// <summary>The address's parameters for this view; a null removes its parameter.</summary>
    public Dictionary<string, object?> Query(string filterName) => new()
    {
        [filterName] = Filter,
        ["search"] = Search,
        ["page"] = Page > 0 ? Page + 1 : null,
        ["size"] = PageSize == DefaultPageSize ? null : PageSize,
    };

    /// <summary>Whether only the search differs from <paramref name="before"/> (typing replaces the history entry).</summary>
    public bool OnlySearchChangedFrom(ListView before) => this with { Search = before.Search } == before;
}
