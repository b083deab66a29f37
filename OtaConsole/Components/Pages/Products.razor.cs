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
    [CascadingParameter] public OperatorTime Clock { get; set; } = OperatorTime.Utc;

    private List<Product> _products = [];
    private Product? _product;
    private MudTable<DeviceRow>? _devices;
    /// <summary>The device list's online filter, search, page and page size, as the address has them.</summary>
    private ListView _view = new();
    private bool _viewMoved;

    [SupplyParameterFromQuery(Name = "product")] public string? ProductKey { get; set; }
    [SupplyParameterFromQuery(Name = "online")] public string? Online { get; set; }
    [SupplyParameterFromQuery(Name = "search")] public string? Search { get; set; }
    [SupplyParameterFromQuery(Name = "page")] public int? PageNumber { get; set; }
    [SupplyParameterFromQuery(Name = "size")] public int? PageSize { get; set; }

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

    // An address of its own (a link, back, forward) moves the list to its view once the table has rendered with it.
    protected override void OnParametersSet()
    {
        var product = Selected(ProductKey) ?? _products.FirstOrDefault();
        var view = ListView.From(Online is "online" or "offline" ? Online : null, Search, PageNumber, PageSize);
        _viewMoved |= _devices is not null && (view != _view || product != _product);
        (_product, _view) = (product, view);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_viewMoved)
        {
            _viewMoved = false;
            await ReloadDevicesAsync();
        }
    }

    /// <summary>The operator's own change goes into the address: a new history entry, except while typing a search.</summary>
    private void Show(ListView view)
    {
        var before = _view;
        _view = view;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(view.Query("online")), replace: view.OnlySearchChangedFrom(before));
    }

    private Product? Selected(string? productKey) => _products.FirstOrDefault(p => p.ProductKey == productKey);

    private async Task LoadProductsAsync()
    {
        _products = await Catalog.ListProductsAsync(await Operator.ReaderAsync());
        _product = Selected(ProductKey) ?? _products.FirstOrDefault();
    }

    private async Task SelectProductAsync(string productKey)
    {
        // Another product's list starts from its first page, unfiltered.
        _view = new ListView();
        Navigation.NavigateTo($"/products?product={Uri.EscapeDataString(productKey)}");
        _product = Selected(productKey);
        if (_devices is not null)
            await _devices.ReloadServerData();
    }

    private async Task<TableData<DeviceRow>> LoadDevicesAsync(TableState state, CancellationToken ct)
    {
        if (_product is null)
            return new TableData<DeviceRow> { Items = [], TotalItems = 0 };
        bool? online = _view.Filter switch { "online" => true, "offline" => false, _ => null };
        var page = await Devices.ListAsync(await Operator.ReaderAsync(), _product.ProductKey, _view.Search, online, state.Page, state.PageSize, ct);
        if (state.Page != _view.Page || state.PageSize != _view.PageSize)
            Show(_view with { Page = state.Page, PageSize = state.PageSize });
        return new TableData<DeviceRow> { Items = page.Items, TotalItems = page.Total };
    }

    private async Task SearchAsync(string? text)
    {
        Show(_view with { Search = string.IsNullOrWhiteSpace(text) ? null : text, Page = 0 });
        if (_devices is not null)
            await _devices.ReloadServerData();
    }

    private async Task PresenceAsync(string value)
    {
        Show(_view with { Filter = value is "online" or "offline" ? value : null, Page = 0 });
        if (_devices is not null)
            await _devices.ReloadServerData();
    }

    private Task ReloadDevicesAsync() => _devices?.ReloadServerData() ?? Task.CompletedTask;

    [Inject] public required OtaConsole.Core.Rollout.RolloutEngine Engine { get; init; }

    private async Task ReleaseAsync(string deviceName)
    {
        if (await Operator.RunAsync(a => Engine.ReleaseQuarantineAsync(a, _product!.ProductKey, deviceName), $"{deviceName} takes updates again"))
            await ReloadDevicesAsync();
    }

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
