using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Queries;

public sealed record PackageFilter
{
    public string? ProductKey { get; init; }
    public string? Search { get; init; }
    public string? DestVersion { get; init; }
    public int Page { get; init; }
    public int PageSize { get; init; } = 20;
}

/// <summary>A device a package was pushed to, with its latest task for that package.</summary>
public sealed record PackageDeviceRow(string DeviceName, long TaskId, string BatchId, OtaTaskStatus Status, QueueReason QueueReason, int Progress,
    string? FailureReason, DateTimeOffset ModifiedAt)
{
    /// <summary>The batch's name, when it has one.</summary>
    public string? BatchName { get; init; }
}

/// <summary>The counts of the Device List tab: devices updated, failed and cancelled with this package.</summary>
public sealed record PackageDeviceCounts(int Devices, int Succeeded, int Failed, int Canceled);

/// <summary>Update packages and the devices they reached, for pages and the API.</summary>
public sealed class PackageQueries(IDbContextFactory<OtaDbContext> dbs)
{
    public async Task<Page<UpdatePackage>> ListAsync(Actor actor, PackageFilter f, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Packages.AsNoTracking().VisibleTo(actor);
        if (!string.IsNullOrEmpty(f.ProductKey))
            q = q.Where(p => p.ProductKey == f.ProductKey);
        if (!string.IsNullOrWhiteSpace(f.Search))
        {
            var pattern = Paging.Contains(f.Search.Trim());
            q = q.WhereLike(db, p => p.Name, pattern);
        }
        if (!string.IsNullOrEmpty(f.DestVersion))
            q = q.Where(p => p.DestVersion == f.DestVersion);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(p => p.CreatedAt).ThenBy(p => p.Id).Skip(Paging.Skip(f.Page, f.PageSize)).Take(Paging.Size(f.PageSize)).ToListAsync(ct);
        return new Page<UpdatePackage>(items, total);
    }

    public async Task<UpdatePackage?> FindAsync(Actor actor, string packageId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Packages.AsNoTracking().VisibleTo(actor).FirstOrDefaultAsync(p => p.Id == packageId, ct);
    }

    /// <summary>Those of the packages named that have a batch planned or running, for the package list's mark.</summary>
    public async Task<HashSet<string>> WithRunningBatchAsync(Actor actor, IReadOnlyCollection<string> packageIds, CancellationToken ct = default)
    {
        if (packageIds.Count == 0)
            return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        var ids = await db.Batches.AsNoTracking().VisibleTo(actor)
            .Where(b => packageIds.Contains(b.PackageId) && (b.Status == BatchStatus.Planned || b.Status == BatchStatus.InProgress || b.Status == BatchStatus.Paused))
            .Select(b => b.PackageId).Distinct().ToListAsync(ct);
        return [.. ids];
    }

    /// <summary>A package's name, for the pages that link to it (breadcrumbs, a batch's information).</summary>
    public async Task<string?> NameAsync(Actor actor, string packageId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Packages.AsNoTracking().VisibleTo(actor).Where(p => p.Id == packageId).Select(p => p.Name).FirstOrDefaultAsync(ct);
    }

    /// <summary>The Device List tab: each device the package was pushed to, by its latest task for the package; optionally in one status.</summary>
    public async Task<Page<PackageDeviceRow>> DevicesAsync(Actor actor, string packageId, string? search, int page, int pageSize, OtaTaskStatus? status = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var latest = db.Tasks.AsNoTracking().VisibleTo(actor).Where(t => t.PackageId == packageId
            && t.Id == db.Tasks.Where(o => o.PackageId == packageId && o.DeviceId == t.DeviceId).Max(o => o.Id));
        if (status is { } s)
            latest = latest.Where(t => t.Status == s);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = Paging.Contains(search.Trim());
            latest = latest.WhereLike(db, t => t.DeviceName, pattern);
        }
        var total = await latest.CountAsync(ct);
        var rows = await latest.OrderBy(t => t.DeviceName).Skip(Paging.Skip(page, pageSize)).Take(Paging.Size(pageSize))
            .Select(t => new PackageDeviceRow(t.DeviceName, t.Id, t.BatchId, t.Status, t.QueueReason, t.Progress, t.FailureReason, t.ModifiedAt))
            .ToListAsync(ct);
        // The batch column names each row's batch: one look-up for the page.
        var batchIds = rows.Select(r => r.BatchId).Distinct().ToList();
        var names = await db.Batches.AsNoTracking().Where(b => batchIds.Contains(b.Id)).Select(b => new { b.Id, b.Name }).ToDictionaryAsync(b => b.Id, b => b.Name, ct);
        return new Page<PackageDeviceRow>(rows.Select(r => r with { BatchName = names.GetValueOrDefault(r.BatchId) }).ToList(), total);
    }

    /// <summary>Over all of the package's batches: devices reached, and how many updated, failed, were cancelled (latest task of each device).</summary>
    public async Task<PackageDeviceCounts> DeviceCountsAsync(Actor actor, string packageId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var latest = db.Tasks.AsNoTracking().VisibleTo(actor).Where(t => t.PackageId == packageId
            && t.Id == db.Tasks.Where(o => o.PackageId == packageId && o.DeviceId == t.DeviceId).Max(o => o.Id));
        var byStatus = await latest.GroupBy(t => t.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        int Of(OtaTaskStatus s) => byStatus.FirstOrDefault(x => x.Key == s)?.Count ?? 0;
        return new PackageDeviceCounts(byStatus.Sum(x => x.Count), Of(OtaTaskStatus.Succeeded), Of(OtaTaskStatus.Failed), Of(OtaTaskStatus.Canceled));
    }
}
