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
        Follow(_ => true, LoadAsync, costly: true);
    }

    private async Task LoadAsync() => _overview = await Overviews.GetAsync();
}
