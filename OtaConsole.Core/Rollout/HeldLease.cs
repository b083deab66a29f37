using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// A named lease row (<see cref="SchedulerLeases"/>) a background loop holds across rounds: renewed once half of it
/// has run out, released on a clean stop so another node need not wait for it to expire.
/// </summary>
internal sealed class HeldLease(IDbContextFactory<OtaDbContext> dbs, TimeProvider time, string name, Func<RolloutOptions> rollout)
{
    /// <summary>Until when this node holds it; MinValue while it does not.</summary>
    public DateTimeOffset Until { get; private set; } = DateTimeOffset.MinValue;

    public async Task<bool> HoldAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var length = rollout().SchedulerLease;
        if (Until - now > length / 2)
            return true;
        var until = now + length;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var held = await SchedulerLeases.TakeAsync(db, name, rollout().NodeId, now, until, ct);
        Until = held ? until : DateTimeOffset.MinValue;
        return held;
    }

    public async Task ReleaseAsync(CancellationToken ct)
    {
        if (Until == DateTimeOffset.MinValue)
            return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        await SchedulerLeases.ReleaseAsync(db, name, rollout().NodeId, ct);
        Until = DateTimeOffset.MinValue;
    }
}
