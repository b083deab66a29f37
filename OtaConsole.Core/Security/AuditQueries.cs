using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Queries;

namespace OtaConsole.Core.Security;

/// <summary>A filter on the audit log; every part is optional.</summary>
public sealed record AuditFilter
{
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>Part of the operator's email or the key's id.</summary>
    public string? Actor { get; init; }
    /// <summary>An action, or its start: "batch." for every batch action.</summary>
    public string? Action { get; init; }
    public string? TargetType { get; init; }
    public string? TargetId { get; init; }
    public int Page { get; init; }
    public int PageSize { get; init; } = 50;
}

/// <summary>Reading the audit log: Admins and Viewers (the auditors); an Admin also exports it.</summary>
public sealed class AuditQueries(IDbContextFactory<OtaDbContext> dbs)
{
    public async Task<Page<AuditEntry>> ListAsync(Actor actor, AuditFilter f, CancellationToken ct = default)
    {
        RequireReader(actor);
        // The log names every product's batches and devices: an actor scoped to some reads their histories on their pages.
        actor.RequireAllProducts("read the whole audit log");
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = Filter(db, f);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(a => a.At).ThenByDescending(a => a.Id)
            .Skip(Paging.Skip(f.Page, f.PageSize)).Take(Paging.Size(f.PageSize)).ToListAsync(ct);
        return new Page<AuditEntry>(items, total);
    }

    /// <summary>A batch's own history, newest first, for its page.</summary>
    public async Task<IReadOnlyList<AuditEntry>> BatchHistoryAsync(Actor actor, string batchId, int max = 100, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.SeesBatchAsync(actor, batchId, ct))
            return [];
        return await Newest(db.AuditEntries.AsNoTracking().Where(a => a.TargetType == "batch" && a.TargetId == batchId), max, ct);
    }

    /// <summary>A package's own rows and its batches' (its verification and every rollout of it), newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> PackageHistoryAsync(Actor actor, string packageId, int max = 100, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.SeesPackageAsync(actor, packageId, ct))
            return [];
        var batches = db.Batches.Where(b => b.PackageId == packageId).Select(b => b.Id);
        return await Newest(db.AuditEntries.AsNoTracking()
            .Where(a => (a.TargetType == "package" && a.TargetId == packageId) || (a.TargetType == "batch" && batches.Contains(a.TargetId!))), max, ct);
    }

    private static Task<List<AuditEntry>> Newest(IQueryable<AuditEntry> rows, int max, CancellationToken ct) =>
        rows.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(Math.Clamp(max, 1, 1000)).ToListAsync(ct);

    /// <summary>The filtered log, oldest first, every page, streamed (for the CSV export). Checked before the first row.</summary>
    public IAsyncEnumerable<AuditEntry> AllAsync(Actor actor, AuditFilter f, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Admin, "export the audit log");
        actor.RequireAllProducts("export the audit log");
        return Rows(f, ct);
    }

    private async IAsyncEnumerable<AuditEntry> Rows(AuditFilter f, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await foreach (var a in Filter(db, f).OrderBy(a => a.At).ThenBy(a => a.Id).AsAsyncEnumerable().WithCancellation(ct))
            yield return a;
    }

    private static void RequireReader(Actor actor)
    {
        if (actor.Role != OperatorRole.Admin && actor.Role != OperatorRole.Viewer)
            throw OtaException.Forbidden($"{actor.Name} is an {actor.Role}: the audit log is for Admins and Viewers (auditors).");
    }

    private static IQueryable<AuditEntry> Filter(OtaDbContext db, AuditFilter f)
    {
        var q = db.AuditEntries.AsNoTracking();
        if (f.From is { } from)
            q = q.Where(a => a.At >= from);
        if (f.To is { } to)
            q = q.Where(a => a.At < to);
        if (!string.IsNullOrWhiteSpace(f.Actor))
        {
            var pattern = Paging.Contains(f.Actor.Trim());
            q = q.WhereLike(db, a => a.ActorName, pattern);
        }
        if (!string.IsNullOrWhiteSpace(f.Action))
        {
            var action = f.Action.Trim();
            q = action.EndsWith('.') ? q.Where(a => a.Action.StartsWith(action)) : q.Where(a => a.Action == action);
        }
        if (!string.IsNullOrWhiteSpace(f.TargetType))
            q = q.Where(a => a.TargetType == f.TargetType);
        if (!string.IsNullOrWhiteSpace(f.TargetId))
            q = q.Where(a => a.TargetId == f.TargetId.Trim());
        return q;
    }
}
