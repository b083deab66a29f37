using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>What an operator does to many of a batch's devices at once.</summary>
public enum BulkTaskAction
{
    Cancel,
    Confirm,
    /// <summary>Update again (ReupgradeOTATask): failed or cancelled tasks start over.</summary>
    Reupgrade,
}

/// <summary>How a bulk action went: tasks changed, and those left as they were, by reason.</summary>
public sealed record BulkTaskResult(int Done, IReadOnlyDictionary<string, int> Skipped)
{
    public int SkippedCount => Skipped.Values.Sum();
    public int Total => Done + SkippedCount;
}

/// <summary>
/// One chunk of a bulk action, in one writer step: the same transitions and checks as the one-device commands, but
/// a task that may not take the action is counted as skipped, with why, instead of refusing the chunk.
/// </summary>
internal static class BulkTaskCommands
{
    /// <summary>Tasks per writer step: short steps, so device reports and the scheduler are never held up long.</summary>
    public const int Chunk = 200;

    public static async Task<BulkTaskResult> RunAsync(WriteScope scope, string batchId, BulkTaskAction action, IReadOnlyList<long> taskIds, CancellationToken ct)
    {
        var batch = await scope.BatchAsync(batchId, ct);
        var ids = taskIds.Distinct().ToList();
        var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.BatchId == batchId && ids.Contains(t.Id)), ct);
        var skipped = new Dictionary<string, int>();
        void Skip(string why, int count = 1)
        {
            if (count > 0)
                skipped[why] = skipped.GetValueOrDefault(why) + count;
        }
        if (tasks.Count < ids.Count)
            Skip("no longer in the batch", ids.Count - tasks.Count);

        var done = 0;
        switch (action)
        {
            case BulkTaskAction.Cancel:
                foreach (var t in tasks)
                {
                    var outcome = TaskStateMachine.Cancel(t, "cancelled by an operator", scope.Changes);
                    if (outcome.Applied)
                        done++;
                    else
                        Skip("already ended"); // only an ended task cannot be cancelled
                }
                break;
            case BulkTaskAction.Confirm:
                if (OperatorCommands.WhyNotConfirmable(batch, scope.Now) is { } why)
                {
                    Skip(why.Message.TrimEnd('.'), tasks.Count);
                    break;
                }
                var confirmable = tasks.Where(t => TaskStateMachine.CanConfirm(t.Status)).ToList();
                Skip("not pending confirmation", tasks.Count - confirmable.Count);
                await OperatorCommands.ConfirmAsync(scope, confirmable, ct);
                done = confirmable.Count;
                break;
            case BulkTaskAction.Reupgrade:
                if (batch.Status == BatchStatus.Canceled)
                {
                    Skip("the batch was cancelled", tasks.Count);
                    break;
                }
                var ended = tasks.Where(t => TaskStateMachine.CanReupgrade(t.Status)).ToList();
                Skip("not failed or cancelled", tasks.Count - ended.Count);
                var (busy, verdicts) = await OperatorCommands.BusyForReupgradeAsync(scope, batch, ended, ct);
                Skip("busy with another update", busy.Count);
                var free = ended.Where(t => !busy.Contains(t.Id)).ToList();
                await OperatorCommands.ReupgradeAsync(scope, batch, free, verdicts, ct);
                done = free.Count;
                break;
        }
        return new BulkTaskResult(done, skipped);
    }

    public static BulkTaskResult Add(BulkTaskResult a, BulkTaskResult b)
    {
        var skipped = new Dictionary<string, int>(a.Skipped);
        foreach (var (why, count) in b.Skipped)
            skipped[why] = skipped.GetValueOrDefault(why) + count;
        return new BulkTaskResult(a.Done + b.Done, skipped);
    }
}
