using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Queries;

/// <summary>
/// Name search that ignores case on both databases: SQLite's LIKE already does (for ASCII, which every Alibaba
/// device name is), PostgreSQL's LIKE does not, so there it is ILIKE.
/// </summary>
internal static class TextSearch
{
    private static readonly Type[] LikeArgs = [typeof(DbFunctions), typeof(string), typeof(string), typeof(string)];
    private static readonly MethodInfo Like = typeof(DbFunctionsExtensions).GetMethod(nameof(DbFunctionsExtensions.Like), LikeArgs)!;
    private static readonly MethodInfo ILike = typeof(NpgsqlDbFunctionsExtensions).GetMethod(nameof(NpgsqlDbFunctionsExtensions.ILike), LikeArgs)!;

    /// <summary>Rows whose <paramref name="field"/> matches a LIKE <paramref name="pattern"/> escaped with a backslash (<see cref="Paging.Contains"/>).</summary>
    public static IQueryable<T> WhereLike<T>(this IQueryable<T> q, OtaDbContext db, Expression<Func<T, string>> field, string pattern)
    {
        // The pattern goes in as a captured value, so EF Core sends it as a parameter and reuses the query plan.
        var box = new Box(pattern);
        var call = Expression.Call(db.Database.IsNpgsql() ? ILike : Like,
            Expression.Constant(EF.Functions), field.Body, Expression.Property(Expression.Constant(box), nameof(Box.Value)), Expression.Constant("\\"));
        return q.Where(Expression.Lambda<Func<T, bool>>(call, field.Parameters));
    }

    private sealed record Box(string Value);
}
