using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;
using OtaConsole.Core.Queries;

namespace OtaConsole.Core.Analytics;

/// <summary>A version and how many devices run it (or how many updates started from it).</summary>
public sealed record VersionCount(string Version, int Devices)
{
    public double Share(int total) => total == 0 ? 0 : (double)Devices / total;
}

/// <summary>Ended updates that started from one version, by outcome.</summary>
public sealed record SourceOutcome(string Version, int Succeeded, int Failed)
{
    public int Ended => Succeeded + Failed;
    public double Share(int total) => total == 0 ? 0 : (double)Ended / total;
}

/// <summary>A device and its version of a module (null: never reported).</summary>
public sealed record DeviceVersionRow(string DeviceName, string? Version);

/// <summary>A package's success rate: updates that succeeded and that failed.</summary>
public sealed record SuccessRate(int Succeeded, int Failed)
{
    public int Finished => Succeeded + Failed;
    public double Rate => Finished == 0 ? 0 : (double)Succeeded / Finished;
}

/// <summary>
/// The Data analysis tab (reference §3.9): the distribution of a module's versions over a product's devices,
/// a package's success rate (all batches or one), and the source versions its updates started from.
/// </summary>
public sealed class AnalyticsService(IDbContextFactory<OtaDbContext> dbs)
{
    public const string Others = "Others";
    /// <summary>Alibaba's console draws source versions as a bar chart up to about this many, as a table beyond.</summary>
    public const int ChartLimit = 10;

    /// <summary>Every version of the module on the product's devices, most devices first. Devices that never reported are left out.</summary>
    public async Task<List<VersionCount>> VersionDistributionAsync(Actor actor, string productKey, string module, CancellationToken ct = default)
    {
        if (!actor.Sees(productKey))
            return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.DeviceVersions.AsNoTracking()
            .Where(v => v.ModuleName == module && db.Devices.Any(d => d.Id == v.DeviceId && d.ProductKey == productKey))
            .GroupBy(v => v.Version).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return rows.Select(r => new VersionCount(r.Key, r.Count)).OrderByDescending(v => v.Devices).ThenBy(v => v.Version, StringComparer.Ordinal).ToList();
    }

    /// <summary>The product's devices that have never reported a version of the module: the distribution's last row.</summary>
    public async Task<int> NotReportedAsync(Actor actor, string productKey, string module, CancellationToken ct = default)
    {
        if (!actor.Sees(productKey))
            return 0;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Devices.AsNoTracking().Where(d => d.ProductKey == productKey)
            .CountAsync(d => !db.DeviceVersions.Any(v => v.DeviceId == d.Id && v.ModuleName == module), ct);
    }

    /// <summary>The bar chart's bars: the top five versions and the rest merged as "Others".</summary>
    public static List<VersionCount> TopFiveAndOthers(IReadOnlyList<VersionCount> distribution)
    {
        var top = distribution.Take(5).ToList();
        var rest = distribution.Skip(5).Sum(v => v.Devices);
        if (rest > 0)
            top.Add(new VersionCount(Others, rest));
        return top;
    }

    /// <summary>The Device List of the versions tab: each device and its version of the module.</summary>
    public async Task<Page<DeviceVersionRow>> DeviceVersionsAsync(Actor actor, string productKey, string module, string? search, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Devices.AsNoTracking().VisibleTo(actor).Where(d => d.ProductKey == productKey);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = Paging.Contains(search.Trim());
            q = q.WhereLike(db, d => d.DeviceName, pattern);
        }
        var total = await q.CountAsync(ct);
        var rows = await q.OrderBy(d => d.DeviceName).Skip(Paging.Skip(page, pageSize)).Take(Paging.Size(pageSize))
            .Select(d => new { d.DeviceName, Version = db.DeviceVersions.Where(v => v.DeviceId == d.Id && v.ModuleName == module).Select(v => v.Version).FirstOrDefault() })
            .ToListAsync(ct);
        return new Page<DeviceVersionRow>(rows.Select(r => new DeviceVersionRow(r.DeviceName, r.Version)).ToList(), total);
    }

    /// <summary>Succeeded versus failed updates of a package: over all its batches, or one.</summary>
    public async Task<SuccessRate> SuccessRateAsync(Actor actor, string packageId, string? batchId = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var batches = db.Batches.AsNoTracking().VisibleTo(actor).Where(b => b.PackageId == packageId && (batchId == null || b.Id == batchId));
        var counts = await batches.Select(b => new { b.Counts.Succeeded, b.Counts.Failed }).ToListAsync(ct);
        return new SuccessRate(counts.Sum(c => c.Succeeded), counts.Sum(c => c.Failed));
    }

    /// <summary>
    /// "Total distribution of source versions": the updates that ended (updated or failed), by the version they
    /// started from, most first. Cancelled updates and those not pushed yet are not updates that happened, so they are
    /// left out (Alibaba's console counts every task; an operator counting upgrades does not).
    /// </summary>
    public async Task<List<SourceOutcome>> SourceVersionsAsync(Actor actor, string packageId, string? batchId = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var tasks = db.Tasks.AsNoTracking().VisibleTo(actor).Where(t => t.PackageId == packageId && (batchId == null || t.BatchId == batchId)
            && (t.Status == OtaTaskStatus.Succeeded || t.Status == OtaTaskStatus.Failed));
        var rows = await tasks.GroupBy(t => new { t.SrcVersion, t.Status }).Select(g => new { g.Key.SrcVersion, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        return rows.GroupBy(r => r.SrcVersion ?? "(unknown)")
            .Select(g => new SourceOutcome(g.Key, g.Where(r => r.Status == OtaTaskStatus.Succeeded).Sum(r => r.Count), g.Where(r => r.Status == OtaTaskStatus.Failed).Sum(r => r.Count)))
            .OrderByDescending(v => v.Ended).ThenBy(v => v.Version, StringComparer.Ordinal).ToList();
    }
}
