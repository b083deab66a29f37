using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// Applies a run of device events in one writer step: presence, versions, progress, requests. One query loads
/// the devices' state and one their unfinished tasks; then each event goes, in order, to the state machine.
/// </summary>
internal sealed class DeviceEventApplier(DeviceDirectory directory)
{
    /// <summary>A dynamic batch matches the same device at most this many times (reference §3.4).</summary>
    public const int MaxDynamicMatches = 10;

    private sealed class DeviceState(long id, bool online, string? groupId, DateTimeOffset? presenceAt, DateTimeOffset? lastSeenAt)
    {
        public long Id { get; } = id;
        public bool Online { get; set; } = online;
        public string? GroupId { get; } = groupId;
        public DateTimeOffset? PresenceAt { get; set; } = presenceAt;
        public DateTimeOffset? LastSeenAt { get; set; } = lastSeenAt;
        public List<UpdateTask> Tasks { get; } = [];
    }

    public async Task<int> ApplyAsync(WriteScope scope, IReadOnlyList<DeviceEvent> events, CancellationToken ct)
    {
        var ids = await directory.ResolveAsync(scope.Db, events.Select(e => e.Device).Distinct(), ct);
        if (ids.Count == 0)
            return events.Count;

        var idList = ids.Values.Distinct().ToList();
        var devices = (await scope.Store.DeviceStatesAsync(idList, ct))
            .ToDictionary(d => d.Key, d => new DeviceState(d.Key, d.Value.Online, d.Value.GroupId, d.Value.PresenceAt, d.Value.LastSeenAt));
        foreach (var t in await scope.UnfinishedTasksOfAsync(idList, ct))
            devices[t.DeviceId].Tasks.Add(t);
        var unknown = 0;
        foreach (var e in events)
        {
            if (!ids.TryGetValue(e.Device, out var id) || !devices.TryGetValue(id, out var device))
            {
                unknown++;
                continue;
            }
            switch (e)
            {
                case DeviceConnected c:
                    if (IsCurrent(device, c.At))
                        await SetOnlineAsync(scope, device, true, resend: true, ct, c.At);
                    break;
                case DeviceDisconnected d:
                    if (IsCurrent(device, d.At))
                        await SetOnlineAsync(scope, device, false, resend: false, ct, d.At);
                    break;
                case VersionReported v:
                    await SetOnlineAsync(scope, device, true, resend: false, ct);
                    await ReportVersionAsync(scope, device, e.Device, DeviceEvent.ModuleOrDefault(v.Module), v.Version, ct);
                    break;
                case ProgressReported p:
                    await SetOnlineAsync(scope, device, true, resend: false, ct);
                    if (FindTask(device, p.Module) is { } task)
                        TaskStateMachine.ReportProgress(task, p.Step, p.Desc, scope.Changes);
                    break;
                case FirmwareRequested f:
                    await SetOnlineAsync(scope, device, true, resend: false, ct);
                    await AnswerRequestAsync(scope, device, f, ct);
                    break;
                case NoticeUndelivered u:
                    foreach (var t in device.Tasks.Where(t => u.TaskId == 0 ? t.Status is OtaTaskStatus.Notified or OtaTaskStatus.InProgress : t.Id == u.TaskId))
                        TaskStateMachine.NoticeUndelivered(t, u.Reason, scope.Changes);
                    break;
            }
        }
        return unknown;
    }

    /// <summary>
    /// Whether a presence event is newer than the last one applied, by the broker's stamps: with a shared
    /// subscription a disconnect can reach one node after the later connect reached another. Unstamped events
    /// (the embedded broker, which sees them in order) always are.
    /// </summary>
    private static bool IsCurrent(DeviceState device, DateTimeOffset? at)
    {
        if (at is not { } stamp)
            return true;
        if (device.PresenceAt is { } last && stamp < last)
            return false;
        device.PresenceAt = stamp;
        return true;
    }

    /// <summary>
    /// Presence. Any message proves the device online (an external broker may not tell us of connects);
    /// only a real connect re-sends pending notices. A connect or disconnect carries the broker's stamp, if any.
    /// </summary>
    private static async Task SetOnlineAsync(WriteScope scope, DeviceState device, bool online, bool resend, CancellationToken ct, DateTimeOffset? stamp = null)
    {
        if (device.Online == online && !resend && stamp is null)
        {
            // Where silence means offline (Ota:Rollout:OfflineAfterSilence), a message keeps the device's last-seen
            // time fresh: written at most once a quarter of that time, not on every message.
            if (online && scope.Options.OfflineAfterSilence > TimeSpan.Zero
                && (device.LastSeenAt is not { } seen || scope.Now - seen >= scope.Options.OfflineAfterSilence / 4))
            {
                device.LastSeenAt = scope.Now;
                scope.SetPresence(device.Id, true);
            }
            return;
        }
        device.Online = online;
        device.LastSeenAt = scope.Now;
        scope.SetPresence(device.Id, online, stamp);
        foreach (var t in device.Tasks.Where(t => TaskStateMachine.IsUnfinished(t.Status)))
        {
            var batch = await scope.BatchAsync(t.BatchId, ct);
            var q = new QueueContext(batch.Status == BatchStatus.Planned, online, batch.NeedPush);
            if (resend)
                TaskStateMachine.Reconnected(t, q, scope.Changes);
            else
                TaskStateMachine.Requeue(t, q, scope.Changes);
        }
    }

    private async Task ReportVersionAsync(WriteScope scope, DeviceState device, DeviceKey key, string module, string version, CancellationToken ct)
    {
        scope.SetVersion(device.Id, module, version);
        foreach (var t in device.Tasks.Where(t => t.ModuleName == module && TaskStateMachine.IsUnfinished(t.Status)).ToList())
            TaskStateMachine.ReportVersion(t, version, scope.Changes);
        await MatchDynamicAsync(scope, device, key, module, version, ct);
    }

    /// <summary>
    /// A version report may bring the device under a running dynamic batch of its product and module: the
    /// newest matching policy wins, a device is matched at most 10 times, and the one-active-task rule holds.
    /// </summary>
    private static async Task MatchDynamicAsync(WriteScope scope, DeviceState device, DeviceKey key, string module, string version, CancellationToken ct)
    {
        var policies = await DynamicPoliciesAsync(scope, key.ProductKey, ct);
        foreach (var batch in policies.Where(b => b.ModuleName == module && b.SrcVersions.Contains(version)).OrderByDescending(b => b.CreatedAt))
        {
            if (batch.GroupId is not null && !(device.GroupId is not null && (await GroupsUnderAsync(scope, batch.GroupId, ct)).Contains(device.GroupId)))
                continue;
            if (device.Tasks.Any(t => t.BatchId == batch.Id && TaskStateMachine.IsUnfinished(t.Status)))
                return;
            var id = batch.Id;
            var matches = await scope.Db.Tasks.CountAsync(t => t.DeviceId == device.Id && t.BatchId == id, ct)
                          + scope.Changes.Created.Count(t => t.DeviceId == device.Id && t.BatchId == id);
            if (matches >= MaxDynamicMatches)
                return;

            var package = await scope.PackageAsync(batch.PackageId, ct);
            var verdict = TaskConflicts.Judge(device.Tasks, batch);
            if (verdict.BusyWith is not null)
                return; // a standing policy waits for the device to be free rather than failing it
            foreach (var old in verdict.ToOverwrite)
                TaskStateMachine.Cancel(old, $"overwritten by batch {batch.Id}", scope.Changes);
            var task = BatchCreator.NewTask(batch, package, device.Id, key.DeviceName, version);
            TaskStateMachine.Start(task, new QueueContext(false, device.Online, batch.NeedPush), batch.NeedConfirm, null, scope.Changes);
            device.Tasks.Add(task);
            return;
        }
    }

    private static async Task<List<Batch>> DynamicPoliciesAsync(WriteScope scope, string productKey, CancellationToken ct)
    {
        var cacheKey = "dynamic:" + productKey;
        if (scope.Memo.TryGetValue(cacheKey, out var cached))
            return (List<Batch>)cached;
        var list = await scope.LoadBatchesAsync(scope.Db.Batches.Where(b => b.ProductKey == productKey
            && b.Selection == SelectionType.Dynamic && (b.Status == BatchStatus.InProgress || b.Status == BatchStatus.Paused)), ct);
        scope.Memo[cacheKey] = list;
        return list;
    }

    private static async Task<HashSet<string>> GroupsUnderAsync(WriteScope scope, string groupId, CancellationToken ct)
    {
        var cacheKey = "group:" + groupId;
        if (scope.Memo.TryGetValue(cacheKey, out var cached))
            return (HashSet<string>)cached;
        HashSet<string> set;
        try
        {
            set = await TargetResolver.GroupWithDescendantsAsync(scope.Db, groupId, ct);
        }
        catch (OtaException)
        {
            set = []; // the group was deleted: the policy matches nobody
        }
        scope.Memo[cacheKey] = set;
        return set;
    }

    /// <summary>
    /// The device's unfinished task for a module. Devices often omit the module (SDK 3.x never sends it),
    /// so a report without one goes to the device's only pushed task when there is exactly one.
    /// </summary>
    private static UpdateTask? FindTask(DeviceState device, string? module)
    {
        var name = DeviceEvent.ModuleOrDefault(module);
        var exact = device.Tasks.FirstOrDefault(t => t.ModuleName == name && TaskStateMachine.IsUnfinished(t.Status));
        if (exact is not null || name != OtaModule.Default)
            return exact;
        var pushed = device.Tasks.Where(t => t.Status is OtaTaskStatus.Notified or OtaTaskStatus.InProgress).ToList();
        return pushed.Count == 1 ? pushed[0] : null;
    }

    private static bool MayHandOut(Batch batch, UpdateTask task, DateTimeOffset now) =>
        batch.Status != BatchStatus.Paused && task.Wave <= batch.CurrentWave
        && (batch.Window is not { } window || MaintenanceWindows.IsOpen(window, now));

    private static async Task AnswerRequestAsync(WriteScope scope, DeviceState device, FirmwareRequested f, CancellationToken ct)
    {
        var task = FindTask(device, f.Module);
        UpdateNotice? notice = null;
        // A queued task is handed out on asking only when it could be pushed: not while its batch is paused, outside its
        // maintenance window, or before its wave; the device is told there is no update for now.
        if (task is not null && task.Status == OtaTaskStatus.Queued && !MayHandOut(await scope.BatchAsync(task.BatchId, ct), task, scope.Now))
            task = null;
        // Nor does a quarantined device get a new update by asking for it.
        if (task is not null && task.Status == OtaTaskStatus.Queued && await scope.Db.Devices.AnyAsync(d => d.Id == task.DeviceId && d.QuarantinedUntil > scope.Now, ct))
            task = null;
        if (task is not null)
        {
            var wasQueued = task.Status == OtaTaskStatus.Queued;
            if (TaskStateMachine.Request(task, scope.Changes).Applied)
            {
                var batch = await scope.BatchAsync(task.BatchId, ct);
                // A pull hands out a download link like a push does, so it uses up the batch's rate too.
                if (wasQueued)
                    batch.RateSegmentPushed++;
                notice = UpdateNotice.For(task, batch, await scope.PackageAsync(task.PackageId, ct), NoticeCause.Push);
            }
        }
        scope.Replies.Add(new FirmwareReply(f.Device, f.RequestId, notice));
    }
}
