using OtaConsole.Core.Model;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// Batch-level consequences of task changes, applied at the end of every writer step: status counters,
/// completion, and a verify batch's effect on its package.
/// </summary>
internal static class BatchLifecycle
{
    public static async Task SettleAsync(WriteScope scope, CancellationToken ct)
    {
        foreach (var (batchId, delta) in scope.Changes.Batches)
        {
            var batch = await scope.BatchAsync(batchId, ct);
            delta.ApplyTo(batch);
            scope.TouchedBatches.Add(batchId);
        }

        foreach (var batch in scope.LoadedBatches.Where(b => scope.TouchedBatches.Contains(b.Id)).ToList())
        {
            // A dynamic batch is a standing policy: it ends only when cancelled.
            if (batch.Status == BatchStatus.InProgress && !batch.IsDynamic && batch.Counts.Unfinished == 0)
            {
                batch.Status = BatchStatus.Completed;
                batch.EndedAt = scope.Now;
                batch.ModifiedAt = scope.Now;
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
        if (package.Status != status || package.VerifyProgress != progress)
        {
            package.Status = status;
            package.VerifyProgress = progress;
            package.ModifiedAt = scope.Now;
            scope.TouchedPackages.Add(package.Id);
        }
    }
}
