using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Queries;

/// <summary>A batch with the package it delivers.</summary>
public sealed record BatchWithPackage(BatchRow Batch, string PackageName, string ProductKey, string DestVersion);

/// <summary>The first screen: the fleet in numbers, and what is rolling out.</summary>
public sealed record Overview(int Products, int Devices, int DevicesOnline, int Packages, IReadOnlyList<BatchWithPackage> Running, IReadOnlyList<BatchWithPackage> RecentlyFinished);

public sealed class OverviewQueries(IDbContextFactory<OtaDbContext> dbs)
{
    public async Task<Overview> GetAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var running = await WithPackagesAsync(db, db.Batches.AsNoTracking().VisibleTo(actor).Where(b => b.Status == BatchStatus.Planned || b.Status == BatchStatus.InProgress || b.Status == BatchStatus.Paused)
            .OrderByDescending(b => b.CreatedAt).Take(50), ct);
        var finished = await WithPackagesAsync(db, db.Batches.AsNoTracking().VisibleTo(actor).Where(b => b.Status == BatchStatus.Completed || b.Status == BatchStatus.Canceled)
            .OrderByDescending(b => b.EndedAt).Take(5), ct);
        return new Overview(
            await db.Products.VisibleTo(actor).CountAsync(ct),
            await db.Devices.VisibleTo(actor).CountAsync(ct),
            await db.Devices.VisibleTo(actor).CountAsync(d => d.IsOnline, ct),
            await db.Packages.VisibleTo(actor).CountAsync(ct),
            running, finished);
    }

    private static async Task<List<BatchWithPackage>> WithPackagesAsync(OtaDbContext db, IQueryable<Batch> batches, CancellationToken ct)
    {
        var list = await batches.ToListAsync(ct);
        var ids = list.Select(b => b.PackageId).Distinct().ToList();
        var names = await db.Packages.AsNoTracking().Where(p => ids.Contains(p.Id)).Select(p => new { p.Id, p.Name }).ToDictionaryAsync(p => p.Id, p => p.Name, ct);
        return list.Select(b => new BatchWithPackage(BatchQueries.Row(b), names.GetValueOrDefault(b.PackageId, "?"), b.ProductKey, b.DestVersion)).ToList();
    }
}
