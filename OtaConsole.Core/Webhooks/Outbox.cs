using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
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
    /// A writer step's events: its rollout events up to the settling, then the tasks it ended (and, for Alibaba's
    /// messages, the other status changes), then what settling decided (a batch completed, paused by a rule, a
    /// package verified), which those endings caused.
    /// </summary>
    public static async Task WriteStepAsync(WriteScope scope, int beforeSettle, CancellationToken ct)
    {
        if (scope.Outbox.Count == 0 && scope.Changes.Moved.Count == 0 && !OtaEvents.EndedTasks(scope.Changes).Any())
            return;
        var readers = await ReadersAsync(scope.Db, ct);
        if (readers == Readers.None)
            return;
        var events = new List<OutboxEvent>(scope.Outbox.Take(beforeSettle));
        if (readers.HasFlag(Readers.DeviceEvents))
            events.AddRange(OtaEvents.EndedTasks(scope.Changes));
        if (readers.HasFlag(Readers.StatusChanges))
            events.AddRange(OtaEvents.StatusChanges(scope.Changes));
        events.AddRange(scope.Outbox.Skip(beforeSettle));
        if (events.Count > 0)
            await scope.Store.InsertOutboxAsync(events, ct);
    }

    /// <summary>An event outside the writer (a package uploaded), in the caller's transaction.</summary>
    public static async Task AddAsync(OtaDbContext db, OutboxEvent e, CancellationToken ct)
    {
        if (await ReadersAsync(db, ct) == Readers.None)
            return;
        await EngineWriter.LockStepAsync(db, ct);
        db.OutboxEvents.Add(e);
    }

    [Flags]
    private enum Readers
    {
        None = 0,
        Rollout = 1,
        DeviceEvents = 2,
        StatusChanges = 4,
    }

    /// <summary>
    /// Who reads the outbox, in one query of two tiny tables: enabled subscriptions (device events only if one wants
    /// them) and Alibaba's messages (every task status change). Nothing is written while nobody would read it.
    /// </summary>
    private static async Task<Readers> ReadersAsync(OtaDbContext db, CancellationToken ct)
    {
        var subscriptions = db.WebhookSubscriptions.Where(s => s.Enabled).Select(s => s.DeviceEvents ? 3 : 1);
        var alibaba = db.SchedulerLeases.Where(l => l.Name == SchedulerLease.AlibabaMessagesName && l.Cursor != null).Select(l => 7);
        var flags = await subscriptions.Concat(alibaba).Distinct().ToListAsync(ct);
        return (Readers)flags.Aggregate(0, (a, f) => a | f);
    }
}
