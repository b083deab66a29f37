using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Security;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// A batch's automatic pause: after a step that ended some of its updates, each rule is judged on the batch's ended
/// updates (succeeded or failed, a device busy with another batch not counted) and the first rule met pauses it,
/// with the rule and the numbers kept on the batch and in the audit log. Costs nothing while nothing has failed;
/// after that, one grouped count of the batch's failed tasks (by index) per step that ends some of its updates.
/// </summary>
internal static class SafetyRules
{
    public static async Task CheckAsync(WriteScope scope, Batch batch, CancellationToken ct)
    {
        if (batch.Status != BatchStatus.InProgress || batch.FailureRules.Count == 0
            || batch.Counts.Succeeded + batch.Counts.Failed < batch.FailureRules.Min(r => Math.Max(1, r.MinEnded)))
            return;
        var byCode = await FailedByCodeAsync(scope, batch, ct);
        var ended = batch.Counts.Succeeded + batch.Counts.Failed - byCode.GetValueOrDefault(FailureCodes.DeviceBusy);
        for (var i = 0; i < batch.FailureRules.Count; i++)
        {
            var rule = batch.FailureRules[i];
            var failed = byCode.Where(kv => Counts(rule.Failures, kv.Key)).Sum(kv => kv.Value);
            if (ended < Math.Max(1, rule.MinEnded) || failed == 0 || failed * 100m < rule.ThresholdPercent * ended)
                continue;
            var percent = Math.Round(failed * 100m / ended, 2);
            var reason = $"rule {i + 1} ({rule}) met: {failed:N0} of {ended:N0} ended updates failed ({percent.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} %)";
            var details = new { rule = i + 1, failures = rule.Failures, threshold = rule.ThresholdPercent, minEnded = rule.MinEnded, action = rule.Action, failed, ended, percent };
            if (rule.Action == RuleAction.Cancel)
            {
                // As an operator's cancel of a static batch, for a dynamic one too: nothing waiting is pushed any more.
                await OperatorCommands.CancelWhereAsync(scope, batch, [OtaTaskStatus.Confirm, OtaTaskStatus.Queued, OtaTaskStatus.Notified], $"cancelled by the safety policy: {reason}", ct);
                BatchLifecycle.Cancel(scope, batch);
                batch.PauseReason = reason;
                Audit.Decision(scope.Db, scope.Now, "batch.auto-cancel", "batch", batch.Id, details);
            }
            else
            {
                BatchLifecycle.Pause(scope, batch, reason);
                Audit.Decision(scope.Db, scope.Now, "batch.auto-pause", "batch", batch.Id, details);
            }
            return;
        }
    }

    /// <summary>Whether a failure code is of the kind a rule counts.</summary>
    public static bool Counts(FailureKind kind, string? code) => kind switch
    {
        FailureKind.UpdateFailed => IsDeviceStep(code),
        FailureKind.UnexpectedVersion => code == FailureCodes.UnexpectedVersion,
        FailureKind.TimedOut => code is FailureCodes.Timeout or FailureCodes.VerifyTimeout,
        _ => code != FailureCodes.DeviceBusy,
    };

    private static bool IsDeviceStep(string? code) => code is { Length: > 1 } && code[0] == '-' && code[1..].All(char.IsAsciiDigit);

    /// <summary>
    /// The batch's failed tasks by failure code, as they stand in this step: the stored ones not changed in it (by
    /// index on batch and status), and the ones it changed, from memory (the writer stores them after this).
    /// </summary>
    private static async Task<Dictionary<string, int>> FailedByCodeAsync(WriteScope scope, Batch batch, CancellationToken ct)
    {
        var changed = scope.Changes.Updated.Where(t => t.BatchId == batch.Id).ToList();
        var changedIds = changed.Select(t => t.Id).ToList();
        var id = batch.Id;
        var stored = await scope.Db.Tasks.AsNoTracking()
            .Where(t => t.BatchId == id && t.Status == OtaTaskStatus.Failed && !changedIds.Contains(t.Id))
            .GroupBy(t => t.FailureCode).Select(g => new { Code = g.Key, Count = g.Count() }).ToListAsync(ct);
        var counts = stored.ToDictionary(x => x.Code ?? "", x => x.Count);
        foreach (var t in changed.Concat(scope.Changes.Created.Where(t => t.BatchId == id)).Where(t => t.Status == OtaTaskStatus.Failed))
            counts[t.FailureCode ?? ""] = counts.GetValueOrDefault(t.FailureCode ?? "") + 1;
        return counts;
    }
}
