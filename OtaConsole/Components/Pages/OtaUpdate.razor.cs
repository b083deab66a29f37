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
    private readonly List<BreadcrumbItem> _crumbs = [new("Maintenance", null, disabled: true), new("OTA Update", "/ota")];
    private MudTable<UpdatePackage>? _table;
    private List<Product> _products = [];
    private string? _productKey;
    private string? _search;

    [Inject] public required Operator Operator { get; init; }

    [Inject] public required PackageQueries Packages { get; init; }
    [Inject] public required CatalogService Catalog { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _products = await Catalog.ListProductsAsync(await Operator.ReaderAsync());
        Follow(c => c.PackageIds.Count > 0 || c.CatalogChanged, ReloadTableAsync);
    }

    private async Task<TableData<UpdatePackage>> LoadAsync(TableState state, CancellationToken ct)
    {
        var page = await Packages.ListAsync(await Operator.ReaderAsync(), new PackageFilter { ProductKey = _productKey, Search = _search, Page = state.Page, PageSize = state.PageSize }, ct);
        return new TableData<UpdatePackage> { Items = page.Items, TotalItems = page.Total };
    }

    private Task ReloadTableAsync() => _table?.ReloadServerData() ?? Task.CompletedTask;

    private Task ProductChangedAsync(string? productKey)
    {
        _productKey = productKey;
        return ReloadAsync(ReloadTableAsync);
    }

    private Task SearchAsync(string? text)
    {
        _search = text;
        return ReloadAsync(ReloadTableAsync);
    }

    private async Task AddPackageAsync()
    {
        var dialog = await Dialogs.ShowAsync<AddPackageDialog>("Add update package",
            new DialogParameters<AddPackageDialog> { { d => d.ProductKey, _productKey } }, new DialogOptions { MaxWidth = MaxWidth.Large, BackdropClick = false });
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
