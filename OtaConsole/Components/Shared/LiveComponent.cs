using Microsoft.AspNetCore.Components;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Components.Shared;

/// <summary>
/// A page or tab that follows the engine's changes. <see cref="Follow"/> says which changes matter and what to
/// reload; the reload runs on the component's dispatcher, throttled by <see cref="LiveUpdates"/>, then renders; a
/// failure goes to the error boundary. The subscription ends with the component.
/// </summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    private IDisposable? _live;

    [Inject] public required LiveUpdates Live { get; init; }

    /// <param name="costly">The page follows a whole fleet or batch: it reloads at most once per Ota:Console:CostlyMinimumInterval.</param>
    protected void Follow(Func<OtaChange, bool> relevant, Func<Task> reload, bool costly = false) =>
        Follow(relevant, async () =>
        {
            await reload();
            return true;
        }, costly);

    /// <summary>
    /// As <see cref="Follow(Func{OtaChange, bool}, Func{Task}, bool)"/>, for a reload that may refresh only a part of the
    /// page (which renders itself): it returns whether the whole page must render again.
    /// </summary>
    protected void Follow(Func<OtaChange, bool> relevant, Func<Task<bool>> reload, bool costly = false) =>
        _live = Live.Subscribe(relevant, () => InvokeAsync(async () =>
        {
            try
            {
                if (await reload())
                    StateHasChanged();
            }
            catch (Exception e)
            {
                await DispatchExceptionAsync(e);
            }
        }), costly);

    /// <summary>Reloads and renders; also what a page calls after its own actions.</summary>
    protected async Task ReloadAsync(Func<Task> reload)
    {
        try
        {
            await reload();
            StateHasChanged();
        }
        catch (Exception e)
        {
            await DispatchExceptionAsync(e);
        }
    }

    public void Dispose()
    {
        _live?.Dispose();
        GC.SuppressFinalize(this);
    }
}
