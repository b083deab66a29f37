using OtaConsole.Core.Model;
using OtaConsole.Core.Webhooks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// A batch's status, in one place: it starts (at once, or at its schedule time), completes when no task is
/// left unfinished (a dynamic batch never completes by itself), is cancelled, or is reopened by a reupgrade.
/// At the end of every writer step its counters follow its tasks, and a verify batch settles its package.
/// </summary>
internal static class BatchLifecycle
{
    public static void Start(WriteScope scope, Batch batch)
    {
        batch.Status = BatchStatus.InProgress;
        batch.StartedAt = scope.Now;
        if (batch.Current is { StartedAt: null } first)
            first.StartedAt = scope.Now;
        Touch(scope, batch);
        PushScheduler.RestartStretch(batch, scope.Now, batch.PushRate.RateAfter(PushScheduler.CountedForRamp(batch)));
        OtaEvents.Batch(scope, batch, OtaEventTypes.BatchStarted);
    }

    public static void Cancel(WriteScope scope, Batch batch)
    {
        batch.Status = BatchStatus.Canceled;
        batch.EndedAt = scope.Now;
        batch.PauseReason = null; // a pause before the cancel is history; a safety cancel sets its own reason after this
        batch.EditVersion++;
        Touch(scope, batch);
        OtaEvents.Batch(scope, batch, OtaEventTypes.BatchCancelled);
    }

    /// <summary>Nothing new is pushed until it is resumed; tasks already pushed or in upgrade carry on, their timeouts run.</summary>
    public static void Pause(WriteScope scope, Batch batch, string reason)
    {
        batch.Status = BatchStatus.Paused;
        batch.PausedAt = scope.Now;
        batch.PauseReason = reason;
        batch.EditVersion++;
        Touch(scope, batch);
        OtaEvents.Batch(scope, batch, OtaEventTypes.BatchPaused, reason);
    }

    /// <summary>Pushing again, paced from now: the time spent paused is no allowance to catch up with a burst.</summary>
    public static void Resume(WriteScope scope, Batch batch)
    {
        batch.Status = BatchStatus.InProgress;
        batch.PauseReason = null;
        batch.EditVersion++;
        Touch(scope, batch);
        PushScheduler.RestartStretch(batch, scope.Now, batch.PushRate.RateAfter(PushScheduler.CountedForRamp(batch)));
        OtaEvents.Batch(scope, batch, OtaEventTypes.BatchResumed);
    }

    /// <summary>A completed batch runs again when some of its tasks are updated again.</summary>
    public static void Reopen(WriteScope scope, Batch batch)
    {
        if (batch.Status != BatchStatus.Completed)
            return;
        batch.Status = BatchStatus.InProgress;
        batch.EndedAt = null;
        Touch(scope, batch);
        PushScheduler.RestartStretch(batch, scope.Now, batch.PushRate.RateAfter(PushScheduler.CountedForRamp(batch)));
        OtaEvents.Batch(scope, batch, OtaEventTypes.BatchStarted, "reopened: some of its tasks are updated again");
    }

    private static void Touch(WriteScope scope, Batch batch)
    {
        batch.ModifiedAt = scope.Now;
        scope.TouchedBatches.Add(batch.Id);
    }

    public static async Task SettleAsync(WriteScope scope, CancellationToken ct)
    {
        var judge = new List<Batch>();
        foreach (var (batchId, delta) in scope.Changes.TakeDeltas())
        {
            var batch = await scope.BatchAsync(batchId, ct);
            delta.ApplyTo(batch, scope.Now);
            scope.TouchedBatches.Add(batchId);
            // The safety rules are judged when ended updates grow and some failed, in the step that brought them:
            // the pause is committed with the report that tripped it, before the next tick could push anyone else.
            if (delta.Count(OtaTaskStatus.Failed) > 0 || (delta.Count(OtaTaskStatus.Succeeded) > 0 && batch.Counts.Failed > 0))
                judge.Add(batch);
        }
        foreach (var batch in judge)
            await SafetyRules.CheckAsync(scope, batch, ct);
        if (judge.Count > 0)
            await Quarantine.JudgeAsync(scope, ct);
        // A rule whose action is Cancel cancelled tasks: their counters follow in the same step.
        foreach (var (batchId, delta) in scope.Changes.TakeDeltas())
            delta.ApplyTo(await scope.BatchAsync(batchId, ct), scope.Now);

        foreach (var batch in scope.LoadedBatches.Where(b => scope.TouchedBatches.Contains(b.Id)).ToList())
        {
            // A dynamic batch is a standing policy: it ends only when cancelled. A paused batch whose every task
            // ended (none was left to push) has nothing left to resume.
            if (batch.IsActive && !batch.IsDynamic && batch.Counts.Unfinished == 0)
            {
                batch.Status = BatchStatus.Completed;
                batch.EndedAt = scope.Now;
                Touch(scope, batch);
                OtaEvents.Batch(scope, batch, OtaEventTypes.BatchCompleted);
            }
            if (batch.Kind == BatchKind.Verify)
                await SettleVerificationAsync(scope, batch, ct);
        }
    }

    /// <summary>Verifying while the verify batch runs; verified when every task succeeded, failed otherwise.</summary>
    private static async Task SettleVerificationAsync(WriteScope scope, Batch batch, CancellationToken ct)
    {
        var package = await scope.PackageAsync(batch.PackageId, ct);
        if (package.Status == PackageStatus.NoVerificationNeeded)
            return;
        var total = batch.Counts.Total;
        var progress = total == 0 ? 0 : (total - batch.Counts.Unfinished) * 100 / total;
        var status = batch.Status switch
        {
            BatchStatus.Completed => batch.Counts.Succeeded == total ? PackageStatus.Verified : PackageStatus.VerificationFailed,
            BatchStatus.Canceled => PackageStatus.Unverified,
            _ => PackageStatus.Verifying,
        };
        if (status == PackageStatus.Unverified)
            progress = 0;
        if (status == PackageStatus.VerificationFailed && package.VerifyFailure is null)
            package.VerifyFailure = $"{total - batch.Counts.Succeeded} of {total} test devices did not update";
        else if (status != PackageStatus.VerificationFailed)
            package.VerifyFailure = null;
        if (package.Status != status || package.VerifyProgress != progress)
        {
            var settled = package.Status != status && status is PackageStatus.Verified or PackageStatus.VerificationFailed;
            package.Status = status;
            package.VerifyProgress = progress;
            package.ModifiedAt = scope.Now;
            scope.TouchedPackages.Add(package.Id);
            if (settled)
                scope.Outbox.Add(OtaEvents.Package(package, status == PackageStatus.Verified ? OtaEventTypes.PackageVerified : OtaEventTypes.PackageVerificationFailed, scope.Now));
        }
    }
}
