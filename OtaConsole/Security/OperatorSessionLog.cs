using System.Security.Claims;
using OtaConsole.Core.Diagnostics;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Security;
using OtaConsole.Core.Validation;

namespace OtaConsole.Security;

/// <summary>
/// Sign-ins, refused sign-ins and sign-outs: in the audit log, counted in the metrics, and refusals logged at most
/// once a minute per address (with how many were held back), so guessing passwords cannot flood the log.
/// </summary>
public sealed class OperatorSessionLog(AuditedWrites audit, OtaMetrics metrics, TimeProvider time, ILogger<OperatorSessionLog> log)
{
    private readonly LogThrottle _throttle = new(time);

    private const int MaxEmail = 256;

    public Task SignedInAsync(OperatorAccount account, HttpContext context, string method)
    {
        metrics.OperatorSignIn(null);
        return audit.RecordAsync(Who(account.Id, account.Email, context), "operator.sign-in", "operator", account.Id, new { method });
    }

    /// <summary>The email as typed (it may name no account), and why it was refused: wrong password, locked out, disabled.</summary>
    public Task RefusedAsync(string? email, string? accountId, string reason, HttpContext context)
    {
        metrics.OperatorSignIn(reason);
        var from = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (_throttle.ShouldLog("sign-in", from, out var held))
            log.LogWarning("Refused an operator sign-in from {Address} ({Reason}){More}", from, reason, held > 0 ? $"; {held} more from there in the last minute" : "");
        return audit.RecordAsync(Who(accountId ?? "", email, context), "operator.sign-in", "operator", accountId, null, reason);
    }

    public Task SignedOutAsync(HttpContext context)
    {
        var id = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        return id is null ? Task.CompletedTask
            : audit.RecordAsync(Who(id, context.User.FindFirstValue(ClaimTypes.Email) ?? context.User.Identity?.Name, context), "operator.sign-out", "operator", id, null);
    }

    // The role is not known (or not yet checked) at sign-in; Viewer is the least an audit row can claim.
    private static Actor Who(string id, string? email, HttpContext context) =>
        new(ActorKind.Operator, id, NameRules.Excerpt(email ?? "", MaxEmail), OperatorRole.Viewer, context.Connection.RemoteIpAddress?.ToString());
}
