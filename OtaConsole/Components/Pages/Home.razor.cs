using Microsoft.AspNetCore.Components;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Queries;

namespace OtaConsole.Components.Pages;

public sealed partial class Home
{
    private Overview? _overview;

    [Inject] public required OverviewQueries Overviews { get; init; }

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        // Batch cards show counters, which move with a task's status, not with its progress: progress alone is no reason to reload.
        Follow(c => c.BatchIds.Count > 0 || c.PackageIds.Count > 0 || c.DevicesChanged || c.CatalogChanged, LoadAsync, costly: true);
    }

    private async Task LoadAsync() => _overview = await Overviews.GetAsync();
}
