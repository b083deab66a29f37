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

    public string Name { get; set; } = SchedulerName;
    /// <summary>The holder's node id (<c>Ota:Rollout:NodeId</c>); empty when nobody holds it.</summary>
    public string Holder { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
}
