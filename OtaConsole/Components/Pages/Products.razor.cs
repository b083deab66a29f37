using Microsoft.AspNetCore.Components;
using MudBlazor;
using OtaConsole.Components.Dialogs;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;

namespace OtaConsole.Components.Pages;

public sealed partial class Products
{
    private List<Product> _products = [];
    private Product? _product;
    private MudTable<DeviceRow>? _devices;
    private string? _search;
    private string _presence = "all";

    [SupplyParameterFromQuery(Name = "product")] public string? ProductKey { get; set; }

    [Inject] public required CatalogService Catalog { get; init; }
    [Inject] public required DeviceQueries Devices { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required Operator Operator { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }

    protected override async Task OnInitializedAsync()
    {
        Follow(c => c.DevicesChanged, ReloadDevicesAsync);
        await LoadProductsAsync();
    }

    protected override void OnParametersSet() => _product = Selected(ProductKey) ?? _products.FirstOrDefault();

    private Product? Selected(string? productKey) => _products.FirstOrDefault(p => p.ProductKey == productKey);

    private async Task LoadProductsAsync()
    {
        _products = await Catalog.ListProductsAsync(await Operator.ReaderAsync());
        _product = Selected(ProductKey) ?? _products.FirstOrDefault();
    }

    private async Task SelectProductAsync(string productKey)
    {
        Navigation.NavigateTo($"/products?product={Uri.EscapeDataString(productKey)}");
        _product = Selected(productKey);
        if (_devices is not null)
            await _devices.ReloadServerData();
    }

    private async Task<TableData<DeviceRow>> LoadDevicesAsync(TableState state, CancellationToken ct)
    {
        if (_product is null)
            return new TableData<DeviceRow> { Items = [], TotalItems = 0 };
        bool? online = _presence switch { "online" => true, "offline" => false, _ => null };
        var page = await Devices.ListAsync(await Operator.ReaderAsync(), _product.ProductKey, _search, online, state.Page, state.PageSize, ct);
        return new TableData<DeviceRow> { Items = page.Items, TotalItems = page.Total };
    }

    private async Task SearchAsync(string? text)
    {
        _search = text;
        if (_devices is not null)
            await _devices.ReloadServerData();
    }

    private async Task PresenceAsync(string value)
    {
        _presence = value;
        if (_devices is not null)
            await _devices.ReloadServerData();
    }

    private Task ReloadDevicesAsync() => _devices?.ReloadServerData() ?? Task.CompletedTask;

    private async Task CreateProductAsync()
    {
        var dialog = await Dialogs.ShowAsync<CreateProductDialog>("Create product");
        if (await dialog.Result is { Canceled: false, Data: string productKey })
        {
            await LoadProductsAsync();
            await SelectProductAsync(productKey);
        }
    }

    private async Task RegisterAsync()
    {
        var dialog = await Dialogs.ShowAsync<RegisterDevicesDialog>($"Register devices of {_product!.Name}",
            new DialogParameters<RegisterDevicesDialog> { { d => d.ProductKey, _product.ProductKey } });
        if (await dialog.Result is { Canceled: false } && _devices is not null)
            await _devices.ReloadServerData();
    }

    private async Task AddModuleAsync()
    {
        var dialog = await Dialogs.ShowAsync<CreateModuleDialog>($"Add an OTA module to {_product!.Name}",
            new DialogParameters<CreateModuleDialog> { { d => d.ProductKey, _product.ProductKey } });
        if (await dialog.Result is { Canceled: false })
            await LoadProductsAsync();
    }

    private async Task DeleteModuleAsync(string module)
    {
        if (await Dialogs.ShowMessageBoxAsync("Delete module", $"Delete module {module}? Its update packages must be deleted first.", yesText: "Delete", cancelText: "Cancel") != true)
            return;
        if (await Operator.RunAsync(a => Catalog.DeleteModuleAsync(a, _product!.ProductKey, module), $"Module {module} deleted"))
            await LoadProductsAsync();
    }
}
