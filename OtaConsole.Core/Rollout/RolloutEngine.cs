using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// The rollout engine: everything that changes batches and tasks, for the console, the API, the device bridge
/// and the scheduler alike. Each call is one step of the single <see cref="EngineWriter"/>.
/// </summary>
public sealed class RolloutEngine(EngineWriter writer, IDbContextFactory<OtaDbContext> dbs, DeviceDirectory directory)
{
    private readonly DeviceEventApplier _events = new(directory);

    public TimeProvider Time => writer.Time;

    /// <summary>What a batch would do, without creating it: devices reached, offline, busy, skipped and why, push time.</summary>
    public async Task<BatchPreview> PreviewBatchAsync(Actor actor, CreateBatchRequest request, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await BatchCreator.PreviewAsync(db, actor, request, Time.GetUtcNow(), ct);
    }

    public Task<BatchCreated> CreateBatchAsync(Actor actor, CreateBatchRequest request, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.create", "start a batch update", "package", request.PackageId, request),
            (s, c) => BatchCreator.CreateAsync(s, request, c), created => ("batch", created.BatchId), ct);

    public Task<int> CancelBatchAsync(Actor actor, string batchId, bool alsoRunningTasks = false, int? expectedEditVersion = null, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.cancel", "cancel a batch", "batch", batchId, new { alsoRunningTasks }),
            (s, c) => OperatorCommands.CancelBatchAsync(s, batchId, alsoRunningTasks, expectedEditVersion, c), null, ct);

    public Task<int> CancelTasksByJobAsync(Actor actor, string batchId, CancelTasksByJob flags, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.cancel-tasks", "cancel tasks", "batch", batchId, flags),
            (s, c) => OperatorCommands.CancelTasksByJobAsync(s, batchId, flags, c), null, ct);

    public Task CancelTaskAsync(Actor actor, long taskId, CancellationToken ct = default) =>
        // Audited on the task's batch, so the batch's history shows it.
        CommandAsync(actor, new("task.cancel", "cancel a device's update", "task", Id(taskId), new { taskId }),
            (s, c) => OperatorCommands.CancelTaskAsync(s, taskId, c), batchId => ("batch", batchId), ct);

    public Task<int> CancelTasksByDeviceAsync(Actor actor, string productKey, string packageId, IReadOnlyList<string> deviceNames, string? batchId = null, CancellationToken ct = default) =>
        CommandAsync(actor, new("task.cancel-by-device", "cancel devices' updates", "package", packageId, new { productKey, deviceNames, batchId }),
            (s, c) => OperatorCommands.CancelTasksByDeviceAsync(s, productKey, packageId, deviceNames, batchId, c), null, ct);

    public Task ConfirmTasksAsync(Actor actor, IReadOnlyList<long> taskIds, CancellationToken ct = default) =>
        CommandAsync(actor, new("task.confirm", "confirm updates", "task", string.Join(",", taskIds), null),
            async (s, c) => { await OperatorCommands.ConfirmTasksAsync(s, taskIds, c); return true; }, null, ct);

    public Task ReupgradeTasksAsync(Actor actor, string batchId, IReadOnlyList<long> taskIds, CancellationToken ct = default) =>
        CommandAsync(actor, new("task.reupgrade", "update devices again", "batch", batchId, new { taskIds }),
            async (s, c) => { await OperatorCommands.ReupgradeTasksAsync(s, batchId, taskIds, c); return true; }, null, ct);

    /// <summary>What rolling a batch back would do: per source version, its devices and the package that returns them (or none).</summary>
    public async Task<List<RollbackStep>> PlanRollbackAsync(Actor actor, string batchId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Rollback.PlanAsync(db, actor, batchId, ct);
    }

    /// <summary>
    /// Rolls a batch back (RollbackOTAJob, ours): a specified-devices batch per source version that has a package,
    /// each with the rate and safety rules given, linked to the batch. Versions without a package are answered.
    /// <paramref name="chosen"/> names the package for a version (one of its candidates); the newest otherwise.
    /// </summary>
    public async Task<RollbackResult> RollbackAsync(Actor actor, string batchId, PushRate rate, IReadOnlyList<FailureRule> rules,
        IReadOnlyDictionary<string, string>? chosen = null, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Operator, "roll a batch back");
        var plan = await PlanRollbackAsync(actor, batchId, ct);
        if (plan.Count == 0)
            throw OtaException.Conflict("NothingToRollBack", $"Batch {batchId} updated no device from a known version: there is nothing to roll back.");
        var packages = Rollback.ChoosePackages(plan, chosen ?? new Dictionary<string, string>());
        var started = new List<(string, string)>();
        foreach (var step in plan.Where(s => packages.ContainsKey(s.Version)))
        {
            var created = await CreateBatchAsync(actor, new CreateBatchRequest
            {
                PackageId = packages[step.Version],
                Target = TargetSelection.Specific,
                DeviceNames = step.DeviceNames,
                PushRate = rate,
                FailureRules = rules,
                RollbackOf = batchId,
                Name = $"Rollback of {batchId} to {step.Version}",
            }, ct);
            started.Add((step.Version, created.BatchId));
        }
        var missing = plan.Where(s => s.Package is null).Select(s => s.Version).ToList();
        await writer.RunAsync((s, c) =>
        {
            Audit.Add(s.Db, actor, s.Now, "batch.rollback", "batch", batchId, new { started = started.Select(x => new { version = x.Item1, batch = x.Item2 }), withoutPackage = missing });
            return Task.CompletedTask;
        }, ct);
        return new RollbackResult(started, missing);
    }

    /// <summary>Stops pushing (PauseOTAJob, ours): tasks already pushed or in upgrade carry on.</summary>
    public Task PauseBatchAsync(Actor actor, string batchId, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.pause", "pause a batch", "batch", batchId, null),
            async (s, c) => { await OperatorCommands.PauseBatchAsync(s, batchId, actor.Name, c); return true; }, null, ct);

    /// <summary>Pushes again, paced from now (ResumeOTAJob, ours).</summary>
    public Task ResumeBatchAsync(Actor actor, string batchId, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.resume", "resume a batch", "batch", batchId, null),
            async (s, c) => { await OperatorCommands.ResumeBatchAsync(s, batchId, c); return true; }, null, ct);

    /// <summary>Starts the next wave of a batch whose current wave passed and whose next one waits for approval (StartNextOTAJobWave, ours).</summary>
    public Task<int> StartNextWaveAsync(Actor actor, string batchId, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.wave-approve", "start the next wave", "batch", batchId, null),
            (s, c) => OperatorCommands.StartNextWaveAsync(s, batchId, actor.Name, c), null, ct);

    /// <summary>An operator lets a quarantined device take updates again before its cooling time is over.</summary>
    public Task ReleaseQuarantineAsync(Actor actor, string productKey, string deviceName, CancellationToken ct = default) =>
        CommandAsync(actor, new("device.release", "release a device from quarantine", "device", $"{productKey}/{deviceName}", null),
            async (s, c) =>
            {
                var device = await s.Db.Devices.VisibleTo(actor).FirstOrDefaultAsync(d => d.ProductKey == productKey && d.DeviceName == deviceName, c)
                             ?? throw OtaException.NotFound("Device", $"{productKey}/{deviceName}");
                if (device.QuarantinedUntil is null)
                    throw OtaException.Conflict("DeviceNotQuarantined", $"Device {deviceName} is not in quarantine.");
                Quarantine.Release(device);
                s.DevicesChanged = true;
                return true;
            }, null, ct);

    public Task UpdatePushRateAsync(Actor actor, string batchId, PushRate rate, int? expectedEditVersion = null, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.edit-rate", "change a batch's push rate", "batch", batchId, new { rate = rate.ToString() }),
            async (s, c) => { await OperatorCommands.UpdatePushRateAsync(s, batchId, rate, expectedEditVersion, c); return true; }, null, ct);

    public Task UpdateTagsAsync(Actor actor, string batchId, IReadOnlyList<BatchTag> tags, int? expectedEditVersion = null, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.edit-tags", "change a batch's tags", "batch", batchId, new { tags }),
            async (s, c) => { await OperatorCommands.UpdateTagsAsync(s, batchId, tags, expectedEditVersion, c); return true; }, null, ct);

    public Task UpdateDynamicPolicyAsync(Actor actor, string batchId, int? timeoutMinutes, IReadOnlyList<string>? srcVersions, int? expectedEditVersion = null, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.edit-policy", "change a dynamic batch's policy", "batch", batchId, new { timeoutMinutes, srcVersions }),
            async (s, c) => { await OperatorCommands.UpdateDynamicPolicyAsync(s, batchId, timeoutMinutes, srcVersions, expectedEditVersion, c); return true; }, null, ct);

    /// <summary>
    /// A bulk action on a batch's tasks: those named, or every task the Device List's filter matches now. Done in
    /// chunks, one writer step (and one audit row) each; a task that may not take the action is skipped and counted.
    /// </summary>
    public async Task<BulkTaskResult> BulkAsync(Actor actor, string batchId, BulkTaskAction action, IReadOnlyList<long>? taskIds, DeviceListQuery? matching, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Operator, "act on many devices");
        List<long> ids;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            if (!await db.Batches.VisibleTo(actor).AnyAsync(b => b.Id == batchId, ct))
                throw OtaException.NotFound("Job", batchId);
            ids = taskIds is not null ? [.. taskIds.Distinct()]
                : matching is not null ? await BatchQueries.Filter(db, actor, matching with { BatchId = batchId }).OrderBy(t => t.Id).Select(t => t.Id).ToListAsync(ct)
                : [];
        }
        var result = new BulkTaskResult(0, new Dictionary<string, int>());
        var verb = action.ToString().ToLowerInvariant();
        foreach (var chunk in ids.Chunk(BulkTaskCommands.Chunk))
        {
            var part = await CommandAsync(actor, new($"task.bulk-{verb}", "act on many devices", "batch", batchId, new { action = verb, tasks = chunk.Length, firstTaskId = chunk[0], lastTaskId = chunk[^1] }),
                (s, c) => BulkTaskCommands.RunAsync(s, batchId, action, chunk, c), null, ct);
            result = BulkTaskCommands.Add(result, part);
        }
        return result;
    }

    /// <summary>Several changes to a running batch in one step: all of them are made or, when any is refused, none.</summary>
    public Task EditBatchAsync(Actor actor, string batchId, BatchEdit edit, int? expectedEditVersion = null, CancellationToken ct = default) =>
        CommandAsync(actor, new("batch.edit", "edit a batch", "batch", batchId, edit),
            async (s, c) => { await OperatorCommands.EditBatchAsync(s, batchId, edit, expectedEditVersion, c); return true; }, null, ct);

    /// <summary>
    /// An operator's or a key's command: refused unless the actor's role allows it; in one writer step with its
    /// audit row, so no change goes unaudited; a refusal is audited on its own, with nothing changed.
    /// </summary>
    private async Task<T> CommandAsync<T>(Actor actor, AuditedCommand command, Func<WriteScope, CancellationToken, Task<T>> work,
        Func<T, (string Type, string Id)>? targetOf, CancellationToken ct)
    {
        try
        {
            actor.Require(OperatorRole.Operator, command.What);
            return await writer.RunAsync(async (s, c) =>
            {
                s.Actor = actor;
                var result = await work(s, c);
                var (type, id) = targetOf is null ? (command.TargetType, command.TargetId) : targetOf(result);
                Audit.Add(s.Db, actor, s.Now, command.Action, type, id, command.Details);
                return result;
            }, ct);
        }
        catch (OtaException e)
        {
            await writer.RunAsync((s, c) =>
            {
                Audit.Add(s.Db, actor, s.Now, command.Action, command.TargetType, command.TargetId, command.Details, e.Message);
                return Task.CompletedTask;
            }, ct);
            throw;
        }
    }

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Applies device events, in order, in one step. Returns how many named an unknown device (dropped).</summary>
    public Task<int> ApplyDeviceEventsAsync(IReadOnlyList<DeviceEvent> events, CancellationToken ct = default) =>
        events.Count == 0 ? Task.FromResult(0) : writer.RunAsync((s, c) => _events.ApplyAsync(s, events, c), ct);

    /// <summary>At start: every device offline until it connects again. Returns how many were marked online.</summary>
    public Task<int> ForgetPresenceAsync(CancellationToken ct = default) => writer.RunAsync(PresenceReset.RunAsync, ct);

    /// <summary>One scheduler tick: scheduled starts and ends, timeouts, retries, paced pushes.</summary>
    public Task TickAsync(CancellationToken ct = default) => writer.RunAsync(PushScheduler.TickAsync, ct);

    /// <summary>Gives up the scheduler lease if this node holds it (a clean stop).</summary>
    public Task ReleaseSchedulerAsync(CancellationToken ct = default) => writer.RunAsync(SchedulerLeases.ReleaseAsync, ct);
}
