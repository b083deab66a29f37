using OtaConsole.Core.Model;

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

    /// <summary>How a scope is kept in a column: product keys separated by commas; null or empty for every product.</summary>
    public static IReadOnlyList<string>? Parse(string? stored) =>
        string.IsNullOrWhiteSpace(stored) ? null : stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string? Format(IReadOnlyCollection<string>? products) =>
        products is null || products.Count == 0 ? null : string.Join(',', products.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
}
