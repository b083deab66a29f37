using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Queries;

/// <summary>What the Batch Management tab shows of a batch.</summary>
public sealed record BatchRow(string Id, string PackageId, string? Name, BatchKind Kind, SelectionType Selection, BatchStatus Status, TaskCounts Counts,
    DateTimeOffset CreatedAt, DateTimeOffset? ScheduleTime, PushRate PushRate);

public enum TaskSort
{
    DeviceName,
    Created,
    Status,
    Progress,
    LastUpdate,
}

/// <summary>One page of a batch's Device List: status filter, device-name search, sort.</summary>
public sealed record DeviceListQuery(string BatchId)
{
    public OtaTaskStatus? Status { get; init; }
    public string? Search { get; init; }
    /// <summary>Only these devices (the API's DeviceNames.N); a short list, matched exactly.</summary>
    public IReadOnlyList<string>? DeviceNames { get; init; }
    public TaskSort Sort { get; init; } = TaskSort.DeviceName;
    public SortDirection Direction { get; init; } = SortDirection.Ascending;
    public int Page { get; init; }
    public int PageSize { get; init; } = 50;
}

/// <summary>A row of the Device List.</summary>
public sealed record TaskRow(long Id, string DeviceName, string ModuleName, OtaTaskStatus Status, QueueReason QueueReason, int Progress,
    string? SrcVersion, string DestVersion, string? FailureCode, string? FailureReason, int RetryAttempts, DateTimeOffset? RetryDueAt,
    DateTimeOffset CreatedAt, DateTimeOffset ModifiedAt)
{
    /// <summary>Until when its device is held from new pushes (quarantine), if it is.</summary>
    public DateTimeOffset? QuarantinedUntil { get; init; }
    /// <summary>The batch's wave the task belongs to; 0 when it has none.</summary>
    public int Wave { get; init; }
}

/// <summary>A task with its device's IotId, as the API lists tasks.</summary>
public sealed record TaskWithDevice(UpdateTask Task, string IotId);

/// <summary>A task and every line of its history: the answer to "why is this device stuck".</summary>
public sealed record TaskTimeline(UpdateTask Task, IReadOnlyList<TaskEvent> Events);

/// <summary>Batches, their devices and their timelines, for pages and the API. Read-only; every query is paged.</summary>
public sealed class BatchQueries(IDbContextFactory<OtaDbContext> dbs)
{
    public async Task<Batch?> FindAsync(Actor actor, string batchId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Batches.AsNoTracking().VisibleTo(actor).FirstOrDefaultAsync(b => b.Id == batchId, ct);
    }

    public async Task<List<BatchRow>> OfPackageAsync(Actor actor, string packageId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var batches = await db.Batches.AsNoTracking().VisibleTo(actor).Where(b => b.PackageId == packageId).ToListAsync(ct);
        return batches.OrderByDescending(b => b.CreatedAt).Select(Row).ToList();
    }

    /// <summary>The rollbacks of a batch (the batches that return its devices), newest first.</summary>
    public async Task<List<Batch>> RollbacksOfAsync(Actor actor, string batchId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Batches.AsNoTracking().VisibleTo(actor).Where(b => b.RollbackOf == batchId).OrderByDescending(b => b.CreatedAt).ToListAsync(ct);
    }

    /// <summary>A package's batches, newest first, one page (from 0).</summary>
    public async Task<Page<Batch>> PageOfPackageAsync(Actor actor, string packageId, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var batches = db.Batches.AsNoTracking().VisibleTo(actor).Where(b => b.PackageId == packageId);
        return await NewestFirstAsync(batches, page, pageSize, ct);
    }

    /// <summary>The batches of a package that gave the device a task, newest first, one page (from 0).</summary>
    public async Task<Page<Batch>> PageOfDeviceAsync(Actor actor, string packageId, string productKey, string deviceName, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var deviceId = await db.Devices.VisibleTo(actor).Where(d => d.ProductKey == productKey && d.DeviceName == deviceName).Select(d => (long?)d.Id).FirstOrDefaultAsync(ct);
        if (deviceId is null)
            return new Page<Batch>([], 0);
        var batchIds = db.Tasks.Where(t => t.PackageId == packageId && t.DeviceId == deviceId).Select(t => t.BatchId);
        return await NewestFirstAsync(db.Batches.AsNoTracking().Where(b => batchIds.Contains(b.Id)), page, pageSize, ct);
    }

    private static async Task<Page<Batch>> NewestFirstAsync(IQueryable<Batch> batches, int page, int pageSize, CancellationToken ct)
    {
        var total = await batches.CountAsync(ct);
        var items = await batches.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id)
            .Skip(Paging.Skip(page, pageSize)).Take(Paging.Size(pageSize)).ToListAsync(ct);
        return new Page<Batch>(items, total);
    }

    /// <summary>A device's tasks in the given (unfinished) statuses, optionally of one module, oldest first.</summary>
    public async Task<List<UpdateTask>> UnfinishedOfDeviceAsync(Actor actor, long deviceId, string? moduleName, IReadOnlyCollection<OtaTaskStatus> statuses, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var tasks = db.Tasks.AsNoTracking().VisibleTo(actor).Where(t => t.DeviceId == deviceId && statuses.Contains(t.Status));
        if (moduleName is not null)
            tasks = tasks.Where(t => t.ModuleName == moduleName);
        // A device has few unfinished tasks (one per module at most, by the conflict rules); the cap is a guard.
        return await tasks.OrderBy(t => t.Id).Take(200).ToListAsync(ct);
    }

    public static BatchRow Row(Batch b) => new(b.Id, b.PackageId, b.Name, b.Kind, b.Selection, b.Status, b.Counts, b.CreatedAt, b.ScheduleTime, b.PushRate);

    public async Task<Page<TaskRow>> DeviceListAsync(Actor actor, DeviceListQuery q, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var tasks = Filter(db, actor, q);
        var rows = await Sorted(tasks, q).Skip(Paging.Skip(q.Page, q.PageSize)).Take(Paging.Size(q.PageSize))
            .Select(t => new TaskRow(t.Id, t.DeviceName, t.ModuleName, t.Status, t.QueueReason, t.Progress, t.SrcVersion, t.DestVersion,
                t.FailureCode, t.FailureReason, t.RetryAttempts, t.RetryDueAt, t.CreatedAt, t.ModifiedAt)
            {
                QuarantinedUntil = t.Status == OtaTaskStatus.Queued ? db.Devices.Where(d => d.Id == t.DeviceId).Select(d => d.QuarantinedUntil).FirstOrDefault() : null,
                Wave = t.Wave,
            })
            .ToListAsync(ct);
        return new Page<TaskRow>(rows, await TotalAsync(db, actor, tasks, q, rows.Count, ct));
    }

    /// <summary>
    /// The tasks themselves, one page, for the API: the same filter, order and indexes as the Device List, plus each
    /// device's IotId (one look-up for the page).
    /// </summary>
    public async Task<Page<TaskWithDevice>> TaskPageAsync(Actor actor, DeviceListQuery q, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var tasks = Filter(db, actor, q);
        var page = await Sorted(tasks, q).Skip(Paging.Skip(q.Page, q.PageSize)).Take(Paging.Size(q.PageSize)).ToListAsync(ct);
        var deviceIds = page.Select(t => t.DeviceId).Distinct().ToList();
        var iotIds = await db.Devices.AsNoTracking().Where(d => deviceIds.Contains(d.Id)).Select(d => new { d.Id, d.IotId }).ToDictionaryAsync(d => d.Id, d => d.IotId, ct);
        var items = page.Select(t => new TaskWithDevice(t, iotIds.GetValueOrDefault(t.DeviceId, ""))).ToList();
        return new Page<TaskWithDevice>(items, await TotalAsync(db, actor, tasks, q, page.Count, ct));
    }

    /// <summary>
    /// How many tasks match: the batch's own counters without a search; with one, a short first page is all there
    /// is; only a long search result is counted (a scan of the batch, or of the few names given).
    /// </summary>
    private static async Task<int> TotalAsync(OtaDbContext db, Actor actor, IQueryable<UpdateTask> tasks, DeviceListQuery q, int firstPageRows, CancellationToken ct)
    {
        int total;
        if (string.IsNullOrWhiteSpace(q.Search) && q.DeviceNames is null)
        {
            var counts = await db.Batches.AsNoTracking().VisibleTo(actor).Where(b => b.Id == q.BatchId).Select(b => b.Counts).FirstOrDefaultAsync(ct);
            total = counts is null ? 0 : q.Status is { } s ? counts[s] : counts.Total;
        }
        else if (q.Page == 0 && firstPageRows < Paging.Size(q.PageSize))
        {
            total = firstPageRows;
        }
        else
        {
            total = await tasks.CountAsync(ct);
        }
        return total;
    }

    /// <summary>The Device List's filter (also what a bulk action on "all matching" takes).</summary>
    internal static IQueryable<UpdateTask> Filter(OtaDbContext db, Actor actor, DeviceListQuery q)
    {
        var tasks = db.Tasks.AsNoTracking().VisibleTo(actor).Where(t => t.BatchId == q.BatchId);
        if (q.Status is { } status)
            tasks = tasks.Where(t => t.Status == status);
        if (!string.IsNullOrWhiteSpace(q.Search))
        {
            var pattern = Paging.Contains(q.Search.Trim());
            tasks = tasks.WhereLike(db, t => t.DeviceName, pattern);
        }
        if (q.DeviceNames is { } names)
            tasks = tasks.Where(t => names.Contains(t.DeviceName));
        return tasks;
    }

    /// <summary>
    /// A status's place in a task's life (Pending Confirmation first, Canceled last). Statuses are stored by name, so
    /// sorting the column itself would follow the alphabet.
    /// </summary>
    private static readonly System.Linq.Expressions.Expression<Func<UpdateTask, int>> LifecycleRank = t =>
        t.Status == OtaTaskStatus.Confirm ? 0
        : t.Status == OtaTaskStatus.Queued ? 1
        : t.Status == OtaTaskStatus.Notified ? 2
        : t.Status == OtaTaskStatus.InProgress ? 3
        : t.Status == OtaTaskStatus.Succeeded ? 4
        : t.Status == OtaTaskStatus.Failed ? 5
        : 6;

    private static IQueryable<UpdateTask> Sorted(IQueryable<UpdateTask> tasks, DeviceListQuery q)
    {
        var down = q.Direction == SortDirection.Descending;
        return q.Sort switch
        {
            TaskSort.DeviceName => down ? tasks.OrderByDescending(t => t.DeviceName).ThenByDescending(t => t.Id) : tasks.OrderBy(t => t.DeviceName).ThenBy(t => t.Id),
            TaskSort.Status => down ? tasks.OrderByDescending(LifecycleRank).ThenByDescending(t => t.Id) : tasks.OrderBy(LifecycleRank).ThenBy(t => t.Id),
            TaskSort.Progress => down ? tasks.OrderByDescending(t => t.Progress).ThenByDescending(t => t.Id) : tasks.OrderBy(t => t.Progress).ThenBy(t => t.Id),
            TaskSort.LastUpdate => down ? tasks.OrderByDescending(t => t.ModifiedAt).ThenByDescending(t => t.Id) : tasks.OrderBy(t => t.ModifiedAt).ThenBy(t => t.Id),
            _ => down ? tasks.OrderByDescending(t => t.Id) : tasks.OrderBy(t => t.Id), // creation order
        };
    }

    public async Task<TaskTimeline?> TimelineAsync(Actor actor, long taskId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var task = await db.Tasks.AsNoTracking().VisibleTo(actor).FirstOrDefaultAsync(t => t.Id == taskId, ct);
        if (task is null)
            return null;
        var events = await db.TaskEvents.AsNoTracking().Where(e => e.TaskId == taskId).OrderBy(e => e.Id).Take(2000).ToListAsync(ct);
        return new TaskTimeline(task, events);
    }

    /// <summary>The filtered Device List, every page, in its order, streamed (for the CSV export).</summary>
    public async IAsyncEnumerable<UpdateTask> AllRowsAsync(Actor actor, DeviceListQuery q, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await foreach (var t in Sorted(Filter(db, actor, q), q).AsAsyncEnumerable().WithCancellation(ct))
            yield return t;
    }

    /// <summary>The names of a specified-devices batch that were not devices of its product: the first few and how many.</summary>
    public async Task<Page<string>> UnknownDevicesAsync(Actor actor, string batchId, int first, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Batches.VisibleTo(actor).AnyAsync(b => b.Id == batchId, ct))
            return new Page<string>([], 0);
        var names = db.BatchUnknownDevices.Where(u => u.BatchId == batchId);
        var items = await names.OrderBy(u => u.Id).Take(Paging.Size(first)).Select(u => u.DeviceName).ToListAsync(ct);
        return new Page<string>(items, items.Count < first ? items.Count : await names.CountAsync(ct));
    }

    /// <summary>Every name of a batch that was not a device, in the order given, streamed.</summary>
    public async IAsyncEnumerable<string> AllUnknownDevicesAsync(Actor actor, string batchId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Batches.VisibleTo(actor).AnyAsync(b => b.Id == batchId, ct))
            yield break;
        await foreach (var name in db.BatchUnknownDevices.AsNoTracking().Where(u => u.BatchId == batchId).OrderBy(u => u.Id).Select(u => u.DeviceName).AsAsyncEnumerable().WithCancellation(ct))
            yield return name;
    }
}
