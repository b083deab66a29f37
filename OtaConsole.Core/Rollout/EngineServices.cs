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

    public ChannelReader<DeviceEvent> Reader => _channel.Reader;
    public long Enqueued => Interlocked.Read(ref _enqueued);
    public long Applied => Interlocked.Read(ref _applied);

    public ValueTask EnqueueAsync(DeviceEvent e, CancellationToken ct = default)
    {
        Interlocked.Increment(ref _enqueued);
        return _channel.Writer.TryWrite(e) ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(e, ct);
    }

    internal void MarkApplied(int count) => Interlocked.Add(ref _applied, count);
}

/// <summary>Drains the device event queue into the engine, up to <see cref="MaxPerStep"/> events a step.</summary>
public sealed class DeviceEventPump(DeviceEventQueue queue, RolloutEngine engine, ILogger<DeviceEventPump> log, Diagnostics.OtaMetrics? metrics = null) : BackgroundService
{
    public const int MaxPerStep = 2000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<DeviceEvent>(MaxPerStep);
        while (await queue.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < MaxPerStep && queue.Reader.TryRead(out var e))
                batch.Add(e);
            var started = engine.Time.GetTimestamp();
            await ApplyAsync(batch, stoppingToken);
            metrics?.EventsApplied(engine.Time.GetElapsedTime(started));
            queue.MarkApplied(batch.Count);
            batch.Clear();
        }
    }

    private async Task ApplyAsync(List<DeviceEvent> batch, CancellationToken ct)
    {
        try
        {
            var unknown = await engine.ApplyDeviceEventsAsync(batch, ct);
            if (unknown > 0)
                log.LogDebug("{Count} events from unknown devices dropped", unknown);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // One bad event must not take its neighbours with it: apply them one by one and drop only the culprit.
            log.LogWarning(e, "Applying {Count} device events failed; retrying them one at a time", batch.Count);
            foreach (var single in batch)
            {
                try
                {
                    await engine.ApplyDeviceEventsAsync([single], ct);
                }
                catch (Exception inner) when (!ct.IsCancellationRequested)
                {
                    log.LogError(inner, "Dropped device event {Event}", single);
                }
            }
        }
    }
}

/// <summary>Ticks the engine once a second on <see cref="TimeProvider"/> time.</summary>
public sealed class RolloutScheduler(RolloutEngine engine, ILogger<RolloutScheduler> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

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
}
