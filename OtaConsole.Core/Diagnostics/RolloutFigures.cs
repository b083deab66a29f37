using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Diagnostics;

/// <summary>A running batch as the metrics show it.</summary>
/// <param name="PushesPerMinute">Pushes a minute measured over about the last minute; null until two reads are apart.</param>
public sealed record BatchFigure(string BatchId, TaskCounts Counts, int Pushed, int RatePerMinute, double? PushesPerMinute);

public sealed record RolloutSnapshot(int OnlineDevices, IReadOnlyList<BatchFigure> Batches)
{
    public static RolloutSnapshot Empty { get; } = new(0, []);
}

/// <summary>
/// The figures the metrics read from the database: devices online and the running batches' counters (kept on each
/// batch row by the engine). Read at most once every <see cref="MaxAge"/>, however often metrics are scraped; a
/// failed read keeps the previous figures (readiness reports the database).
/// </summary>
public sealed class RolloutFigures(IDbContextFactory<OtaDbContext> dbs, TimeProvider time)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private RolloutSnapshot _last = RolloutSnapshot.Empty;
    private DateTimeOffset? _readAt;
    // Each running batch's pushed count at past reads, the oldest at most a window back (plus one older sample).
    private readonly Dictionary<string, Queue<(DateTimeOffset At, int Pushed)>> _pushes = [];

    public RolloutSnapshot Current
    {
        get
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (_readAt is { } at && now - at < MaxAge)
                    return _last;
                try
                {
                    _last = Read(now);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException)
                {
                    // Keep the last figures.
                }
                _readAt = now;
                return _last;
            }
        }
    }

    private RolloutSnapshot Read(DateTimeOffset now)
    {
        using var db = dbs.CreateDbContext();
        var online = db.Devices.Count(d => d.IsOnline);
        var batches = db.Batches.AsNoTracking().Where(b => b.Status == BatchStatus.InProgress).ToList();
        var figures = batches.Select(b => new BatchFigure(b.Id, b.Counts, b.PushedCount,
            b.RateSegmentPerMinute > 0 ? b.RateSegmentPerMinute : b.PushRate.PerMinute, PushesPerMinute(b.Id, b.PushedCount, now))).ToList();
        foreach (var gone in _pushes.Keys.Except(batches.Select(b => b.Id)).ToList())
            _pushes.Remove(gone);
        return new RolloutSnapshot(online, figures);
    }

    private double? PushesPerMinute(string batchId, int pushed, DateTimeOffset now)
    {
        if (!_pushes.TryGetValue(batchId, out var samples))
            _pushes[batchId] = samples = new();
        samples.Enqueue((now, pushed));
        // Keep one sample at least a window old, so the rate spans about a minute.
        while (samples.Count > 2 && now - samples.ElementAt(1).At >= RateWindow)
            samples.Dequeue();
        var (at, then) = samples.Peek();
        var span = now - at;
        return span <= TimeSpan.Zero ? null : (pushed - then) / span.TotalMinutes;
    }
}
