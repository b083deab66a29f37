namespace OtaConsole.Core.Webhooks;

/// <summary>
/// Where an Admin wants the console's events sent: a URL, a secret the requests are signed with, the event types,
/// optionally one product. Deliveries go out in order, one at a time, from <see cref="Cursor"/> on.
/// </summary>
public sealed class WebhookSubscription
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string Url { get; set; }
    /// <summary>Encrypted with the console's Data Protection keys, as device secrets are.</summary>
    public required string Secret { get; set; }
    /// <summary>Event types, as in <see cref="OtaEventTypes"/>, space-separated; "*" is every one.</summary>
    public required string EventTypes { get; set; }
    public string? ProductKey { get; set; }
    /// <summary>Device task events too (succeeded, failed, cancelled), sent grouped, a request a second at most.</summary>
    public bool DeviceEvents { get; set; }
    public bool Enabled { get; set; } = true;
    /// <summary>Why it was turned off by the console (the receiver answered 410 Gone), if it was.</summary>
    public string? DisabledReason { get; set; }
    /// <summary>Defined in appsettings (Ota:Webhooks:Subscriptions): kept as configured at every start, not edited in the console.</summary>
    public bool FromConfiguration { get; set; }
    /// <summary>The last outbox event this subscription has taken into a delivery.</summary>
    public long Cursor { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// One event, written in the transaction of the change that caused it (the outbox), delivered from here. Data is
/// the CloudEvent's data as JSON.
/// </summary>
public sealed class OutboxEvent
{
    public long Id { get; set; }
    public required string Type { get; set; }
    /// <summary>What it is about: a batch id, a package id, or a task id.</summary>
    public required string Subject { get; set; }
    public string? ProductKey { get; set; }
    public bool IsDeviceEvent { get; set; }
    public DateTimeOffset Time { get; set; }
    public required string Data { get; set; }
}

public enum DeliveryStatus
{
    Pending,
    Delivered,
    /// <summary>Given up after the retry time (or refused with 410); an Admin may redeliver it.</summary>
    Failed,
}

/// <summary>One request body for one subscription (one event, or a group of device events), tried until it is taken.</summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    public long SubscriptionId { get; set; }
    /// <summary>The id a receiver de-duplicates by: the same on every attempt of this delivery.</summary>
    public required string DeliveryId { get; set; }
    public long FirstEventId { get; set; }
    public long LastEventId { get; set; }
    public int EventCount { get; set; }
    /// <summary>The first event's type (or "ping"), for the log.</summary>
    public required string Type { get; set; }
    public required string ContentType { get; set; }
    /// <summary>The exact body, so every attempt sends, and is signed over, the same bytes.</summary>
    public required string Body { get; set; }
    /// <summary>Changed only by the transitions below: pending until taken, given up, or sent again.</summary>
    public DeliveryStatus Status { get; private set; }
    public int Attempts { get; private set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    /// <summary>When it was made (or redelivered): its retry time counts from here.</summary>
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? DeliveredAt { get; private set; }
    public int? LastStatusCode { get; private set; }
    public string? LastError { get; private set; }

    public static WebhookDelivery Pending(long subscriptionId, string type, string contentType, string body, DateTimeOffset now) => new()
    {
        SubscriptionId = subscriptionId, DeliveryId = Guid.NewGuid().ToString("N"), Type = type, ContentType = contentType, Body = body,
        Status = DeliveryStatus.Pending, NextAttemptAt = now, CreatedAt = now,
    };

    /// <summary>A test ping: logged, never pending, so it takes no place in the subscription's order.</summary>
    public static WebhookDelivery Ping(long subscriptionId, string type, string contentType, string body, DateTimeOffset now) => new()
    {
        SubscriptionId = subscriptionId, DeliveryId = Guid.NewGuid().ToString("N"), Type = type, ContentType = contentType, Body = body, EventCount = 1,
        Status = DeliveryStatus.Failed, NextAttemptAt = now, CreatedAt = now,
    };

    /// <summary>An attempt's answer (null status: none came; the error says why).</summary>
    public void Attempted(int? statusCode, string? error)
    {
        Attempts++;
        LastStatusCode = statusCode;
        LastError = error;
    }

    public void Taken(DateTimeOffset now)
    {
        Status = DeliveryStatus.Delivered;
        DeliveredAt = now;
    }

    public void GiveUp() => Status = DeliveryStatus.Failed;

    public void RetryAt(DateTimeOffset next) => NextAttemptAt = next;

    /// <summary>An Admin's Redeliver: pending again, with a fresh retry time.</summary>
    public void Redeliver(DateTimeOffset now)
    {
        Status = DeliveryStatus.Pending;
        NextAttemptAt = now;
        CreatedAt = now;
    }
}

/// <summary>One try of a delivery, for the log.</summary>
public sealed class WebhookAttempt
{
    public long Id { get; set; }
    public long DeliveryId { get; set; }
    public long SubscriptionId { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>The HTTP status, or null when there was no answer (the error says why).</summary>
    public int? StatusCode { get; set; }
    public int LatencyMs { get; set; }
    public string? Error { get; set; }
    /// <summary>The response's first bytes (at most 512 characters).</summary>
    public string? ResponseStart { get; set; }
}
