namespace OtaConsole.Core.Model;

public sealed class Device
{
    public long Id { get; set; }
    /// <summary>Alibaba's opaque device id, returned by the API.</summary>
    public required string IotId { get; set; }
    public required string ProductKey { get; set; }
    public required string DeviceName { get; set; }
    public required string DeviceSecret { get; set; }
    public string? GroupId { get; set; }
    public string? Nickname { get; set; }
    public bool IsOnline { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }
    /// <summary>
    /// The broker's own time of the last connect or disconnect applied (EMQX's connected_at / disconnected_at);
    /// null where the broker gives none. A presence event stamped earlier arrived late (through another console
    /// node) and is ignored. Only presence events are compared with it: a message's time is a console's clock.
    /// </summary>
    public DateTimeOffset? PresenceAt { get; set; }
    /// <summary>Held from new pushes until then (its updates kept failing; Ota:Rollout:Quarantine*), and why.</summary>
    public DateTimeOffset? QuarantinedUntil { get; set; }
    public string? QuarantineReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<DeviceModuleVersion> ModuleVersions { get; set; } = [];
}

/// <summary>The last version a device reported for one module.</summary>
public sealed class DeviceModuleVersion
{
    public long DeviceId { get; set; }
    public required string ModuleName { get; set; }
    public required string Version { get; set; }
    public DateTimeOffset ReportedAt { get; set; }
}

/// <summary>How the engine names a device on the wire.</summary>
public readonly record struct DeviceKey(string ProductKey, string DeviceName)
{
    public override string ToString() => $"{ProductKey}/{DeviceName}";
}
