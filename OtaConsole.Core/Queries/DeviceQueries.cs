using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Queries;

/// <summary>A device as the Products and devices page lists it.</summary>
public sealed record DeviceRow(long Id, string DeviceName, string IotId, string? GroupId, bool IsOnline, DateTimeOffset? LastSeenAt,
    IReadOnlyDictionary<string, string> Versions, DateTimeOffset CreatedAt)
{
    /// <summary>Held from new pushes until then, and why (quarantine).</summary>
    public DateTimeOffset? QuarantinedUntil { get; init; }
    public string? QuarantineReason { get; init; }
}

/// <summary>Whether a device is online and which version of a module it reported (the verify dialog's device list).</summary>
public sealed record DeviceState(string DeviceName, bool IsOnline, string? Version);

/// <summary>Devices of a product, paged and searchable.</summary>
public sealed class DeviceQueries(IDbContextFactory<OtaDbContext> dbs)
{
    public async Task<Page<DeviceRow>> ListAsync(Actor actor, string productKey, string? search, bool? online, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Devices.AsNoTracking().VisibleTo(actor).Where(d => d.ProductKey == productKey);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = Paging.Contains(search.Trim());
            q = q.WhereLike(db, d => d.DeviceName, pattern);
        }
        if (online is bool o)
            q = q.Where(d => d.IsOnline == o);
        var total = await q.CountAsync(ct);
        var devices = await q.OrderBy(d => d.DeviceName).Skip(Paging.Skip(page, pageSize)).Take(Paging.Size(pageSize))
            .Include(d => d.ModuleVersions).ToListAsync(ct);
        return new Page<DeviceRow>(devices.Select(d => new DeviceRow(d.Id, d.DeviceName, d.IotId, d.GroupId, d.IsOnline, d.LastSeenAt,
            d.ModuleVersions.ToDictionary(v => v.ModuleName, v => v.Version), d.CreatedAt)
        {
            QuarantinedUntil = d.QuarantinedUntil,
            QuarantineReason = d.QuarantineReason,
        }).ToList(), total);
    }

    /// <summary>A product's devices, newest first, one page (from 0), with their secrets: the API's QueryDevice.</summary>
    public async Task<Page<Device>> NewestFirstAsync(Actor actor, string productKey, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Devices.AsNoTracking().VisibleTo(actor).Where(d => d.ProductKey == productKey);
        var total = await q.CountAsync(ct);
        var devices = await q.OrderByDescending(d => d.Id).Skip(Paging.Skip(page, pageSize)).Take(Paging.Size(pageSize)).ToListAsync(ct);
        return new Page<Device>(devices, total);
    }

    /// <summary>The named devices' presence and version of <paramref name="module"/>, in the order given; unknown names are left out.</summary>
    public async Task<List<DeviceState>> StatesAsync(Actor actor, string productKey, string module, IReadOnlyCollection<string> names, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.Devices.AsNoTracking().VisibleTo(actor).Where(d => d.ProductKey == productKey && names.Contains(d.DeviceName))
            .Select(d => new DeviceState(d.DeviceName, d.IsOnline, d.ModuleVersions.Where(v => v.ModuleName == module).Select(v => v.Version).FirstOrDefault()))
            .ToListAsync(ct);
        return names.Select(n => rows.FirstOrDefault(r => r.DeviceName == n)).OfType<DeviceState>().ToList();
    }

    /// <summary>Devices by name, for pickers (verify batches, specific devices).</summary>
    public async Task<List<string>> NamesAsync(Actor actor, string productKey, string? prefix, int max, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Devices.AsNoTracking().VisibleTo(actor).Where(d => d.ProductKey == productKey);
        if (!string.IsNullOrWhiteSpace(prefix))
        {
            var pattern = Paging.Contains(prefix.Trim());
            q = q.WhereLike(db, d => d.DeviceName, pattern);
        }
        return await q.OrderBy(d => d.DeviceName).Select(d => d.DeviceName).Take(Math.Clamp(max, 1, 200)).ToListAsync(ct);
    }
}
