using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// One node at a time does the scheduler's work. Each tick first checks the lease and, when half of it has run
/// out (or it has expired and another node's tick finds it so), renews or takes it with one conditional UPDATE in
/// the tick's own transaction: the lease and the pushes it allows commit together. Ticks of different nodes never
/// overlap (on PostgreSQL every step holds the writer's advisory lock), so a node that reads its lease as valid
/// commits its pushes before any other node can see the lease expire.
/// </summary>
internal static class SchedulerLeases
{
    public static async Task<bool> TryHoldAsync(WriteScope scope, CancellationToken ct)
    {
        var me = scope.Options.NodeId;
        var now = scope.Now;
        // Renewed only once half of it has run out: an idle tick then writes nothing (on SQLite, no fsync four
        // times a second). Reading is enough in between: steps never overlap (one writer per process, and across
        // nodes the step lock), so no takeover can come between this check and this tick's commit.
        var lease = await scope.Db.SchedulerLeases.AsNoTracking().SingleAsync(l => l.Name == SchedulerLease.SchedulerName, ct);
        if (lease.Holder == me && lease.ExpiresAt - now > scope.Options.SchedulerLease / 2)
            return true;
        return await TakeAsync(scope.Db, SchedulerLease.SchedulerName, me, now, now + scope.Options.SchedulerLease, ct);
    }

    /// <summary>On a clean stop: another node need not wait for the lease to expire.</summary>
    public static Task ReleaseAsync(WriteScope scope, CancellationToken ct) => ReleaseAsync(scope.Db, SchedulerLease.SchedulerName, scope.Options.NodeId, ct);

    /// <summary>Takes or renews a lease row until then, if this node holds it or it has expired: one conditional UPDATE.</summary>
    internal static async Task<bool> TakeAsync(OtaDbContext db, string name, string me, DateTimeOffset now, DateTimeOffset until, CancellationToken ct) =>
        await db.SchedulerLeases.Where(l => l.Name == name && (l.Holder == me || l.ExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, me).SetProperty(l => l.ExpiresAt, until), ct) == 1;

    internal static Task ReleaseAsync(OtaDbContext db, string name, string me, CancellationToken ct) =>
        db.SchedulerLeases.Where(l => l.Name == name && l.Holder == me)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, "").SetProperty(l => l.ExpiresAt, DateTimeOffset.UnixEpoch), ct);
}
