using System.Net;
using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Webhooks;

/// <summary>
/// Sends the outbox to each enabled subscription, at least once and in order: a subscription has one pending
/// delivery at a time, made from the events after its cursor (one rollout event, or the device events of up to a
/// group window, in one request) and written before it is sent, so a restart sends it again under the same
/// delivery id. One node sends at a time (the "webhooks" lease); the HTTP calls hold no transaction.
/// </summary>
public sealed class WebhookDispatcher(
    IDbContextFactory<OtaDbContext> dbs,
    TimeProvider time,
    SecretProtector secrets,
    IOptions<WebhookOptions> options,
    IOptions<RolloutOptions> rollout,
    ILogger<WebhookDispatcher> log,
    HttpMessageHandler? handler = null,
    EngineWriter? writer = null) : IDisposable
{
    private const int MaxPerRun = 20;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromHours(1);
    private static readonly JsonEventFormatter Formatter = new();

    // Redirects are not followed: a subscription's URL is the only place its events go.
    private readonly HttpClient _http = new(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private readonly HeldLease _lease = new(dbs, time, SchedulerLease.WebhooksName, () => rollout.Value);
    private DateTimeOffset _backlogAt = DateTimeOffset.MinValue;
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;
    // When each subscription's last group of device events was made (in memory: after a restart or a take-over the
    // first group may go a little early, which costs nothing).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, DateTimeOffset> _lastGroupAt = new();
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);
    /// <summary>An idle round re-counts the backlog for the metrics at most this often; a round that sent something, at once.</summary>
    private static readonly TimeSpan BacklogEvery = TimeSpan.FromSeconds(5);
    private WebhookOptions O => options.Value;

    /// <summary>Pending and failed deliveries over every subscription, as of the last run (for the metrics).</summary>
    public (int Pending, int Failed) Backlog { get; private set; }

    /// <summary>One round: each enabled subscription sends what is due, up to 20 deliveries. Returns the attempts made.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct = default)
    {
        if (!await _lease.HoldAsync(ct))
            return 0;
        List<WebhookSubscription> subs;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            subs = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.Enabled).ToListAsync(ct);
        // Each subscription on its own: a slow receiver delays only its own deliveries.
        var attempts = await Task.WhenAll(subs.Select(s => RunSubscriptionAsync(s, ct)));
        if (attempts.Sum() > 0 || time.GetUtcNow() - _backlogAt >= BacklogEvery)
            await CountBacklogAsync(ct);
        if (time.GetUtcNow() - _prunedAt >= PruneEvery)
            await PruneAsync(ct);
        return attempts.Sum();
    }

    private async Task<int> RunSubscriptionAsync(WebhookSubscription sub, CancellationToken ct)
    {
        var attempts = 0;
        try
        {
            for (var i = 0; i < MaxPerRun; i++)
            {
                var delivery = await NextAsync(sub, ct);
                if (delivery is null || delivery.NextAttemptAt > time.GetUtcNow())
                    break;
                attempts++;
                if (!await AttemptAsync(sub, delivery, ct))
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A database hiccup: the delivery is still pending and is tried on a later round.
            log.LogWarning(e, "Webhook subscription {Name}: delivery round failed", sub.Name);
        }
        return attempts;
    }

    /// <summary>The subscription's pending delivery, or a new one from the events after its cursor; null when nothing is due.</summary>
    private async Task<WebhookDelivery?> NextAsync(WebhookSubscription sub, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var pending = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.SubscriptionId == sub.Id && d.Status == DeliveryStatus.Pending).OrderBy(d => d.Id).FirstOrDefaultAsync(ct);
        if (pending is not null)
            return pending;

        // Heads first, without the data: while device events wait out their group window this read is all a round does.
        const int read = 2 * WebhookRules.MaxGroup;
        var wants = WebhookRules.Wants(sub);
        List<OutboxEventHead> heads, wanted;
        // Past what it does not want (other products' events, status changes for Alibaba's messages) in one round.
        for (var skips = 0; ; skips++)
        {
            var cursor = sub.Cursor;
            heads = await db.OutboxEvents.AsNoTracking().Where(e => e.Id > cursor).OrderBy(e => e.Id).Take(read)
                .Select(e => new OutboxEventHead(e.Id, e.Type, e.ProductKey, e.IsDeviceEvent, e.Time)).ToListAsync(ct);
            if (heads.Count == 0)
                return null;
            wanted = heads.Where(wants).ToList();
            if (wanted.Count > 0)
                break;
            var past = heads[^1].Id;
            await WriteAsync(async c =>
            {
                await MoveCursorAsync(db, sub, past, c);
                return true;
            }, ct);
            if (heads.Count < read || skips == 50)
                return null;
        }
        List<OutboxEventHead> chosen;
        if (!wanted[0].IsDeviceEvent)
            chosen = [wanted[0]];
        else
        {
            chosen = wanted.TakeWhile(e => e.IsDeviceEvent).Take(WebhookRules.MaxGroup).ToList();
            var closed = chosen.Count == WebhookRules.MaxGroup || chosen.Count < wanted.Count || heads.Count == read;
            // At most one group per window: device events go at once when the last group went out a window ago or
            // more, else they wait for that and go together. A busy batch is a request a second, a quiet one waits not.
            if (!closed && _lastGroupAt.TryGetValue(sub.Id, out var last) && time.GetUtcNow() - last < O.GroupWindow)
                return null;
            _lastGroupAt[sub.Id] = time.GetUtcNow();
        }
        var (firstId, lastId) = (chosen[0].Id, chosen[^1].Id);
        var ids = chosen.Select(e => e.Id).ToHashSet();
        var group = (await db.OutboxEvents.AsNoTracking().Where(e => e.Id >= firstId && e.Id <= lastId).OrderBy(e => e.Id).ToListAsync(ct))
            .Where(e => ids.Contains(e.Id)).ToList();
        var now = time.GetUtcNow();
        var delivery = WebhookDelivery.Pending(sub.Id, group[0].Type,
            group.Count == 1 && !group[0].IsDeviceEvent ? "application/cloudevents+json" : "application/cloudevents-batch+json", Encode(group), now);
        delivery.FirstEventId = group[0].Id;
        delivery.LastEventId = group[^1].Id;
        delivery.EventCount = group.Count;
        await WriteAsync(async c =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(c);
            db.WebhookDeliveries.Add(delivery);
            await db.SaveChangesAsync(c);
            await MoveCursorAsync(db, sub, group[^1].Id, c);
            await tx.CommitAsync(c);
            return true;
        }, ct);
        return delivery;
    }

    private static async Task MoveCursorAsync(OtaDbContext db, WebhookSubscription sub, long to, CancellationToken ct)
    {
        await db.WebhookSubscriptions.Where(s => s.Id == sub.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Cursor, to), ct);
        sub.Cursor = to;
    }

    /// <summary>One rollout event as a structured CloudEvent; device events as a CloudEvents batch (a JSON array).</summary>
    internal static string Encode(IReadOnlyList<OutboxEvent> events)
    {
        var cloudEvents = events.Select(ToCloudEvent).ToList();
        var bytes = events.Count == 1 && !events[0].IsDeviceEvent
            ? Formatter.EncodeStructuredModeMessage(cloudEvents[0], out _)
            : Formatter.EncodeBatchModeMessage(cloudEvents, out _);
        return Encoding.UTF8.GetString(bytes.Span);
    }

    internal static CloudEvent ToCloudEvent(OutboxEvent e) => new()
    {
        Id = e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Type = e.Type,
        Source = new Uri(e.ProductKey is null ? "/otaconsole" : "/otaconsole/products/" + Uri.EscapeDataString(e.ProductKey), UriKind.Relative),
        Subject = e.Subject,
        Time = e.Time,
        DataContentType = "application/json",
        Data = JsonDocument.Parse(e.Data).RootElement.Clone(),
    };

    /// <summary>Sends a delivery once and records the attempt. True when it was taken (2xx).</summary>
    internal async Task<bool> AttemptAsync(WebhookSubscription sub, WebhookDelivery delivery, CancellationToken ct)
    {
        var (status, error, start, latency) = await SendAsync(sub, delivery, ct);
        return await WriteAsync(c => RecordAsync(sub, delivery, status, error, start, latency, c), ct);
    }

    /// <summary>The dispatcher's writes, between the engine's steps when it runs in the console (see <see cref="EngineWriter.BetweenStepsAsync"/>).</summary>
    private Task<T> WriteAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken ct) =>
        writer is null ? work(ct) : writer.BetweenStepsAsync(work, ct);

    private async Task<bool> RecordAsync(WebhookSubscription sub, WebhookDelivery delivery, int? status, string? error, string? start, int latency, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var d = await db.WebhookDeliveries.SingleAsync(x => x.Id == delivery.Id, ct);
        d.Attempted(status, error);
        db.WebhookAttempts.Add(new WebhookAttempt
        {
            DeliveryId = d.Id, SubscriptionId = sub.Id, At = now, StatusCode = status, LatencyMs = latency, Error = error, ResponseStart = start,
        });
        var taken = status is >= 200 and < 300;
        if (taken)
            d.Taken(now);
        else if (status == (int)HttpStatusCode.Gone)
        {
            // The receiver says it is gone for good: stop sending to it, keep what is pending for an Admin to look at.
            d.GiveUp();
            var s = await db.WebhookSubscriptions.SingleAsync(x => x.Id == sub.Id, ct);
            s.Enabled = false;
            s.DisabledReason = $"the receiver answered 410 Gone on {now:u}";
            log.LogWarning("Webhook subscription {Name} disabled: its receiver answered 410 Gone", sub.Name);
        }
        else if (now - d.CreatedAt >= O.RetryFor)
        {
            d.GiveUp();
            log.LogWarning("Webhook subscription {Name}: delivery {Delivery} given up after {Attempts} attempts", sub.Name, d.DeliveryId, d.Attempts);
        }
        else
            d.RetryAt(now + Backoff(d.Attempts));
        await db.SaveChangesAsync(ct);
        return taken;
    }

    /// <summary>10 s after the first failure, doubling up to an hour.</summary>
    public static TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, FirstRetry.Ticks << Math.Min(failures - 1, 20)));

    internal async Task<(int? Status, string? Error, string? Start, int LatencyMs)> SendAsync(WebhookSubscription sub, WebhookDelivery delivery, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, sub.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(delivery.ContentType) { CharSet = "utf-8" };
        request.Headers.Add(WebhookRules.DeliveryHeader, delivery.DeliveryId);
        request.Headers.Add(WebhookRules.EventHeader, delivery.FirstEventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookRules.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookRules.SignatureHeader, WebhookRules.Sign(secrets.Reveal(sub.Secret), timestamp, body));
        request.Headers.UserAgent.ParseAdd("OtaConsole-Webhooks/1");
        var started = TimeProvider.System.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(O.RequestTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var start = await ReadStartAsync(response, timeout.Token);
            return ((int)response.StatusCode, null, start, Elapsed(started));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var error = e is OperationCanceledException ? $"no answer within {O.RequestTimeout.TotalSeconds:0.#} s" : e.Message;
            return (null, Truncate(error, 1000), null, Elapsed(started));
        }
    }

    private static int Elapsed(long started) => (int)Math.Min(int.MaxValue, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);

    /// <summary>The response's first bytes, as text, for the log; the rest is not read.</summary>
    private static async Task<string?> ReadStartAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[WebhookRules.ResponseStartLength];
        var n = 0;
        int r;
        while (n < buffer.Length && (r = await stream.ReadAsync(buffer.AsMemory(n), ct)) > 0)
            n += r;
        if (n == 0)
            return null;
        var text = Encoding.UTF8.GetString(buffer, 0, n);
        return new string(text.Select(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t') ? '?' : c).ToArray());
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    /// <summary>On a clean stop another node takes over at once.</summary>
    public Task ReleaseLeaseAsync(CancellationToken ct) => _lease.ReleaseAsync(ct);

    /// <summary>The lease holder prunes the outbox and the delivery log every ten minutes (<see cref="OutboxPruning"/>).</summary>
    public async Task<(int Events, int Deliveries)> PruneAsync(CancellationToken ct = default)
    {
        _prunedAt = time.GetUtcNow();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var pruned = await OutboxPruning.PruneAsync(db, _prunedAt, WriteAsync, ct);
        if (pruned != (0, 0))
            log.LogInformation("Pruned {Events} outbox events and {Deliveries} deliveries older than {Days} days", pruned.Events, pruned.Deliveries, OutboxPruning.KeepFor.TotalDays);
        return pruned;
    }

    private async Task CountBacklogAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var counts = await db.WebhookDeliveries.AsNoTracking().Where(d => d.Status != DeliveryStatus.Delivered)
            .GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        _backlogAt = time.GetUtcNow();
        Backlog = (counts.FirstOrDefault(c => c.Key == DeliveryStatus.Pending)?.Count ?? 0, counts.FirstOrDefault(c => c.Key == DeliveryStatus.Failed)?.Count ?? 0);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Runs the dispatcher four times a second, as the scheduler ticks.</summary>
public sealed class WebhookDispatcherService(WebhookDispatcher dispatcher, TimeProvider time, ILogger<WebhookDispatcherService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await dispatcher.RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Webhook round failed; trying again");
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await dispatcher.ReleaseLeaseAsync(cancellationToken);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not release the webhooks lease on stop");
        }
    }
}
