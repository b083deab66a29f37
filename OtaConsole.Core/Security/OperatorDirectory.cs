using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Security;

/// <summary>One operator as an Admin sees them.</summary>
public sealed record OperatorSummary(string Id, string Email, OperatorRole? Role, bool Disabled, bool LockedOut, bool TwoFactor, string? ExternalProvider, DateTimeOffset CreatedAt,
    IReadOnlyList<string>? Products = null);

/// <summary>
/// Operators as the core knows them: who an account is right now (its role and whether it is disabled), read from
/// the database at each command, so a revoked role or a disabled account stops the very next action.
/// </summary>
public sealed class OperatorDirectory(IDbContextFactory<OtaDbContext> dbs, TimeProvider time)
{
    /// <summary>The account as an actor, or null when it is gone, disabled, or has no role.</summary>
    public async Task<Actor?> ActorAsync(string accountId, string? address, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var account = await db.Users.AsNoTracking().Where(u => u.Id == accountId)
            .Select(u => new { u.Id, u.Email, u.UserName, u.DisabledAt, u.ProductScope }).FirstOrDefaultAsync(ct);
        if (account is null || account.DisabledAt is not null)
            return null;
        var role = await RoleOfAsync(db, accountId, ct);
        if (role is null)
            return null;
        // An Admin manages the whole console: a scope left on an account promoted to Admin does not apply.
        var products = role == OperatorRole.Admin ? null : ProductScoping.Parse(account.ProductScope);
        return new Actor(ActorKind.Operator, account.Id, account.Email ?? account.UserName ?? account.Id, role.Value, address, products);
    }

    public async Task<bool> TwoFactorOnAsync(string accountId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(u => u.Id == accountId && u.TwoFactorEnabled, ct);
    }

    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }

    public async Task<IReadOnlyList<OperatorSummary>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Admin, "list operators");
        actor.RequireAllProducts("list operators");
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var accounts = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var roles = await RolesAsync(db, ct);
        return accounts.Select(a => new OperatorSummary(a.Id, a.Email ?? a.UserName ?? a.Id, roles.GetValueOrDefault(a.Id), a.DisabledAt is not null,
            a.LockoutEnd is { } end && end > now, a.TwoFactorEnabled, a.ExternalProvider, a.CreatedAt, ProductScoping.Parse(a.ProductScope))).ToList();
    }

    /// <summary>The highest of an account's roles (an account normally has one).</summary>
    internal static async Task<OperatorRole?> RoleOfAsync(OtaDbContext db, string accountId, CancellationToken ct)
    {
        var names = await db.UserRoles.Where(r => r.UserId == accountId).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name).ToListAsync(ct);
        return Highest(names);
    }

    private static async Task<Dictionary<string, OperatorRole>> RolesAsync(OtaDbContext db, CancellationToken ct)
    {
        var pairs = await db.UserRoles.Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name }).ToListAsync(ct);
        return pairs.GroupBy(p => p.UserId).Select(g => (g.Key, Role: Highest(g.Select(p => p.Name))))
            .Where(x => x.Role is not null).ToDictionary(x => x.Key, x => x.Role!.Value);
    }

    public static OperatorRole? Highest(IEnumerable<string?> roleNames)
    {
        OperatorRole? best = null;
        foreach (var name in roleNames)
            if (Enum.TryParse<OperatorRole>(name, ignoreCase: false, out var role) && Enum.IsDefined(role) && (best is null || role > best))
                best = role;
        return best;
    }
}
