using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Core.Webhooks;

namespace OtaConsole.Bench;

/// <summary>
/// event-apply's webhook cost: the same reports applied with one subscription to every event (device events too)
/// whose receiver takes 200 ms to answer each request, the dispatcher sending beside the engine, against the same
/// reports with no subscription; the two take turns to go first.
/// </summary>
internal static class WebhookBench
{
    private const int ReceiverDelayMs = 200;
    private static readonly ILoggerFactory Log = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));

    public static async Task<object> EventApplyCostAsync(BenchWorld template, IReadOnlyList<DeviceEvent> events, int runs)
    {
        await using var receiver = await SlowReceiver.StartAsync(ReceiverDelayMs);
        var with = new List<double>();
        var without = new List<double>();
        var drains = new List<double>();
        long outbox = 0, delivered = 0;
        for (var run = 0; run < runs; run++)
        {
            foreach (var hooks in run % 2 == 0 ? new[] { false, true } : [true, false])
            {
                using var w = template.CopyTo(DatabaseSynchronous.Full);
                var protector = new SecretProtector(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider());
                using var dispatcher = new WebhookDispatcher(w, w.Clock, protector, Options.Create(new WebhookOptions()),
                    Options.Create(new RolloutOptions { NodeId = "bench" }), Log.CreateLogger<WebhookDispatcher>(), writer: w.Writer);
                using var stop = new CancellationTokenSource();
                Task sending = Task.CompletedTask;
                if (hooks)
                {
                    await using (var db = w.CreateDbContext())
                    {
                        db.WebhookSubscriptions.Add(new WebhookSubscription
                        {
                            Name = "bench", Url = receiver.Url, Secret = protector.Protect("bench-secret-0123456789"), EventTypes = "*",
                            DeviceEvents = true, CreatedAt = w.Clock.GetUtcNow(),
                        });
                        await db.SaveChangesAsync();
                    }
                    // As the console's dispatcher service: a round four times a second.
                    sending = Task.Run(async () =>
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            try
                            {
                                await dispatcher.RunOnceAsync(stop.Token);
                                await Task.Delay(250, stop.Token);
                            }
                            catch (OperationCanceledException)
                            {
                            }
                        }
                    });
                }
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < events.Count; i += DeviceEventPump.MaxPerStep)
                    await w.Engine.ApplyDeviceEventsAsync(events.Skip(i).Take(DeviceEventPump.MaxPerStep).ToList());
                (hooks ? with : without).Add(sw.Elapsed.TotalSeconds);
                if (hooks)
                {
                    // The ended tasks come with the last reports: the dispatcher carries on until the receiver has them all.
                    var drain = Stopwatch.StartNew();
                    while (drain.Elapsed < TimeSpan.FromMinutes(2))
                    {
                        await using var db = w.CreateDbContext();
                        outbox = await db.OutboxEvents.LongCountAsync();
                        delivered = await db.WebhookDeliveries.Where(d => d.Status == DeliveryStatus.Delivered).SumAsync(d => (long)d.EventCount);
                        if (delivered == outbox)
                            break;
                        await Task.Delay(250);
                    }
                    drains.Add(drain.Elapsed.TotalSeconds);
                }
                await stop.CancelAsync();
                await sending;
            }
        }
        return new
        {
            events = events.Count,
            events_per_s = Math.Round(events.Count / CoreScenarios.Median(with)),
            without_webhooks_events_per_s = Math.Round(events.Count / CoreScenarios.Median(without)),
            cost_pct = Math.Round((CoreScenarios.Median(with) / CoreScenarios.Median(without) - 1) * 100, 1),
            outbox_events = outbox,
            delivered,
            lost = outbox - delivered,
            // From the last report applied until the receiver had every event (at 200 ms a request of up to 1,000).
            drain_s = Math.Round(CoreScenarios.Median(drains), 2),
            receiver_ms_per_request = ReceiverDelayMs,
            target = "cost_pct <= 10",
        };
    }

    /// <summary>
    /// webhooks: the 10,000-device fleet-e2e rollout with one subscription to every event (device events too) and
    /// a local receiver that answers at once, against the same rollout with no subscription, each on a fresh console
    /// and fleet, taking turns to go first. Each event's delivery time is from its commit to the receiver reading it:
    /// the bench reads the outbox's new ids every 20 ms and stamps each with the time it first saw it (so a commit is
    /// known at most 20 ms late, which counts against us); the receiver counts each event id once.
    /// </summary>
    public static async Task<object> FleetAsync(int runs)
    {
        await using var receiver = await SlowReceiver.StartAsync(0);
        var with = new List<double>();
        var without = new List<double>();
        long events = 0, delivered = 0, lost = 0;
        var latencies = new List<double>();
        Func<CreateBatchRequest, CreateBatchRequest> plain = r => r;
        for (var run = 0; run < Math.Max(1, runs); run++)
        {
            foreach (var hooks in run % 2 == 0 ? new[] { false, true } : [true, false])
            {
                if (!hooks)
                {
                    without.Add((await BridgeScenarios.FleetRunAsync(plain)).Seconds);
                    continue;
                }
                receiver.Clear();
                var admin = new Actor(ActorKind.Operator, "bench@console.test", "bench@console.test", OperatorRole.Admin);
                var committed = new System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset>();
                using var watching = new CancellationTokenSource();
                Task watch = Task.CompletedTask;
                var (seconds, _, _, _) = await BridgeScenarios.FleetRunAsync(plain,
                    before: async c =>
                    {
                        await c.Services.GetRequiredService<WebhookService>()
                            .CreateAsync(admin, new WebhookRequest("bench", receiver.Url, "bench-secret-0123456789", ["*"], DeviceEvents: true));
                        watch = WatchCommitsAsync(c, committed, watching.Token);
                    },
                    after: async c =>
                    {
                        // Until the receiver has every event of the outbox (or two minutes have passed).
                        var drain = Stopwatch.StartNew();
                        long outbox = 0;
                        while (drain.Elapsed < TimeSpan.FromMinutes(2))
                        {
                            await using (var db = c.Db())
                                outbox = await db.OutboxEvents.LongCountAsync();
                            if (receiver.EventCount >= outbox)
                                break;
                            await Task.Delay(100);
                        }
                        await watching.CancelAsync();
                        await watch;
                        events = outbox;
                        delivered = receiver.EventCount;
                        lost = Math.Max(lost, outbox - receiver.EventCount);
                        latencies.AddRange(receiver.Arrivals.Select(a => (a.At - committed.GetValueOrDefault(a.Id, a.At)).TotalMilliseconds));
                    });
                with.Add(seconds);
            }
        }
        latencies.Sort();
        return new
        {
            scenario = "webhooks",
            devices = 10_000,
            runs = with.Count,
            events,
            delivered,
            lost,
            p50_delivery_ms = Math.Round(latencies[latencies.Count / 2]),
            p95_delivery_ms = Math.Round(latencies[(int)(latencies.Count * 0.95)]),
            max_delivery_ms = Math.Round(latencies[^1]),
            seconds = Math.Round(CoreScenarios.Median(with), 2),
            without_webhooks_seconds = Math.Round(CoreScenarios.Median(without), 2),
            time_ratio = Math.Round(CoreScenarios.Median(with) / CoreScenarios.Median(without), 3),
            target = "lost == 0, p95_delivery_ms <= 2000, time_ratio <= 1.05",
        };
    }

    /// <summary>Stamps each outbox id with when it was first seen committed, reading new ids every 20 ms.</summary>
    private static async Task WatchCommitsAsync(BridgeScenarios.RunningConsole c, System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> seen, CancellationToken ct)
    {
        long last = 0;
        while (!ct.IsCancellationRequested)
        {
            await using (var db = c.Db())
            {
                var ids = await db.OutboxEvents.AsNoTracking().Where(e => e.Id > last).OrderBy(e => e.Id).Select(e => e.Id).ToListAsync(CancellationToken.None);
                var now = DateTimeOffset.UtcNow;
                foreach (var id in ids)
                    seen.TryAdd(id.ToString(System.Globalization.CultureInfo.InvariantCulture), now);
                if (ids.Count > 0)
                    last = ids[^1];
            }
            try
            {
                await Task.Delay(20, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// A receiver on a port of its own that answers every request after a delay; it counts the distinct event ids it
    /// was sent and when each one first arrived.
    /// </summary>
    private sealed class SlowReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public string Url { get; private set; } = "";
        private readonly HashSet<string> _seen = [];
        private readonly List<(string Id, DateTimeOffset At)> _arrivals = [];

        public long EventCount
        {
            get { lock (_seen) return _seen.Count; }
        }

        public List<(string Id, DateTimeOffset At)> Arrivals
        {
            get { lock (_seen) return [.. _arrivals]; }
        }

        public void Clear()
        {
            lock (_seen)
            {
                _seen.Clear();
                _arrivals.Clear();
            }
        }

        private SlowReceiver(int delayMs)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            _app = builder.Build();
            _app.MapPost("/hook", async (HttpContext c) =>
            {
                using var body = await System.Text.Json.JsonDocument.ParseAsync(c.Request.Body);
                var at = DateTimeOffset.UtcNow;
                var events = body.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array ? body.RootElement.EnumerateArray().ToList() : [body.RootElement];
                lock (_seen)
                {
                    foreach (var e in events)
                    {
                        var id = e.GetProperty("id").GetString()!;
                        if (_seen.Add(id))
                            _arrivals.Add((id, at));
                    }
                }
                if (delayMs > 0)
                    await Task.Delay(delayMs);
                return Results.Ok();
            });
        }

        public static async Task<SlowReceiver> StartAsync(int delayMs)
        {
            var r = new SlowReceiver(delayMs);
            await r._app.StartAsync();
            r.Url = r._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/hook";
            return r;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
