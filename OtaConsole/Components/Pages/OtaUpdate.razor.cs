using Microsoft.AspNetCore.Components;
using MudBlazor;
using OtaConsole.Components.Dialogs;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;

namespace OtaConsole.Components.Pages;

/// <summary>Maintenance › OTA Update: the Update Packages tab.</summary>
public sealed partial class OtaUpdate
{
    [CascadingParameter] public OperatorTime Clock { get; set; } = OperatorTime.Utc;

    private readonly List<BreadcrumbItem> _crumbs = [new("Maintenance", null, disabled: true), new("OTA Update", "/ota")];
    private MudTable<UpdatePackage>? _table;
    private List<Product> _products = [];
    /// <summary>Product filter, search, page and page size, as the address has them.</summary>
    private ListView _view = new();
    private bool _viewMoved;
    private HashSet<string> _running = [];

    [SupplyParameterFromQuery(Name = "product")] public string? ProductKey { get; set; }
    [SupplyParameterFromQuery(Name = "search")] public string? Search { get; set; }
    [SupplyParameterFromQuery(Name = "page")] public int? PageNumber { get; set; }
    [SupplyParameterFromQuery(Name = "size")] public int? PageSize { get; set; }
    [Inject] public required NavigationManager Nav { get; init; }

    [Inject] public required Operator Operator { get; init; }

    [Inject] public required PackageQueries Packages { get; init; }
    [Inject] public required CatalogService Catalog { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _products = await Catalog.ListProductsAsync(await Operator.ReaderAsync());
        Follow(c => c.PackageIds.Count > 0 || c.CatalogChanged, ReloadTableAsync);
    }

    // An address of its own (a link, back, forward) moves the table to its view once it has rendered with it.
    protected override void OnParametersSet()
    {
        var view = ListView.From(ProductKey, Search, PageNumber, PageSize);
        if (view == _view)
            return;
        _view = view;
        _viewMoved = _table is not null;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_viewMoved)
        {
            _viewMoved = false;
            await ReloadTableAsync();
        }
    }

    private async Task<TableData<UpdatePackage>> LoadAsync(TableState state, CancellationToken ct)
    {
        var reader = await Operator.ReaderAsync();
        var page = await Packages.ListAsync(reader, new PackageFilter { ProductKey = _view.Filter, Search = _view.Search, Page = state.Page, PageSize = state.PageSize }, ct);
        _running = await Packages.WithRunningBatchAsync(reader, page.Items.Select(p => p.Id).ToList(), ct);
        if (state.Page != _view.Page || state.PageSize != _view.PageSize)
            Show(_view with { Page = state.Page, PageSize = state.PageSize });
        return new TableData<UpdatePackage> { Items = page.Items, TotalItems = page.Total };
    }

    private string ProductName(string productKey) => _products.FirstOrDefault(p => p.ProductKey == productKey)?.Name ?? productKey;

    /// <summary>The operator's own change goes into the address: a new history entry, except while typing a search.</summary>
    private void Show(ListView view)
    {
        var before = _view;
        _view = view;
        Nav.NavigateTo(Nav.GetUriWithQueryParameters(view.Query("product")), replace: view.OnlySearchChangedFrom(before));
    }

    private Task ReloadTableAsync() => _table?.ReloadServerData() ?? Task.CompletedTask;

    private Task ProductChangedAsync(string? productKey)
    {
        Show(_view with { Filter = productKey, Page = 0 });
        return ReloadAsync(ReloadTableAsync);
    }

    private Task SearchAsync(string? text)
    {
        Show(_view with { Search = string.IsNullOrWhiteSpace(text) ? null : text, Page = 0 });
        return ReloadAsync(ReloadTableAsync);
    }

    private async Task AddPackageAsync()
    {
        var dialog = await Dialogs.ShowAsync<AddPackageDialog>("Add update package",
            new DialogParameters<AddPackageDialog> { { d => d.ProductKey, _view.Filter } }, new DialogOptions { MaxWidth = MaxWidth.Large, BackdropClick = false });
        if (await dialog.Result is { Canceled: false })
            await ReloadAsync(ReloadTableAsync);
    }

    private async Task VerifyAsync(UpdatePackage package)
    {
        var dialog = await Dialogs.ShowAsync<VerifyPackageDialog>($"Verify {package.Name}", new DialogParameters<VerifyPackageDialog> { { d => d.Package, package } });
        if (await dialog.Result is { Canceled: false })
            await ReloadAsync(ReloadTableAsync);
    }

}
