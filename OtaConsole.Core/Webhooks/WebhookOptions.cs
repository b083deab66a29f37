namespace OtaConsole.Core.Webhooks;

/// <summary>Ota:Webhooks: how deliveries are retried, and subscriptions kept as configured (for automation).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Ota:Webhooks";

    /// <summary>How long a delivery is retried (with back-off from 10 s up to an hour) before it is given up as failed.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(25);
    /// <summary>One request waits this long for an answer.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Device events go at most one request this often, per subscription; what happens meanwhile goes together.</summary>
    public TimeSpan GroupWindow { get; set; } = TimeSpan.FromSeconds(1);
    public List<ConfiguredSubscription> Subscriptions { get; set; } = [];

    public string? Problem() =>
        RetryFor < TimeSpan.FromHours(24) || RetryFor > TimeSpan.FromDays(30) ? $"{Section}:RetryFor must be from 24 hours to 30 days; got {RetryFor}."
        : RequestTimeout < TimeSpan.FromSeconds(1) || RequestTimeout > TimeSpan.FromMinutes(2) ? $"{Section}:RequestTimeout must be from 1 second to 2 minutes; got {RequestTimeout}."
        : GroupWindow < TimeSpan.FromMilliseconds(100) || GroupWindow > TimeSpan.FromMinutes(1) ? $"{Section}:GroupWindow must be from 100 ms to 1 minute; got {GroupWindow}."
        : Subscriptions.Select((s, i) => (s, i)).Select(x => (x.i, p: WebhookRules.Problems(x.s.Name, x.s.Url, x.s.Secret, x.s.Events)))
            .Where(x => x.p.Count > 0).Select(x => $"{Section}:Subscriptions:{x.i}: {string.Join(" ", x.p.Select(p => $"{p.Key}: {p.Value}"))}").FirstOrDefault()
        ?? (Subscriptions.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1) is { } dup ? $"{Section}:Subscriptions: the name {dup.Key} is used twice." : null);
}

public sealed class ConfiguredSubscription
{
    public string Name { get; set; } = "";
    public string Url { get; set; } = "";
    public string Secret { get; set; } = "";
    public List<string> Events { get; set; } = ["*"];
    public string? ProductKey { get; set; }
    public bool DeviceEvents { get; set; }
}
