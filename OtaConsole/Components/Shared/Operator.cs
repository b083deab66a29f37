using Microsoft.AspNetCore.Components;
using MudBlazor;
using OtaConsole.Core;
using OtaConsole.Core.Security;
using OtaConsole.Security;

namespace OtaConsole.Components.Shared;

/// <summary>
/// Runs an operator's action as the signed-in operator and tells them how it went: a refusal (a rule, a range, a
/// stale edit, a role that may not) as the message the core gave, anything unexpected as a generic error that is
/// logged. The operator is read afresh for each action: an account disabled or left without a role meanwhile loses
/// the page (to the sign-in page) instead of acting. Nothing escapes to the circuit.
/// </summary>
public sealed class Operator(ISnackbar snackbar, OperatorSession session, NavigationManager nav, ILogger<Operator> log)
{
    public async Task<bool> RunAsync(Func<Actor, Task> action, string? done = null)
    {
        try
        {
            var actor = await session.ActorAsync();
            if (actor is null)
            {
                OtaAuth.SendToSignIn(nav);
                return false;
            }
            await action(actor);
            if (done is not null)
                snackbar.Add(done, Severity.Success);
            return true;
        }
        catch (OtaException e)
        {
            snackbar.Add(e.Message, e.Kind == OtaErrorKind.Invalid ? Severity.Warning : Severity.Error);
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException and not NavigationException)
        {
            log.LogError(e, "An operator action failed");
            snackbar.Add("Something went wrong; the details are in the console's log.", Severity.Error);
            return false;
        }
    }

    /// <summary>Runs an action that produces something; default when it was refused.</summary>
    public async Task<T?> GetAsync<T>(Func<Actor, Task<T>> action, string? done = null)
    {
        T? result = default;
        Func<Actor, Task> run = async actor => { result = await action(actor); };
        return await RunAsync(run, done) ? result : default;
    }
}
