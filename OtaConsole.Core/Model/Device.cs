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
