namespace OtaConsole.Core.Model;

/// <summary>
/// Which console node runs the scheduler's work (pushes, timeouts, retries, waves, windows): the holder renews it
/// in a tick's own transaction once half of it has run out; another node takes it over once it has expired.
/// </summary>
public sealed class SchedulerLease
{
    public const string SchedulerName = "scheduler";
    /// <summary>The webhook dispatcher's lease: one node sends every subscription's deliveries, in order.</summary>
    public const string WebhooksName = "webhooks";
    /// <summary>The Alibaba status-message publisher's lease; its <see cref="Cursor"/> is how far it has published the outbox.</summary>
    public const string AlibabaMessagesName = "alibaba-messages";

    public string Name { get; set; } = SchedulerName;
    /// <summary>The holder's node id (<c>Ota:Rollout:NodeId</c>); empty when nobody holds it.</summary>
    public string Holder { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
    /// <summary>
    /// For a reader of the outbox: the last event it has handled; null while the reader is off (then the outbox is
    /// not written for it, and does not wait for it to be pruned).
    /// </summary>
    public long? Cursor { get; set; }
}
