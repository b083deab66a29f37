using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Webhooks;

/// <summary>
/// Writes events to the outbox in the transaction of their change. Ids are the delivery order, so they must be
/// committed in the order they are taken: every write takes the writer's step lock (on PostgreSQL; SQLite has one
/// writer at a time anyway), and the dispatcher can then read "after the last id I took" without missing a row.
/// </summary>
internal static class Outbox
{
    /// <summary>
    /// A writer step's events: its rollout events up to the settling, then the tasks it ended, then what settling
    /// decided (a batch completed, paused by a rule, a package verified), which those endings caused.
    /// </summary>
    public static async Task WriteStepAsync(WriteScope scope, int beforeSettle, CancellationToken ct)
    {
        var ended = OtaEvents.EndedTasks(scope.Changes);
        if (scope.Outbox.Count == 0 && !ended.Any())
            return;
        var wanted = await WantedAsync(scope.Db, ct);
        if (wanted is not { } deviceEvents)
            return;
        var events = new List<OutboxEvent>(scope.Outbox.Take(beforeSettle));
        if (deviceEvents)
            events.AddRange(ended);
        events.AddRange(scope.Outbox.Skip(beforeSettle));
        await scope.Store.InsertOutboxAsync(events, ct);
    }

    /// <summary>An event outside the writer (a package uploaded), in the caller's transaction.</summary>
    public static async Task AddAsync(OtaDbContext db, OutboxEvent e, CancellationToken ct)
    {
        if (await WantedAsync(db, ct) is null)
            return;
        await EngineWriter.LockStepAsync(db, ct);
        db.OutboxEvents.Add(e);
    }

    /// <summary>Null when no subscription is enabled (nothing is written); else whether any wants device events.</summary>
    private static async Task<bool?> WantedAsync(OtaDbContext db, CancellationToken ct)
    {
        var enabled = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.Enabled).Select(s => s.DeviceEvents).ToListAsync(ct);
        return enabled.Count == 0 ? null : enabled.Contains(true);
    }
}
