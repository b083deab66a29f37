using OtaConsole.Core.Model;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// One device, one active update (reference §3.3): what a new task of <paramref name="batch"/> does about the
/// device's unfinished tasks in other batches. Without multi-module mode every module counts; with it, only
/// the same module. The new batch overwrites (cancels) them when OverwriteMode=2 or multi-module mode allows
/// and none is In upgrade; otherwise the new task fails with the reason.
/// </summary>
internal static class TaskConflicts
{
    public readonly record struct Verdict(string? BusyWith, IReadOnlyList<UpdateTask> ToOverwrite);

    private static readonly Verdict Free = new(null, []);

    public static Verdict Judge(IEnumerable<UpdateTask>? unfinishedOfDevice, Batch batch)
    {
        if (unfinishedOfDevice is null)
            return Free;
        var relevant = unfinishedOfDevice
            .Where(t => t.BatchId != batch.Id && TaskStateMachine.IsUnfinished(t.Status)
                        && (!batch.MultiModuleMode || t.ModuleName == batch.ModuleName))
            .ToList();
        if (relevant.Count == 0)
            return Free;
        var mayOverwrite = batch.OverwriteMode == OverwriteMode.Overwrite || batch.MultiModuleMode;
        if (mayOverwrite && relevant.All(t => TaskStateMachine.CanBeOverwritten(t.Status)))
            return new(null, relevant);
        var blocker = relevant.FirstOrDefault(t => !TaskStateMachine.CanBeOverwritten(t.Status)) ?? relevant[0];
        var why = mayOverwrite
            ? $"the device is already updating (In upgrade) in batch {blocker.BatchId}; an In upgrade task is never overwritten"
            : $"the device has an unfinished task ({blocker.Status}) in batch {blocker.BatchId}, and this batch does not overwrite";
        return new(why, []);
    }
}
