using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// Ota:Rollout:OfflineAfterSilence, for an external broker that publishes no connect or disconnect events: a
/// device counted online that has sent nothing for that long is counted offline, and its queued tasks wait for it
/// instead of being pushed into the void. Its next message brings it back (the event applier) and they go out.
/// </summary>
internal static class SilentDevices
{
    /// <summary>Bounds one tick's work, as the other sweeps do; the rest goes a tick later.</summary>
    private const int MaxPerTick = 2000;

    /// <summary>Each tick: the online devices silent longest, by the partial index on LastSeenAt, go offline.</summary>
    public static async Task SweepAsync(WriteScope scope, CancellationToken ct)
    {
        var silence = scope.Options.OfflineAfterSilence;
        if (silence <= TimeSpan.Zero)
            return;
        var cutoff = scope.Now - silence;
        // A device that never sent anything (LastSeenAt null) is left alone: it has never been counted online by a message.
        var silent = await scope.Db.Devices.Where(d => d.IsOnline && d.LastSeenAt < cutoff)
            .OrderBy(d => d.LastSeenAt).Take(MaxPerTick).ToListAsync(ct);
        if (silent.Count == 0)
            return;
        // The tracked rows are changed rather than SetPresence, which would stamp LastSeenAt with now: the device
        // list keeps showing when each device was last heard from.
        foreach (var d in silent)
            d.IsOnline = false;
        scope.DevicesChanged = true;
        var tasks = await scope.UnfinishedTasksOfAsync(silent.Select(d => d.Id).ToList(), ct);
        foreach (var t in tasks.Where(t => t.Status == OtaTaskStatus.Queued))
        {
            var batch = await scope.BatchAsync(t.BatchId, ct);
            TaskStateMachine.Requeue(t, new QueueContext(batch.Status == BatchStatus.Planned, DeviceOnline: false, batch.NeedPush), scope.Changes);
        }
    }
}
