using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// One node at a time does the scheduler's work. Each tick first renews (or, once expired, takes) the lease with
/// one conditional UPDATE in the tick's own transaction: the lease and the pushes it allows commit together, so a
/// node whose lease ran out mid-tick cannot commit pushes after another node has taken over. On PostgreSQL the
/// UPDATE holds the row until the tick commits; a second node's UPDATE waits for it, then sees the renewed expiry
/// and does nothing.
/// </summary>
internal static class SchedulerLeases
{
    public static async Task<bool> TryHoldAsync(WriteScope scope, CancellationToken ct)
    {
        var me = scope.Options.NodeId;
        var now = scope.Now;
        var until = now + scope.Options.SchedulerLease;
        var updated = await scope.Db.SchedulerLeases
            .Where(l => l.Name == SchedulerLease.SchedulerName && (l.Holder == me || l.ExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, me).SetProperty(l => l.ExpiresAt, until), ct);
        return updated == 1;
    }

    /// <summary>On a clean stop: another node need not wait for the lease to expire.</summary>
    public static Task ReleaseAsync(WriteScope scope, CancellationToken ct)
    {
        var me = scope.Options.NodeId;
        return scope.Db.SchedulerLeases.Where(l => l.Name == SchedulerLease.SchedulerName && l.Holder == me)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, "").SetProperty(l => l.ExpiresAt, DateTimeOffset.UnixEpoch), ct);
    }
}
