using MudBlazor;
using OtaConsole.Core;

namespace OtaConsole.Components.Shared;

/// <summary>
/// Runs an operator's action and tells them how it went: a refusal (a rule, a range, a stale edit) as the
/// message the core gave, anything unexpected as a generic error that is logged. Nothing escapes to the circuit.
/// </summary>
public sealed class Operator(ISnackbar snackbar, ILogger<Operator> log)
{
    public async Task<bool> RunAsync(Func<Task> action, string? done = null)
    {
        try
        {
            await action();
            if (done is not null)
                snackbar.Add(done, Severity.Success);
            return true;
        }
        catch (OtaException e)
        {
            snackbar.Add(e.Message, e.Kind == OtaErrorKind.Invalid ? Severity.Warning : Severity.Error);
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "An operator action failed");
            snackbar.Add("Something went wrong; the details are in the console's log.", Severity.Error);
            return false;
        }
    }

    /// <summary>Runs an action that produces something; default when it was refused.</summary>
    public async Task<T?> GetAsync<T>(Func<Task<T>> action, string? done = null)
    {
        T? result = default;
        Func<Task> run = async () => { result = await action(); };
        return await RunAsync(run, done) ? result : default;
    }
}
