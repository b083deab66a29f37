using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Security;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// A batch's automatic pause: after a step that ended some of its updates, each rule is judged on the batch's ended
/// updates (succeeded or failed, a device busy with another batch not counted) and the first rule met pauses it,
/// with the rule and the numbers kept on the batch and in the audit log. After a resume the rules count afresh, from
/// the numbers the resume left (<see cref="RuleBaseline"/>). Costs nothing while nothing has failed;
/// after that, one grouped count of the batch's failed tasks (by index) per step that ends some of its updates.
/// </summary>
internal static class SafetyRules
{
    public static async Task CheckAsync(WriteScope scope, Batch batch, CancellationToken ct)
    {
        if (batch.Status != BatchStatus.InProgress || batch.FailureRules.Count == 0
            || batch.Counts.Succeeded + batch.Counts.Failed < batch.FailureRules.Min(r => Math.Max(1, r.MinEnded)))
            return;
        var failed = await FailedByWaveAndCodeAsync(scope, batch, ct);
        // What ended before the last resume is not counted again: the operator saw it and chose to go on.
        var baseline = batch.RuleBaseline;
        if (baseline is not null)
            foreach (var key in failed.Keys.ToList())
                failed[key] = Math.Max(0, failed[key] - baseline.FailedWith(key.Wave, key.Code)); // a re-upgrade lowers them
        for (var i = 0; i < batch.FailureRules.Count; i++)
        {
            var rule = batch.FailureRules[i];
            // A wave rule is judged on each started wave's own numbers, a batch rule on the whole batch's.
            var judged = rule.Scope == RuleScope.Wave && batch.HasWaves
                ? Enumerable.Range(1, batch.CurrentWave).Select(w => (Wave: (int?)w, Ended: Math.Max(0, Ended(batch.Waves[w - 1].Counts) - (baseline?.EndedIn(w) ?? 0))))
                : [(Wave: (int?)null, Ended: Math.Max(0, Ended(batch.Counts) - (baseline?.EndedIn(0) ?? 0)))];
            foreach (var (wave, allEnded) in judged)
            {
                var codes = failed.Where(f => wave is null || f.Key.Wave == wave).ToList();
                var ended = allEnded - codes.Where(f => f.Key.Code == FailureCodes.DeviceBusy).Sum(f => f.Value);
                var count = codes.Where(f => Counts(rule.Failures, f.Key.Code)).Sum(f => f.Value);
                if (ended < Math.Max(1, rule.MinEnded) || count == 0 || count * 100m < rule.ThresholdPercent * ended)
                    continue;
                await TripAsync(scope, batch, i, rule, wave, count, ended, ct);
                return;
            }
        }
    }

    private static int Ended(TaskCounts c) => c.Succeeded + c.Failed;

    /// <summary>On resume: the numbers the rules start from, so they judge only updates that end after it.</summary>
    public static async Task SetBaselineAsync(WriteScope scope, Batch batch, CancellationToken ct)
    {
        if (batch.FailureRules.Count == 0 || batch.Counts.Succeeded + batch.Counts.Failed == 0)
        {
            batch.RuleBaseline = null;
            return;
        }
        var failed = await FailedByWaveAndCodeAsync(scope, batch, ct);
        batch.RuleBaseline = new RuleBaseline
        {
            Ended = [new BaselineCount { Wave = 0, Count = Ended(batch.Counts) }, .. batch.Waves.Select((w, i) => new BaselineCount { Wave = i + 1, Count = Ended(w.Counts) })],
            Failed = failed.Where(f => f.Value > 0).Select(f => new BaselineCount { Wave = f.Key.Wave, Code = f.Key.Code, Count = f.Value }).ToList(),
        };
    }

    private static async Task TripAsync(WriteScope scope, Batch batch, int index, FailureRule rule, int? wave, int failed, int ended, CancellationToken ct)
    {
        var percent = Math.Round(failed * 100m / ended, 2);
        var reason = $"rule {index + 1} ({rule}) met{(wave is int w ? $" in wave {w}" : "")}: {failed:N0} of {ended:N0} ended updates failed ({percent.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} %)";
        var details = new { rule = index + 1, failures = rule.Failures, scope = rule.Scope, wave, threshold = rule.ThresholdPercent, minEnded = rule.MinEnded, action = rule.Action, failed, ended, percent };
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
    /// The batch's failed tasks by wave and failure code, as they stand in this step: the stored ones not changed in
    /// it (by index on batch and status), and the ones it changed, from memory (the writer stores them after this).
    /// </summary>
    private static async Task<Dictionary<(int Wave, string Code), int>> FailedByWaveAndCodeAsync(WriteScope scope, Batch batch, CancellationToken ct)
    {
        var changed = scope.Changes.Updated.Where(t => t.BatchId == batch.Id).ToList();
        var changedIds = changed.Select(t => t.Id).ToList();
        var id = batch.Id;
        var stored = await scope.Db.Tasks.AsNoTracking()
            .Where(t => t.BatchId == id && t.Status == OtaTaskStatus.Failed && !changedIds.Contains(t.Id))
            .GroupBy(t => new { t.Wave, t.FailureCode }).Select(g => new { g.Key.Wave, Code = g.Key.FailureCode, Count = g.Count() }).ToListAsync(ct);
        var counts = stored.ToDictionary(x => (x.Wave, x.Code ?? ""), x => x.Count);
        foreach (var t in changed.Concat(scope.Changes.Created.Where(t => t.BatchId == id)).Where(t => t.Status == OtaTaskStatus.Failed))
            counts[(t.Wave, t.FailureCode ?? "")] = counts.GetValueOrDefault((t.Wave, t.FailureCode ?? "")) + 1;
        return counts;
    }
}
