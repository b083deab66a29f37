using Microsoft.AspNetCore.Components;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Queries;

namespace OtaConsole.Components.Pages;

public sealed partial class Home : IDisposable
{
    private Overview? _overview;
    private IDisposable? _live;

    [Inject] public required OverviewQueries Overviews { get; init; }
    [Inject] public required LiveUpdates Live { get; init; }

    protected override async Task OnInitializedAsync()
    {
        _overview = await Overviews.GetAsync();
        _live = Live.Subscribe(_ => true, () => InvokeAsync(RefreshAsync));
    }

    private async Task RefreshAsync()
    {
        try
        {
            _overview = await Overviews.GetAsync();
            StateHasChanged();
        }
        catch (Exception e)
        {
            await DispatchExceptionAsync(e);
        }
    }

    public void Dispose() => _live?.Dispose();
}
