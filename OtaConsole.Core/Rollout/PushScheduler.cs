using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// One scheduler tick (four a second, <see cref="PushPacing.Tick"/>): start batches whose time has come, cancel what a schedule's end left
/// unpushed, fire timeouts and due retries, and push waiting tasks at each batch's rate.
/// </summary>
internal static class PushScheduler
{
    /// <summary>Bounds one tick's timeout and retry work so a tick stays a short transaction; the rest waits a tick.</summary>
    private const int MaxDuePerTick = 5000;

    public static async Task TickAsync(WriteScope scope, CancellationToken ct)
    {
        // Another node holds the scheduler: its ticks do this work, and this node only applies events and commands.
        if (!await SchedulerLeases.TryHoldAsync(scope, ct))
            return;
        await StartScheduledAsync(scope, ct);
        await FinishSchedulesAsync(scope, ct);
        await EndVerificationsAsync(scope, ct);
        await FireTimeoutsAsync(scope, ct);
        await FireRetriesAsync(scope, ct);
        await FireNoticesAsync(scope, ct);
        await Quarantine.ReleaseDueAsync(scope, ct);
        await SilentDevices.SweepAsync(scope, ct);
        await Waves.AdvanceAsync(scope, ct);
        await PushAsync(scope, ct);
    }

    private static async Task StartScheduledAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        var due = await scope.LoadBatchesAsync(scope.Db.Batches.Where(b => b.Status == BatchStatus.Planned && b.ScheduleTime <= now), ct);
        foreach (var batch in due)
        {
            BatchLifecycle.Start(scope, batch);
            var id = batch.Id;
            await RequeueAsync(scope, batch, scope.Db.Tasks.Where(t => t.BatchId == id && t.Status == OtaTaskStatus.Queued), ct);
        }
    }

    private static async Task FinishSchedulesAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        var ending = await scope.LoadBatchesAsync(scope.Db.Batches.Where(b => (b.Status == BatchStatus.InProgress || b.Status == BatchStatus.Paused)
            && b.ScheduleFinishTime <= now && (b.Counts.Queued > 0 || b.Counts.Confirm > 0)), ct);
        foreach (var batch in ending)
        {
            var id = batch.Id;
            var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.BatchId == id
                && (t.Status == OtaTaskStatus.Queued || t.Status == OtaTaskStatus.Confirm)), ct);
            foreach (var t in tasks)
                TaskStateMachine.Cancel(t, "the batch's finish time passed before the task was pushed", scope.Changes);
        }
    }

    /// <summary>A verify batch past its deadline: its unfinished tasks fail, and with them the package's verification.</summary>
    private static async Task EndVerificationsAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        var due = await scope.LoadBatchesAsync(scope.Db.Batches.Where(b => b.Kind == BatchKind.Verify && (b.Status == BatchStatus.InProgress || b.Status == BatchStatus.Paused) && b.DeadlineAt <= now), ct);
        foreach (var batch in due)
        {
            var id = batch.Id;
            var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.BatchId == id && TaskStateMachine.UnfinishedStatuses.Contains(t.Status)), ct);
            if (tasks.Count == 0)
                continue;
            var online = await OnlineDevicesAsync(scope, scope.Db.Tasks.Where(t => t.BatchId == id), ct);
            var minutes = (int)Math.Round((now - (batch.StartedAt ?? batch.CreatedAt)).TotalMinutes);
            foreach (var t in tasks)
                TaskStateMachine.VerifyDeadlinePassed(t, online.Contains(t.DeviceId)
                    ? $"verification timed out after {minutes} min: the device did not report {t.DestVersion}"
                    : $"verification timed out after {minutes} min: the device was offline", scope.Changes);
            var offline = tasks.Count(t => !online.Contains(t.DeviceId));
            var package = await scope.PackageAsync(batch.PackageId, ct);
            package.VerifyFailure = $"timed out after {minutes} min: {tasks.Count} of {batch.Counts.Total} test devices did not finish" + (offline > 0 ? $" ({offline} offline)" : "");
        }
    }

    private static async Task FireTimeoutsAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.TimeoutAt <= now).OrderBy(t => t.TimeoutAt).Take(MaxDuePerTick), ct);
        foreach (var t in tasks)
            TaskStateMachine.TimeoutDue(t, scope.Changes);
    }

    private static async Task FireRetriesAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.RetryDueAt <= now).OrderBy(t => t.RetryDueAt).Take(MaxDuePerTick), ct);
        foreach (var t in tasks)
            TaskStateMachine.RetryDue(t, scope.Changes);
    }

    /// <summary>Notices due by themselves: after a reconnect's grace, for silent Pushed tasks, after a failed delivery.</summary>
    private static async Task FireNoticesAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.NoticeDueAt <= now).OrderBy(t => t.NoticeDueAt).Take(MaxDuePerTick), ct);
        foreach (var t in tasks)
            TaskStateMachine.NoticeDue(t, scope.Changes);
    }

    private static async Task PushAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        // A dynamic batch whose policy was cancelled without its tasks still pushes them, at its rate, to their end.
        // A paused batch is not among them: its waiting tasks cost nothing per tick.
        var batches = await scope.LoadBatchesAsync(scope.Db.Batches.Where(b => (b.Status == BatchStatus.InProgress
            || (b.Status == BatchStatus.Canceled && b.Selection == SelectionType.Dynamic)) && b.NeedPush && b.Counts.Queued > 0), ct);
        foreach (var batch in batches)
        {
            // Outside its maintenance window a batch pushes nothing and reads none of its tasks. When the window
            // opens again the pacing restarts from then (the burst cap below), without catching up.
            if (batch.Window is { } window && !MaintenanceWindows.IsOpen(window, now))
                continue;
            var rate = batch.PushRate.RateAfter(CountedForRamp(batch));
            // A stretch is paced from its first tick that can push: the seconds a long step took to create a large
            // batch (or to start it) are no allowance, or the first minute would carry more than the rate.
            if (rate != batch.RateSegmentPerMinute || (batch.RateSegmentPushed == 0 && batch.RateSegmentStart < now))
                RestartStretch(batch, now, rate);
            var allowed = PushPacing.AllowedSince(batch.RateSegmentStart, now, rate);
            var due = allowed - batch.RateSegmentPushed;
            if (due > PushPacing.BurstCap(rate))
            {
                // The scheduler was not running for a while: pace from now instead of paying the debt at once.
                RestartStretch(batch, now, rate);
                allowed = 1;
                due = 1;
            }
            if (due <= 0)
                continue;

            var id = batch.Id;
            // Only the current wave and those before it (a task of an earlier wave whose device came online late);
            // in wave order, so the index walk stops at the current wave. A quarantined device's task is passed
            // over, and pushed in its turn once the device is released.
            var wave = batch.CurrentWave;
            var tasks = await scope.LoadTasksAsync(scope.Db.Tasks
                .Where(t => t.BatchId == id && t.Status == OtaTaskStatus.Queued && t.QueueReason == QueueReason.WaitingForSlot && t.Wave <= wave
                    && !scope.Db.Devices.Any(d => d.Id == t.DeviceId && d.QuarantinedUntil > now))
                .OrderBy(t => t.Wave).ThenBy(t => t.Id).Take((int)due), ct);
            // A task this step already moved (its device fell silent, SilentDevices) is read back as waiting and
            // refused by Push: only the pushes made count against the allowance.
            var pushed = tasks.Count(t => TaskStateMachine.Push(t, scope.Changes).Applied);
            // Allowance nobody used is not banked: a crowd that comes online later is still paced.
            batch.RateSegmentPushed = tasks.Count < due ? allowed : batch.RateSegmentPushed + pushed;
        }
    }

    /// <summary>Re-judges why each queued task waits, from its batch's state and its device's presence.</summary>
    internal static async Task RequeueAsync(WriteScope scope, Batch batch, IQueryable<UpdateTask> tasks, CancellationToken ct)
    {
        var online = await OnlineDevicesAsync(scope, tasks, ct);
        foreach (var t in await scope.LoadTasksAsync(tasks, ct))
            TaskStateMachine.Requeue(t, new QueueContext(batch.Status == BatchStatus.Planned, online.Contains(t.DeviceId), batch.NeedPush), scope.Changes);
    }

    internal static async Task<HashSet<long>> OnlineDevicesAsync(WriteScope scope, IQueryable<UpdateTask> tasks, CancellationToken ct) =>
        (await tasks.Join(scope.Db.Devices.Where(d => d.IsOnline), t => t.DeviceId, d => d.Id, (t, d) => d.Id).ToListAsync(ct)).ToHashSet();

    internal static long CountedForRamp(Batch b) => b.PushRate.RampCriterion == RampCriterion.Succeeded ? b.Counts.Succeeded : b.PushedCount;

    internal static void RestartStretch(Batch batch, DateTimeOffset now, int perMinute)
    {
        batch.RateSegmentStart = now;
        batch.RateSegmentPushed = 0;
        batch.RateSegmentPerMinute = perMinute;
    }
}
