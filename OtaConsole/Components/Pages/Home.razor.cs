using Microsoft.AspNetCore.Components;
using OtaConsole.Components.Shared;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Components.Pages;

public sealed partial class Home
{
    private Overview? _overview;
    private Dictionary<string, BatchPace> _paces = [];

    [Inject] public required Operator Operator { get; init; }

    [Inject] public required OverviewQueries Overviews { get; init; }
    [Inject] public required PaceQueries Paces { get; init; }

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        Follow(Follows, LoadAsync, costly: true);
    }

    /// <summary>
    /// Batch cards show counters, which move with a task's status, not with its progress: progress alone (a burst of
    /// reports from a whole fleet) is no reason to re-query the fleet.
    /// </summary>
    internal static bool Follows(OtaChange c) => c.BatchIds.Count > 0 || c.PackageIds.Count > 0 || c.DevicesChanged || c.CatalogChanged;

    private async Task LoadAsync()
    {
        var reader = await Operator.ReaderAsync();
        _overview = await Overviews.GetAsync(reader);
        _paces = await Paces.OfAsync(reader, _overview.Running.Select(r => r.Batch.Id).ToList());
    }
}
