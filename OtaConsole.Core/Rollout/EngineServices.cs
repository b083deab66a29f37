using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OtaConsole.Core.Devices;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// The hand-over between the MQTT bridge and the engine. Receive handlers only enqueue; the pump applies.
/// Bounded, so a storm slows the receivers down instead of growing memory without end.
/// </summary>
public sealed class DeviceEventQueue
{
    public const int Capacity = 200_000;

    private readonly Channel<DeviceEvent> _channel = Channel.CreateBounded<DeviceEvent>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private long _enqueued;
    private long _applied;
    private long _dropped;
    private long _refused;

    public ChannelReader<DeviceEvent> Reader => _channel.Reader;
    public long Enqueued => Interlocked.Read(ref _enqueued);
    public long Applied => Interlocked.Read(ref _applied);
    /// <summary>Events that were invalid in themselves: dropped, logged and counted.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    /// <summary>Events that arrived after the queue was closed for shutdown.</summary>
    public long Refused => Interlocked.Read(ref _refused);
    /// <summary>Events waiting to be applied.</summary>
    public long Depth => Enqueued - Applied - Dropped;

    /// <summary>
    /// Sees each device event as it arrives, before it waits its turn: for diagnostics (the blast-radius benchmark
    /// times a pause from the report that tripped it). Null, it costs one check per event.
    /// </summary>
    public Action<DeviceEvent>? Observer { get; set; }

    public async ValueTask EnqueueAsync(DeviceEvent e, CancellationToken ct = default)
    {
        Observer?.Invoke(e);
        if (!_channel.Writer.TryWrite(e))
        {
            try
            {
                await _channel.Writer.WriteAsync(e, ct);
            }
            catch (ChannelClosedException)
            {
                // The console is stopping and the broker has already let its devices go: they report again on reconnect.
                Interlocked.Increment(ref _refused);
                return;
            }
        }
        Interlocked.Increment(ref _enqueued);
    }

    /// <summary>Enqueues without waiting, for callers that must not block (the writer's hand-over); false when full or closed.</summary>
    public bool TryEnqueue(DeviceEvent e)
    {
        if (!_channel.Writer.TryWrite(e))
            return false;
        Interlocked.Increment(ref _enqueued);
        return true;
    }

    /// <summary>Stop accepting events; those already queued stay to be applied.</summary>
    public void Close() => _channel.Writer.TryComplete();

    internal void MarkApplied(int count) => Interlocked.Add(ref _applied, count);
    internal void MarkDropped() => Interlocked.Increment(ref _dropped);
}

/// <summary>
/// Drains the device event queue into the engine, up to <see cref="MaxPerStep"/> events a step. Devices were
/// acknowledged for every queued event and will not send it again, so nothing queued is given up lightly: on
/// stop the queue closes and what it holds is applied before the pump exits (within the host's shutdown
/// timeout); a transient failure (a locked or busy database, an I/O error, a full disk) is waited out with
/// back-off; only an event that fails in itself is dropped, logged and counted.
/// </summary>
public sealed class DeviceEventPump(DeviceEventQueue queue, RolloutEngine engine, TimeProvider time, ILogger<DeviceEventPump> log, Diagnostics.OtaMetrics? metrics = null)
    : IHostedService, IDisposable
{
    public const int MaxPerStep = 2000;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    // Cancelled only when the host's shutdown timeout runs out (or the pump is disposed unstopped): stopping
    // itself only closes the queue, and the loop ends once it has applied what the queue held.
    private readonly CancellationTokenSource _abandon = new();
    private Task? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => LoopAsync(_abandon.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Close();
        if (_loop is null)
            return;
        await using var giveUp = cancellationToken.Register(_abandon.Cancel);
        try
        {
            await _loop;
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            log.LogWarning("Stopped with {Count} device events not applied: the shutdown timeout ran out", queue.Depth);
        }
    }

    public void Dispose()
    {
        queue.Close();
        _abandon.Cancel();
        _abandon.Dispose();
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var batch = new List<DeviceEvent>(MaxPerStep);
        while (await queue.Reader.WaitToReadAsync(ct))
        {
            while (batch.Count < MaxPerStep && queue.Reader.TryRead(out var e))
                batch.Add(e);
            var started = time.GetTimestamp();
            await ApplyAsync(batch, ct);
            metrics?.EventsApplied(time.GetElapsedTime(started));
            batch.Clear();
        }
    }

    private async Task ApplyAsync(List<DeviceEvent> batch, CancellationToken ct)
    {
        if (await TryApplyAsync(batch, ct))
        {
            queue.MarkApplied(batch.Count);
            return;
        }
        // Something in the step fails in itself: apply the events one by one and drop only the culprits.
        foreach (var single in batch)
        {
            if (await TryApplyAsync([single], ct))
            {
                queue.MarkApplied(1);
                continue;
            }
            queue.MarkDropped();
        }
    }

    /// <summary>Applies the events, waiting out transient failures; false when the failure is in the events themselves.</summary>
    private async Task<bool> TryApplyAsync(IReadOnlyList<DeviceEvent> events, CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (true)
        {
            try
            {
                var unknown = await engine.ApplyDeviceEventsAsync(events, ct);
                if (unknown > 0)
                    log.LogDebug("{Count} events from unknown devices dropped", unknown);
                return true;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && Transient.Is(e))
            {
                log.LogWarning("Applying {Count} device events failed for now ({Message}); trying again in {Backoff}", events.Count, e.Message, backoff);
                await Task.Delay(backoff, time, ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                if (events.Count == 1)
                    log.LogError(e, "Dropped device event {Event}", events[0]);
                else
                    log.LogWarning(e, "Applying {Count} device events failed; applying them one at a time", events.Count);
                return false;
            }
        }
    }
}

/// <summary>Failures that pass by themselves: retry the same work later.</summary>
internal static class Transient
{
    // SQLite's primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
    private static readonly int[] SqliteCodes = [5, 6, 10, 13, 14];

    public static bool Is(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.Data.Sqlite.SqliteException s && SqliteCodes.Contains(s.SqliteErrorCode & 0xFF))
                return true;
            // PostgreSQL: a lost connection, a failover, a serialization failure or a deadlock victim.
            if (e is Npgsql.NpgsqlException { IsTransient: true })
                return true;
            if (e is IOException or TimeoutException)
                return true;
        }
        return false;
    }
}

/// <summary>Ticks the engine every <see cref="PushPacing.Tick"/> on <see cref="TimeProvider"/> time.</summary>
public sealed class RolloutScheduler(RolloutEngine engine, ILogger<RolloutScheduler> log) : BackgroundService
{
    public static readonly TimeSpan Interval = PushPacing.Tick;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, engine.Time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await engine.TickAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogError(e, "Scheduler tick failed; the next tick tries again");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await engine.ReleaseSchedulerAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The lease then simply expires; another node waits out its few seconds.
            log.LogWarning(e, "Could not release the scheduler lease on stop");
        }
    }
}
