using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Security;

/// <summary>
/// Queries as an actor sees them: an actor scoped to some products sees only their rows. Every query of products,
/// devices, packages, batches and tasks goes through one of these, so lists, counts, searches and exports agree.
/// </summary>
public static class ProductScoping
{
    public static IQueryable<Product> VisibleTo(this IQueryable<Product> q, Actor actor)
    {
        if (actor.Products is null)
            return q;
        var keys = Keys(actor);
        return q.Where(x => keys.Contains(x.ProductKey));
    }

    public static IQueryable<OtaModule> VisibleTo(this IQueryable<OtaModule> q, Actor actor)
    {
        if (actor.Products is null)
            return q;
        var keys = Keys(actor);
        return q.Where(x => keys.Contains(x.ProductKey));
    }

    public static IQueryable<Device> VisibleTo(this IQueryable<Device> q, Actor actor)
    {
        if (actor.Products is null)
            return q;
        var keys = Keys(actor);
        return q.Where(x => keys.Contains(x.ProductKey));
    }

    public static IQueryable<UpdatePackage> VisibleTo(this IQueryable<UpdatePackage> q, Actor actor)
    {
        if (actor.Products is null)
            return q;
        var keys = Keys(actor);
        return q.Where(x => keys.Contains(x.ProductKey));
    }

    public static IQueryable<Batch> VisibleTo(this IQueryable<Batch> q, Actor actor)
    {
        if (actor.Products is null)
            return q;
        var keys = Keys(actor);
        return q.Where(x => keys.Contains(x.ProductKey));
    }

    public static IQueryable<UpdateTask> VisibleTo(this IQueryable<UpdateTask> q, Actor actor)
    {
        if (actor.Products is null)
            return q;
        var keys = Keys(actor);
        return q.Where(x => keys.Contains(x.ProductKey));
    }

    // An array: EF Core sends it as one parameter (a JSON array in SQLite), so the query's shape does not depend on it.
    private static string[] Keys(Actor actor) => [.. actor.Products!];

    /// <summary>Whether the actor sees the package: the check before reading what hangs off it (its files, its history).</summary>
    public static async Task<bool> SeesPackageAsync(this OtaDbContext db, Actor actor, string packageId, CancellationToken ct) =>
        actor.SeesAllProducts || await db.Packages.VisibleTo(actor).AnyAsync(p => p.Id == packageId, ct);

    public static async Task<bool> SeesBatchAsync(this OtaDbContext db, Actor actor, string batchId, CancellationToken ct) =>
        actor.SeesAllProducts || await db.Batches.VisibleTo(actor).AnyAsync(b => b.Id == batchId, ct);

    /// <summary>How a scope is kept in a column: product keys separated by commas; null or empty for every product.</summary>
    public static string[]? Parse(string? stored) =>
        string.IsNullOrWhiteSpace(stored) ? null : stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// A scope as an Admin chose it (product keys; none: every product), checked to name existing products, as its
    /// column keeps it. For operators and API keys alike.
    /// </summary>
    internal static async Task<string?> StoredAsync(OtaDbContext db, IReadOnlyList<string>? productKeys, CancellationToken ct)
    {
        var keys = (productKeys ?? []).Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
            return null;
        var known = await db.Products.Where(p => keys.Contains(p.ProductKey)).Select(p => p.ProductKey).ToListAsync(ct);
        var unknown = keys.Except(known, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new OtaValidationException([new FieldError("Products", $"no product {string.Join(", ", unknown)}.")]);
        return string.Join(',', keys);
    }
}
