using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Diagnostics;

/// <summary>
/// The console's figures as System.Diagnostics.Metrics instruments, all on one meter ("OtaConsole"), exported at
/// /metrics. Most are observed at scrape time from counters kept anyway (BridgeStats, the event queue) and from
/// <see cref="RolloutFigures"/>, so the hot paths do no more than before; the two durations are recorded by the
/// writer and the event pump. The meter comes from the host's IMeterFactory, so each host (each test's console)
/// has its own.
/// </summary>
public sealed class OtaMetrics
{
    public const string MeterName = "OtaConsole";

    private readonly Meter _meter;
    private readonly Histogram<double> _writerStep;
    private readonly Histogram<double> _eventsApply;
    private readonly Counter<long> _operatorSignIns;
    private int _observing;

    /// <summary>Buckets from a millisecond to ten seconds (the default ones are for milliseconds).</summary>
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] };

    // Only the meter factory: the writer and the pump take this, so it must depend on nothing of theirs.
    public OtaMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _eventsApply = _meter.CreateHistogram("ota.events.apply.duration", "s", "Time to apply one run of queued device events (up to 2,000) in one writer step.", advice: Seconds);
        _operatorSignIns = _meter.CreateCounter<long>("ota.operator.signins", "{signin}", "Operators' sign-ins to the console, by result and refusal reason.");
        _writerStep = _meter.CreateHistogram("ota.writer.step.duration", "s", "Time of one engine writer step (device events, a scheduler tick or an operator command), lock held.", advice: Seconds);
    }

    /// <summary>Adds the instruments read at scrape time. Called once, when the host is built.</summary>
    public void Observe(BridgeStats bridge, DeviceEventQueue queue, RolloutFigures figures, IBrokerStatus broker, Webhooks.WebhookDispatcher webhooks)
    {
        if (Interlocked.Exchange(ref _observing, 1) != 0)
            return;
        _meter.CreateObservableGauge("ota.webhooks.deliveries", () => new[]
        {
            Of(webhooks.Backlog.Pending, "status", "pending"),
            Of(webhooks.Backlog.Failed, "status", "failed"),
        }, "{delivery}", "Webhook deliveries not yet taken by their receivers (pending: being retried) or given up (failed), as of the dispatcher's last round on this node.");
        _meter.CreateObservableGauge("ota.devices.connected", () => broker.ConnectedDevices is int n ? [new Measurement<int>(n)] : Array.Empty<Measurement<int>>(),
            "{device}", "Devices connected to the embedded broker now (absent with an external broker).");
        _meter.CreateObservableGauge("ota.devices.online", () => figures.Current.OnlineDevices,
            "{device}", "Devices the console holds online (presence), read from the database at most every 5 s.");

        _meter.CreateObservableCounter("ota.signins", () => SignIns(bridge), "{signin}", "Device sign-ins to the embedded broker, by result and refusal reason.");
        _meter.CreateObservableCounter("ota.messages.received", () => new[]
        {
            Of(bridge.EventsAccepted, "outcome", "accepted"),
            Of(bridge.MessagesIgnored, "outcome", "ignored"),
            Of(bridge.PublishesRefused, "outcome", "refused"),
        }, "{message}", "Device messages: taken for the engine, ignored (non-OTA topics of the device), refused (another device's topic).");
        _meter.CreateObservableCounter("ota.messages.dropped", () => Enum.GetValues<DropReason>().Select(r => Of(bridge.Dropped(r), "reason", Label(r))),
            "{message}", "Device messages dropped as malformed or over a limit, by reason.");
        _meter.CreateObservableCounter("ota.notices", () => new[]
        {
            Of(bridge.NoticesSent, "outcome", "sent"),
            Of(bridge.NoticesFailed, "outcome", "failed"),
        }, "{notice}", "Update notices to devices: sent (handed to the broker), or failed (not taken by it, or dropped from a device's full queue; sent again later). Failed also counts firmware/get replies that could not be queued.");
        _meter.CreateObservableCounter("ota.notices.resent", () => bridge.NoticesResent,
            "{notice}", "Notices sent again for an already pushed task (a reconnect, a retry, a re-notice of a silent task, a redelivery).");

        _meter.CreateObservableGauge("ota.events.queue.depth", () => Math.Max(0, queue.Depth),
            "{event}", "Device events waiting for the engine.");
        _meter.CreateObservableCounter("ota.events.applied", () => queue.Applied, "{event}", "Device events applied by the engine.");

        _meter.CreateObservableGauge("ota.batch.tasks", () => figures.Current.Batches.SelectMany(b => Enum.GetValues<OtaTaskStatus>()
            .Select(s => new Measurement<int>(b.Counts[s], Tag("batch", b.BatchId), Tag("status", Label(s))))),
            "{task}", "Tasks of each running batch, by status.");
        _meter.CreateObservableCounter("ota.batch.pushed", () => figures.Current.Batches.Select(b => new Measurement<int>(b.Pushed, Tag("batch", b.BatchId))),
            "{task}", "Tasks of each running batch pushed so far.");
        _meter.CreateObservableGauge("ota.batch.push_rate.configured", () => figures.Current.Batches.Select(b => new Measurement<int>(b.RatePerMinute, Tag("batch", b.BatchId))),
            "{task}/min", "The push rate in force for each running batch (a ramp's current step).");
        _meter.CreateObservableGauge("ota.batch.push_rate.actual", () => figures.Current.Batches.Where(b => b.PushesPerMinute is not null)
            .Select(b => new Measurement<double>(b.PushesPerMinute!.Value, Tag("batch", b.BatchId))),
            "{task}/min", "Pushes a minute each running batch achieved over about the last minute, to compare with ota.batch.push_rate.configured.");
    }

    /// <summary>An operator's sign-in: accepted, or refused with the reason (wrong password, locked out, disabled, …).</summary>
    public void OperatorSignIn(string? refusedBecause) =>
        _operatorSignIns.Add(1, new KeyValuePair<string, object?>("result", refusedBecause is null ? "accepted" : "refused"),
            new KeyValuePair<string, object?>("reason", refusedBecause?.Replace(' ', '_') ?? ""));

    /// <summary>One writer step took this long (from taking the lock to committing).</summary>
    public void WriterStep(TimeSpan elapsed) => _writerStep.Record(elapsed.TotalSeconds);

    /// <summary>A run of device events took this long to apply.</summary>
    public void EventsApplied(TimeSpan elapsed) => _eventsApply.Record(elapsed.TotalSeconds);

    private static IEnumerable<Measurement<long>> SignIns(BridgeStats bridge)
    {
        yield return Of(bridge.ConnectsAccepted, "result", "accepted");
        foreach (var reason in Enum.GetValues<SignInFailure>().Where(r => r != SignInFailure.None))
            yield return new Measurement<long>(bridge.SignInsRefused(reason), Tag("result", "refused"), Tag("reason", Label(reason)));
    }

    private static Measurement<long> Of(long value, string key, string label) => new(value, Tag(key, label));

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    /// <summary>Enum names as Prometheus labels: "BadCredentials" → "bad_credentials".</summary>
    internal static string Label<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

public static class OtaMetricsServices
{
    /// <summary>The meter and the cached database figures; <see cref="OtaMetrics.Observe"/> is called once the host is built.</summary>
    public static IServiceCollection AddOtaMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<OtaMetrics>();
        services.AddSingleton<RolloutFigures>();
        return services;
    }

    public static void ObserveOtaFigures(this IServiceProvider services) => services.GetRequiredService<OtaMetrics>().Observe(
        services.GetRequiredService<BridgeStats>(), services.GetRequiredService<DeviceEventQueue>(),
        services.GetRequiredService<RolloutFigures>(), services.GetRequiredService<IBrokerStatus>(), services.GetRequiredService<Webhooks.WebhookDispatcher>());
}
