using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Security;

/// <summary>
/// Catalog and package commands: the actor's role is checked, the change and its audit row are saved together, and
/// a refusal is audited on its own with nothing changed. (Rollout commands do the same inside the engine's writer.)
/// </summary>
public sealed class AuditedWrites(IDbContextFactory<OtaDbContext> dbs, TimeProvider time)
{
    /// <param name="work">Makes the change on the context it is given, inside one transaction, without saving it (set-based deletes may run at once).</param>
    /// <param name="targetOf">The target, when only the result names it (a new product's key).</param>
    internal async Task<T> RunAsync<T>(Actor actor, AuditedCommand command, Func<OtaDbContext, Task<T>> work,
        Func<T, (string Type, string Id)>? targetOf, CancellationToken ct)
    {
        try
        {
            actor.Require(command.Role, command.What);
            await using var db = await dbs.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var result = await work(db);
            var (type, id) = targetOf is null ? (command.TargetType, command.TargetId) : targetOf(result);
            Audit.Add(db, actor, time.GetUtcNow(), command.Action, type, id, command.Details);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return result;
        }
        catch (OtaException e)
        {
            await RecordRefusalAsync(actor, command, e.Message, ct);
            throw;
        }
    }

    internal async Task RecordRefusalAsync(Actor actor, AuditedCommand command, string error, CancellationToken ct)
    {
        if (actor.Kind == ActorKind.System)
            return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        Audit.Add(db, actor, time.GetUtcNow(), command.Action, command.TargetType, command.TargetId, command.Details, error);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>An event that is not a change of OtaConsole's data (a sign-in, a sign-out, a refused sign-in).</summary>
    public async Task RecordAsync(Actor actor, string action, string? targetType, string? targetId, object? details, string? error = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        Audit.Add(db, actor, time.GetUtcNow(), action, targetType, targetId, details, error);
        await db.SaveChangesAsync(ct);
    }
}
