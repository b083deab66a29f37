using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// The one writer of rollout state. Every change to tasks, batches, presence and versions runs here, one step
/// at a time, each step one transaction: operator commands, batches of device events, and scheduler ticks.
/// One step at a time, also across console nodes on PostgreSQL (<see cref="StepLockSql"/>): the order of a device's events is the order they are applied.
/// Messages to devices go out only after their step is committed.
/// </summary>
public sealed class EngineWriter(
    IDbContextFactory<OtaDbContext> dbs,
    TimeProvider time,
    IDeviceGateway gateway,
    OtaChangeFeed feed,
    ILogger<EngineWriter> log,
    IOptions<RolloutOptions>? options = null,
    Diagnostics.OtaMetrics? metrics = null)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// On PostgreSQL, several console nodes may write at once; each step first takes this transaction-scoped lock,
    /// so steps run one at a time across nodes as they do within one (SQLite gets the same from BEGIN IMMEDIATE).
    /// A step's reads then see every earlier step, and the counters it writes back are never stale.
    /// </summary>
    private const string StepLockSql = "SELECT pg_advisory_xact_lock(7956001)";
    private readonly RolloutOptions _options = options?.Value ?? new RolloutOptions();

    public TimeProvider Time => time;

    /// <summary>Takes the step lock in the caller's transaction (PostgreSQL; a no-op on SQLite, which has one writer at a time).</summary>
    internal static async Task LockStepAsync(OtaDbContext db, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlRawAsync(StepLockSql, ct);
    }

    /// <summary>
    /// Runs another writer's short transaction between two steps. On SQLite a writer that finds the database locked
    /// polls it every 150 ms (Microsoft.Data.Sqlite's busy loop) and can starve behind a busy engine, whose steps
    /// follow each other at once; this process's other frequent writers (the webhook dispatcher) queue here instead.
    /// </summary>
    public async Task<T> BetweenStepsAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            return await work(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<T> RunAsync<T>(Func<WriteScope, CancellationToken, Task<T>> work, CancellationToken ct = default)
    {
        T result;
        OtaChange? change = null;
        await _gate.WaitAsync(ct);
        var started = time.GetTimestamp();
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await LockStepAsync(db, ct);
            var scope = new WriteScope(db, time.GetUtcNow(), _options);

            result = await work(scope, ct);
            var beforeSettle = scope.Outbox.Count;
            await BatchLifecycle.SettleAsync(scope, ct);

            var store = scope.Store;
            await store.InsertTasksAsync(scope.Changes.Created, ct);
            await store.InsertUnknownDevicesAsync(scope.UnknownDevices, ct);
            await store.UpdateTasksAsync(scope.Changes.Updated, ct);
            await store.InsertEventsAsync(scope.Changes.Events, ct);
            await store.SetPresenceAsync(scope.Presence.Select(p => (p.Key, p.Value.Online, p.Value.Stamp)).ToList(), scope.Now, ct);
            await store.UpsertVersionsAsync(scope.Versions.Select(v => (v.Key.DeviceId, v.Key.Module, v.Value)).ToList(), scope.Now, ct);
            await Webhooks.Outbox.WriteStepAsync(scope, beforeSettle, ct);
            await db.SaveChangesAsync(ct);

            var notices = new List<UpdateNotice>(scope.Changes.Notices.Count);
            foreach (var n in scope.Changes.Notices)
                notices.Add(await scope.NoticeAsync(n.Task, n.Cause, ct));

            await tx.CommitAsync(ct);

            // Handed over in step order, inside the lock: a task's notices reach the gateway in the order decided.
            Deliver(notices, scope.Replies);
            var taskBatches = scope.Changes.TaskBatches;
            if (scope.TouchedBatches.Count > 0 || scope.TouchedPackages.Count > 0 || scope.DevicesChanged || taskBatches.Count > 0)
                change = new OtaChange(scope.TouchedBatches, scope.TouchedPackages, scope.DevicesChanged, TaskBatchIds: taskBatches);
        }
        finally
        {
            metrics?.WriterStep(time.GetElapsedTime(started));
            _gate.Release();
        }
        // Pages hear of the step only once the writer is free again (and the feed calls them on their own threads).
        if (change is not null)
            feed.Publish(change);
        return result;
    }

    public Task RunAsync(Func<WriteScope, CancellationToken, Task> work, CancellationToken ct = default) =>
        RunAsync<bool>(async (s, c) =>
        {
            await work(s, c);
            return true;
        }, ct);

    private void Deliver(List<UpdateNotice> notices, List<FirmwareReply> replies)
    {
        foreach (var n in notices)
        {
            try
            {
                gateway.SendNotice(n);
            }
            catch (Exception e)
            {
                // The task is committed as pushed; the device gets the notice again on reconnect or by asking.
                log.LogWarning(e, "Could not hand the notice for task {TaskId} to {Device} to the gateway", n.TaskId, n.Device);
            }
        }
        foreach (var r in replies)
        {
            try
            {
                gateway.SendFirmwareReply(r);
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Could not hand the firmware/get reply to {Device} to the gateway", r.Device);
            }
        }
    }
}
