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
using OtaConsole.Core.Rollout;
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
                    Options.Create(new RolloutOptions { NodeId = "bench" }), Log.CreateLogger<WebhookDispatcher>());
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

    /// <summary>A receiver on a port of its own that answers every request after a delay.</summary>
    private sealed class SlowReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public string Url { get; private set; } = "";

        private SlowReceiver(int delayMs)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            _app = builder.Build();
            _app.MapPost("/hook", async (HttpContext c) =>
            {
                await c.Request.Body.CopyToAsync(Stream.Null);
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
