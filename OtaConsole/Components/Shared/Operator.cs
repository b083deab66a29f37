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
public sealed class Operator(ISnackbar snackbar, OperatorSession session, NavigationManager nav, TimeProvider time, ILogger<Operator> log)
{
    /// <summary>How long a page reads as the actor it last read: live pages reload every second, commands re-read at once.</summary>
    public static readonly TimeSpan ReaderFor = TimeSpan.FromSeconds(10);

    private Actor? _reader;
    private DateTimeOffset _readAt;

    /// <summary>
    /// The signed-in operator for reading (what pages show follows their role and products). An account gone or
    /// disabled is sent to the sign-in page and reads as <see cref="Actor.NoOne"/>, which sees nothing.
    /// </summary>
    public async Task<Actor> ReaderAsync()
    {
        if (_reader is not null && time.GetUtcNow() - _readAt < ReaderFor)
            return _reader;
        var actor = await session.ActorAsync();
        if (actor is null)
        {
            OtaAuth.SendToSignIn(nav);
            return Actor.NoOne;
        }
        (_reader, _readAt) = (actor, time.GetUtcNow());
        return actor;
    }

    /// <param name="invalid">A form's own place for validation messages: given, they go there (beside their fields) instead of a snackbar.</param>
    public async Task<bool> RunAsync(Func<Actor, Task> action, string? done = null, Action<IReadOnlyList<FieldError>>? invalid = null)
    {
        try
        {
            var actor = await session.ActorAsync();
            if (actor is null)
            {
                OtaAuth.SendToSignIn(nav);
                return false;
            }
            (_reader, _readAt) = (actor, time.GetUtcNow());
            await action(actor);
            if (done is not null)
                snackbar.Add(done, Severity.Success);
            return true;
        }
        catch (OtaValidationException e) when (invalid is not null)
        {
            invalid(e.Errors);
            return false;
        }
        catch (OtaValidationException e)
        {
            // By the fields' labels, one line each, not the API's parameter names.
            snackbar.Add(string.Join(" ", e.Errors.Select(FormWords.Line)), Severity.Warning);
            return false;
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
    public async Task<T?> GetAsync<T>(Func<Actor, Task<T>> action, string? done = null, Action<IReadOnlyList<FieldError>>? invalid = null)
    {
        T? result = default;
        Func<Actor, Task> run = async actor => { result = await action(actor); };
        return await RunAsync(run, done, invalid) ? result : default;
    }
}
