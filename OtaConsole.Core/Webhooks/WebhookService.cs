using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Webhooks;

/// <summary>What an Admin gives for a subscription. A null secret on an update keeps the one stored.</summary>
public sealed record WebhookRequest(string Name, string Url, string? Secret, IReadOnlyList<string> EventTypes, string? ProductKey = null, bool DeviceEvents = false);

/// <summary>A subscription as the console shows it: never its secret.</summary>
public sealed record WebhookView(long Id, string Name, string Url, IReadOnlyList<string> EventTypes, string? ProductKey, bool DeviceEvents,
    bool Enabled, string? DisabledReason, bool FromConfiguration, DateTimeOffset CreatedAt, int Pending, int Failed);

public sealed record DeliveryView(long Id, string DeliveryId, string Type, int EventCount, DeliveryStatus Status, int Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, DateTimeOffset NextAttemptAt, int? LastStatusCode, string? LastError);

public sealed record AttemptView(DateTimeOffset At, int? StatusCode, int LatencyMs, string? Error, string? ResponseStart);

/// <summary>
/// Webhook subscriptions, their delivery log, Test and Redeliver. Admins only: a subscription sends every
/// rollout of its scope to an address of the Admin's choosing.
/// </summary>
public sealed class WebhookService(IDbContextFactory<OtaDbContext> dbs, TimeProvider time, SecretProtector secrets, AuditedWrites audited,
    WebhookDispatcher dispatcher)
{
    public async Task<List<WebhookView>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Admin, "see webhook subscriptions");
        await using var db = await dbs.CreateDbContextAsync(ct);
        var subs = await db.WebhookSubscriptions.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
        var counts = await db.WebhookDeliveries.AsNoTracking().Where(d => d.Status != DeliveryStatus.Delivered)
            .GroupBy(d => new { d.SubscriptionId, d.Status }).Select(g => new { g.Key.SubscriptionId, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        int Count(long id, DeliveryStatus s) => counts.FirstOrDefault(c => c.SubscriptionId == id && c.Status == s)?.Count ?? 0;
        return subs.Select(s => new WebhookView(s.Id, s.Name, s.Url, WebhookRules.ParseTypes(s.EventTypes), s.ProductKey, s.DeviceEvents, s.Enabled,
            s.DisabledReason, s.FromConfiguration, s.CreatedAt, Count(s.Id, DeliveryStatus.Pending), Count(s.Id, DeliveryStatus.Failed))).ToList();
    }

    public Task<long> CreateAsync(Actor actor, WebhookRequest r, CancellationToken ct = default) =>
        audited.RunAsync(actor, new("webhook.create", "add a webhook subscription", "webhook", r.Name, Details(r), OperatorRole.Admin), async db =>
        {
            await ValidateAsync(db, r, null, ct);
            var sub = new WebhookSubscription
            {
                Name = r.Name.Trim(), Url = r.Url.Trim(), Secret = secrets.Protect(r.Secret!), EventTypes = string.Join(' ', r.EventTypes.Distinct()),
                ProductKey = r.ProductKey, DeviceEvents = r.DeviceEvents, CreatedAt = time.GetUtcNow(),
                // It receives what happens from now on, not the outbox's past.
                Cursor = await db.OutboxEvents.MaxAsync(e => (long?)e.Id, ct) ?? 0,
            };
            db.WebhookSubscriptions.Add(sub);
            await db.SaveChangesAsync(ct);
            return sub.Id;
        }, null, ct);

    public Task UpdateAsync(Actor actor, long id, WebhookRequest r, CancellationToken ct = default) =>
        audited.RunAsync(actor, new("webhook.update", "change a webhook subscription", "webhook", id.ToString(System.Globalization.CultureInfo.InvariantCulture), Details(r), OperatorRole.Admin), async db =>
        {
            var sub = await FindAsync(db, id, ct);
            if (sub.FromConfiguration)
                throw OtaException.Conflict("WebhookFromConfiguration", $"Subscription {sub.Name} is defined in the configuration (Ota:Webhooks:Subscriptions); change it there.");
            await ValidateAsync(db, r, id, ct);
            sub.Name = r.Name.Trim();
            sub.Url = r.Url.Trim();
            if (!string.IsNullOrEmpty(r.Secret))
                sub.Secret = secrets.Protect(r.Secret);
            sub.EventTypes = string.Join(' ', r.EventTypes.Distinct());
            sub.ProductKey = r.ProductKey;
            sub.DeviceEvents = r.DeviceEvents;
            return true;
        }, null, ct);

    /// <summary>Turns a subscription on or off; on again, it carries on from where it stopped.</summary>
    public Task SetEnabledAsync(Actor actor, long id, bool enabled, CancellationToken ct = default) =>
        audited.RunAsync(actor, new(enabled ? "webhook.enable" : "webhook.disable", "turn a webhook subscription on or off", "webhook",
            id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, OperatorRole.Admin), async db =>
        {
            var sub = await FindAsync(db, id, ct);
            sub.Enabled = enabled;
            sub.DisabledReason = null;
            return true;
        }, null, ct);

    public Task DeleteAsync(Actor actor, long id, CancellationToken ct = default) =>
        audited.RunAsync(actor, new("webhook.delete", "delete a webhook subscription", "webhook", id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, OperatorRole.Admin), async db =>
        {
            var sub = await FindAsync(db, id, ct);
            if (sub.FromConfiguration)
                throw OtaException.Conflict("WebhookFromConfiguration", $"Subscription {sub.Name} is defined in the configuration (Ota:Webhooks:Subscriptions); remove it there.");
            await db.WebhookAttempts.Where(a => a.SubscriptionId == id).ExecuteDeleteAsync(ct);
            await db.WebhookDeliveries.Where(d => d.SubscriptionId == id).ExecuteDeleteAsync(ct);
            db.WebhookSubscriptions.Remove(sub);
            return true;
        }, null, ct);

    /// <summary>The Test button: a ping, sent now, outside the subscription's queue; logged as a delivery.</summary>
    public async Task<AttemptView> PingAsync(Actor actor, long id, CancellationToken ct = default)
    {
        var sub = await audited.RunAsync(actor, new("webhook.ping", "send a test event", "webhook", id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, OperatorRole.Admin),
            db => FindAsync(db, id, ct), null, ct);
        var now = time.GetUtcNow();
        var ping = new OutboxEvent { Id = 0, Type = OtaEventTypes.Ping, Subject = sub.Name, Time = now, Data = $$"""{"subscription":{{System.Text.Json.JsonSerializer.Serialize(sub.Name)}}}""" };
        var delivery = WebhookDelivery.Ping(id, OtaEventTypes.Ping, "application/cloudevents+json", WebhookDispatcher.Encode([ping]), now);
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            db.WebhookDeliveries.Add(delivery);
            await db.SaveChangesAsync(ct);
        }
        var (status, error, start, latency) = await dispatcher.SendAsync(sub, delivery, ct);
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var d = await db.WebhookDeliveries.SingleAsync(x => x.Id == delivery.Id, ct);
            d.Attempted(status, error);
            if (status is >= 200 and < 300)
                d.Taken(time.GetUtcNow());
            db.WebhookAttempts.Add(new WebhookAttempt { DeliveryId = d.Id, SubscriptionId = id, At = now, StatusCode = status, LatencyMs = latency, Error = error, ResponseStart = start });
            await db.SaveChangesAsync(ct);
        }
        return new AttemptView(now, status, latency, error, start);
    }

    /// <summary>The delivery log, newest first.</summary>
    public async Task<List<DeliveryView>> DeliveriesAsync(Actor actor, long id, int take = 50, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Admin, "see webhook deliveries");
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.WebhookDeliveries.AsNoTracking().Where(d => d.SubscriptionId == id).OrderByDescending(d => d.Id).Take(Math.Clamp(take, 1, 500))
            .Select(d => new DeliveryView(d.Id, d.DeliveryId, d.Type, d.EventCount, d.Status, d.Attempts, d.CreatedAt, d.DeliveredAt, d.NextAttemptAt, d.LastStatusCode, d.LastError))
            .ToListAsync(ct);
    }

    public async Task<List<AttemptView>> AttemptsAsync(Actor actor, long deliveryId, CancellationToken ct = default)
    {
        actor.Require(OperatorRole.Admin, "see webhook deliveries");
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.WebhookAttempts.AsNoTracking().Where(a => a.DeliveryId == deliveryId).OrderBy(a => a.Id)
            .Select(a => new AttemptView(a.At, a.StatusCode, a.LatencyMs, a.Error, a.ResponseStart)).ToListAsync(ct);
    }

    /// <summary>A failed delivery is sent again, under its own delivery id, as soon as its subscription has nothing older pending.</summary>
    public Task RedeliverAsync(Actor actor, long deliveryId, CancellationToken ct = default) =>
        audited.RunAsync(actor, new("webhook.redeliver", "send a failed delivery again", "webhook-delivery", deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture), null, OperatorRole.Admin), async db =>
        {
            var d = await db.WebhookDeliveries.SingleOrDefaultAsync(x => x.Id == deliveryId, ct) ?? throw OtaException.NotFound("Delivery", deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (d.Status != DeliveryStatus.Failed || d.Type == OtaEventTypes.Ping)
                throw OtaException.Conflict("DeliveryNotFailed", d.Type == OtaEventTypes.Ping ? "A test event is not redelivered; press Test again." : $"Delivery {d.DeliveryId} is {d.Status}; only a failed one is sent again.");
            d.Redeliver(time.GetUtcNow());
            return true;
        }, null, ct);

    /// <summary>At start: the subscriptions in Ota:Webhooks:Subscriptions, kept as configured; one removed from there is turned off.</summary>
    internal async Task ApplyConfigurationAsync(IReadOnlyList<ConfiguredSubscription> configured, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var existing = await db.WebhookSubscriptions.ToListAsync(ct);
        var cursor = await db.OutboxEvents.MaxAsync(e => (long?)e.Id, ct) ?? 0;
        foreach (var c in configured)
        {
            var sub = existing.FirstOrDefault(s => s.Name == c.Name);
            if (sub is null)
                db.WebhookSubscriptions.Add(sub = new WebhookSubscription { Name = c.Name, Url = c.Url, Secret = "", EventTypes = "", CreatedAt = time.GetUtcNow(), Cursor = cursor });
            sub.Url = c.Url;
            sub.Secret = secrets.Protect(c.Secret);
            sub.EventTypes = string.Join(' ', c.Events.Distinct());
            sub.ProductKey = c.ProductKey;
            sub.DeviceEvents = c.DeviceEvents;
            sub.FromConfiguration = true;
            if (!sub.Enabled && sub.DisabledReason?.StartsWith("removed from", StringComparison.Ordinal) == true)
                (sub.Enabled, sub.DisabledReason) = (true, null);
        }
        foreach (var gone in existing.Where(s => s.FromConfiguration && configured.All(c => c.Name != s.Name)))
            (gone.Enabled, gone.DisabledReason, gone.FromConfiguration) = (false, "removed from the configuration", false);
        await db.SaveChangesAsync(ct);
    }

    private static async Task<WebhookSubscription> FindAsync(OtaDbContext db, long id, CancellationToken ct) =>
        await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == id, ct) ?? throw OtaException.NotFound("Webhook", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static async Task ValidateAsync(OtaDbContext db, WebhookRequest r, long? id, CancellationToken ct)
    {
        var problems = WebhookRules.Problems(r.Name?.Trim(), r.Url?.Trim(), r.Secret, r.EventTypes, secretRequired: id is null);
        if (r.ProductKey is not null && !await db.Products.AnyAsync(p => p.ProductKey == r.ProductKey, ct))
            problems["ProductKey"] = $"Product {r.ProductKey} does not exist.";
        OtaValidationException.ThrowIfAny(problems.Select(p => new FieldError(p.Key, p.Value)).ToList());
        var name = r.Name!.Trim();
        if (await db.WebhookSubscriptions.AnyAsync(s => s.Name == name && s.Id != id, ct))
            throw OtaException.Conflict("WebhookNameExists", $"A subscription named {name} already exists.");
    }

    private static object Details(WebhookRequest r) => new { r.Name, r.Url, r.EventTypes, r.ProductKey, r.DeviceEvents };
}

/// <summary>Applies Ota:Webhooks:Subscriptions at start, after the database is ready.</summary>
public sealed class WebhookConfiguration(WebhookService service, IOptions<WebhookOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => service.ApplyConfigurationAsync(options.Value.Subscriptions, cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
