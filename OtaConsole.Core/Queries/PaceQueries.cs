using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Queries;

/// <summary>
/// How a running batch is going: the pushes it really made in the last minutes (not the rate it was given), what is
/// left to push, how long a device takes to update once pushed, and from those about how long the batch still takes.
/// </summary>
/// <param name="PushedPerMinute">Pushes a minute over the last <see cref="PaceQueries.Window"/> (or since the batch started, if later).</param>
/// <param name="ToPush">Tasks waiting for their turn (online devices the rate has not reached yet).</param>
/// <param name="Offline">Tasks waiting for their device to come online: no estimate can include them.</param>
/// <param name="InFlight">Tasks pushed or in upgrade.</param>
/// <param name="TypicalUpdate">The median time from push to success of the batch's latest successes; null before the first.</param>
/// <param name="Remaining">About how long until every online device has its result; null when nothing is pushed any more or the batch does not push.</param>
public sealed record BatchPace(double PushedPerMinute, int RatePerMinute, int ToPush, int Offline, int InFlight, TimeSpan? TypicalUpdate, TimeSpan? Remaining);

public sealed class PaceQueries(IDbContextFactory<OtaDbContext> dbs, TimeProvider time)
{
    /// <summary>How far back the actual push rate looks.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    /// <summary>How many of the latest successes the typical update time is taken from.</summary>
    private const int Sample = 200;

    /// <summary>The pace of each running batch named (others are left out).</summary>
    public async Task<Dictionary<string, BatchPace>> OfAsync(Actor actor, IReadOnlyCollection<string> batchIds, CancellationToken ct = default)
    {
        var paces = new Dictionary<string, BatchPace>();
        if (batchIds.Count == 0)
            return paces;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        var batches = await db.Batches.AsNoTracking().VisibleTo(actor).Where(b => batchIds.Contains(b.Id) && b.Status == BatchStatus.InProgress).ToListAsync(ct);
        foreach (var b in batches)
            paces[b.Id] = await PaceAsync(db, b, now, ct);
        return paces;
    }

    private static async Task<BatchPace> PaceAsync(OtaDbContext db, Batch b, DateTimeOffset now, CancellationToken ct)
    {
        var tasks = db.Tasks.Where(t => t.BatchId == b.Id);
        var from = now - Window;
        var since = b.StartedAt is { } started && started > from ? started : from;
        var pushed = await tasks.CountAsync(t => t.PushedAt >= since, ct);
        var minutes = Math.Max((now - since).TotalMinutes, 1.0 / 60);
        var toPush = await tasks.CountAsync(t => t.Status == OtaTaskStatus.Queued && t.QueueReason == QueueReason.WaitingForSlot, ct);
        var offline = await tasks.CountAsync(t => t.Status == OtaTaskStatus.Queued && t.QueueReason == QueueReason.Offline, ct);
        var inFlight = b.Counts.Notified + b.Counts.InProgress;
        var typical = await TypicalUpdateAsync(tasks, ct);

        TimeSpan? remaining = null;
        if (b.NeedPush && (toPush > 0 || inFlight > 0))
        {
            // At the rate in force now (a ramp may still rise: then this is an upper bound), then one update's time.
            var pushing = TimeSpan.FromMinutes((double)toPush / Math.Max(1, b.RateSegmentPerMinute));
            remaining = pushing + (typical ?? TimeSpan.Zero);
        }
        return new BatchPace(pushed / minutes, b.RateSegmentPerMinute, toPush, offline, inFlight, typical, remaining);
    }

    private static async Task<TimeSpan?> TypicalUpdateAsync(IQueryable<UpdateTask> tasks, CancellationToken ct)
    {
        var latest = await tasks.Where(t => t.Status == OtaTaskStatus.Succeeded && t.PushedAt != null && t.EndedAt != null)
            .OrderByDescending(t => t.Id).Take(Sample).Select(t => new { t.PushedAt, t.EndedAt }).ToListAsync(ct);
        if (latest.Count == 0)
            return null;
        var spans = latest.Select(t => t.EndedAt!.Value - t.PushedAt!.Value).Where(s => s >= TimeSpan.Zero).Order().ToList();
        return spans.Count == 0 ? null : spans[spans.Count / 2];
    }
}
