using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

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
    public TaskSort Sort { get; init; } = TaskSort.DeviceName;
    public SortDirection Direction { get; init; } = SortDirection.Ascending;
    public int Page { get; init; }
    public int PageSize { get; init; } = 50;
}

/// <summary>A row of the Device List.</summary>
public sealed record TaskRow(long Id, string DeviceName, string ModuleName, OtaTaskStatus Status, QueueReason QueueReason, int Progress,
    string? SrcVersion, string DestVersion, string? FailureCode, string? FailureReason, int RetryAttempts, DateTimeOffset? RetryDueAt,
    DateTimeOffset CreatedAt, DateTimeOffset ModifiedAt);

/// <summary>A task and every line of its history: the answer to "why is this device stuck".</summary>
public sealed record TaskTimeline(UpdateTask Task, IReadOnlyList<TaskEvent> Events);

/// <summary>Batches, their devices and their timelines, for pages and the API. Read-only; every query is paged.</summary>
public sealed class BatchQueries(IDbContextFactory<OtaDbContext> dbs)
{
    public async Task<Batch?> FindAsync(string batchId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Batches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == batchId, ct);
    }

    public async Task<List<BatchRow>> OfPackageAsync(string packageId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var batches = await db.Batches.AsNoTracking().Where(b => b.PackageId == packageId).ToListAsync(ct);
        return batches.OrderByDescending(b => b.CreatedAt).Select(Row).ToList();
    }

    public static BatchRow Row(Batch b) => new(b.Id, b.PackageId, b.Name, b.Kind, b.Selection, b.Status, b.Counts, b.CreatedAt, b.ScheduleTime, b.PushRate);

    public async Task<Page<TaskRow>> DeviceListAsync(DeviceListQuery q, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var tasks = Filter(db, q);
        var rows = await Sorted(tasks, q).Skip(Paging.Skip(q.Page, q.PageSize)).Take(Paging.Size(q.PageSize))
            .Select(t => new TaskRow(t.Id, t.DeviceName, t.ModuleName, t.Status, t.QueueReason, t.Progress, t.SrcVersion, t.DestVersion,
                t.FailureCode, t.FailureReason, t.RetryAttempts, t.RetryDueAt, t.CreatedAt, t.ModifiedAt))
            .ToListAsync(ct);
        // The total: the batch's own counters without a search; with one, a short first page is all there is;
        // only a long search result is counted (a scan of the batch).
        int total;
        if (string.IsNullOrWhiteSpace(q.Search))
        {
            var counts = await db.Batches.AsNoTracking().Where(b => b.Id == q.BatchId).Select(b => b.Counts).FirstOrDefaultAsync(ct);
            total = counts is null ? 0 : q.Status is { } s ? counts[s] : counts.Total;
        }
        else if (q.Page == 0 && rows.Count < Paging.Size(q.PageSize))
        {
            total = rows.Count;
        }
        else
        {
            total = await tasks.CountAsync(ct);
        }
        return new Page<TaskRow>(rows, total);
    }

    private static IQueryable<UpdateTask> Filter(OtaDbContext db, DeviceListQuery q)
    {
        var tasks = db.Tasks.AsNoTracking().Where(t => t.BatchId == q.BatchId);
        if (q.Status is { } status)
            tasks = tasks.Where(t => t.Status == status);
        if (!string.IsNullOrWhiteSpace(q.Search))
        {
            var pattern = Paging.Contains(q.Search.Trim());
            tasks = tasks.Where(t => EF.Functions.Like(t.DeviceName, pattern, "\\"));
        }
        return tasks;
    }

    private static IQueryable<UpdateTask> Sorted(IQueryable<UpdateTask> tasks, DeviceListQuery q)
    {
        var down = q.Direction == SortDirection.Descending;
        return q.Sort switch
        {
            TaskSort.DeviceName => down ? tasks.OrderByDescending(t => t.DeviceName).ThenByDescending(t => t.Id) : tasks.OrderBy(t => t.DeviceName).ThenBy(t => t.Id),
            TaskSort.Status => down ? tasks.OrderByDescending(t => t.Status).ThenByDescending(t => t.Id) : tasks.OrderBy(t => t.Status).ThenBy(t => t.Id),
            TaskSort.Progress => down ? tasks.OrderByDescending(t => t.Progress).ThenByDescending(t => t.Id) : tasks.OrderBy(t => t.Progress).ThenBy(t => t.Id),
            TaskSort.LastUpdate => down ? tasks.OrderByDescending(t => t.ModifiedAt).ThenByDescending(t => t.Id) : tasks.OrderBy(t => t.ModifiedAt).ThenBy(t => t.Id),
            _ => down ? tasks.OrderByDescending(t => t.Id) : tasks.OrderBy(t => t.Id), // creation order
        };
    }

    public async Task<TaskTimeline?> TimelineAsync(long taskId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var task = await db.Tasks.AsNoTracking().FirstOrDefaultAsync(t => t.Id == taskId, ct);
        if (task is null)
            return null;
        var events = await db.TaskEvents.AsNoTracking().Where(e => e.TaskId == taskId).OrderBy(e => e.Id).Take(2000).ToListAsync(ct);
        return new TaskTimeline(task, events);
    }

    /// <summary>Writes the filtered Device List as CSV (every page), streaming.</summary>
    public async Task ExportCsvAsync(DeviceListQuery q, Stream output, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var w = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), leaveOpen: true);
        await w.WriteLineAsync("TaskId,DeviceName,Module,Status,Waiting,Progress,SourceVersion,DestinationVersion,FailureCode,FailureReason,RetryAttempts,LastUpdateUtc");
        await foreach (var t in Sorted(Filter(db, q), q).AsAsyncEnumerable().WithCancellation(ct))
        {
            await w.WriteLineAsync(string.Join(',',
                t.Id.ToString(CultureInfo.InvariantCulture), Csv(t.DeviceName), Csv(t.ModuleName), t.Status, t.Status == OtaTaskStatus.Queued ? t.QueueReason.ToString() : "",
                t.Progress.ToString(CultureInfo.InvariantCulture), Csv(t.SrcVersion), Csv(t.DestVersion), Csv(t.FailureCode), Csv(t.FailureReason),
                t.RetryAttempts.ToString(CultureInfo.InvariantCulture), t.ModifiedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>A CSV field, quoted when needed, with spreadsheet formula injection defused.</summary>
    internal static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        if (value[0] is '=' or '+' or '-' or '@')
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
