using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Webhooks;

/// <summary>
/// Keeps the outbox and the delivery log from growing without end: events a week old that every reader has passed
/// (every enabled subscription's cursor, and the Alibaba publisher's while it is on), and deliveries taken a week
/// ago with their attempts. In slices, so no statement holds the tables for long.
/// </summary>
internal static class OutboxPruning
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(7);
    private const int Slice = 2_000;
    private const int MaxSlices = 10;

    /// <summary>Returns the events and deliveries removed.</summary>
    /// <param name="write">Runs each slice's deletes (between the engine's steps, in the console).</param>
    public static async Task<(int Events, int Deliveries)> PruneAsync(OtaDbContext db, DateTimeOffset now,
        Func<Func<CancellationToken, Task<int>>, CancellationToken, Task<int>> write, CancellationToken ct)
    {
        var cutoff = now - KeepFor;
        var cursors = await db.WebhookSubscriptions.Where(s => s.Enabled).Select(s => (long?)s.Cursor)
            .Concat(db.SchedulerLeases.Where(l => l.Name == SchedulerLease.AlibabaMessagesName && l.Cursor != null).Select(l => l.Cursor))
            .ToListAsync(ct);
        // Nobody reading: nothing waits for the old events.
        var passed = cursors.Count == 0 ? long.MaxValue : cursors.Min()!.Value;
        var events = 0;
        for (var i = 0; i < MaxSlices; i++)
        {
            var first = await db.OutboxEvents.MinAsync(e => (long?)e.Id, ct);
            if (first is null)
                break;
            var upTo = Math.Min(passed, first.Value + Slice - 1);
            var n = await write(c => db.OutboxEvents.Where(e => e.Id <= upTo && e.Time < cutoff).ExecuteDeleteAsync(c), ct);
            events += n;
            if (n < Slice || upTo == passed)
                break;
        }
        var deliveries = 0;
        for (var i = 0; i < MaxSlices; i++)
        {
            var old = await db.WebhookDeliveries.Where(d => d.Status == DeliveryStatus.Delivered && d.DeliveredAt < cutoff)
                .OrderBy(d => d.Id).Select(d => d.Id).Take(Slice).ToListAsync(ct);
            if (old.Count == 0)
                break;
            deliveries += await write(async c =>
            {
                await db.WebhookAttempts.Where(a => old.Contains(a.DeliveryId)).ExecuteDeleteAsync(c);
                return await db.WebhookDeliveries.Where(d => old.Contains(d.Id)).ExecuteDeleteAsync(c);
            }, ct);
            if (old.Count < Slice)
                break;
        }
        return (events, deliveries);
    }
}
