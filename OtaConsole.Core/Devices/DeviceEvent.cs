using OtaConsole.Core.Model;

namespace OtaConsole.Core.Devices;

/// <summary>Something a device did, as the bridge hands it to the engine. Applied in arrival order per device.</summary>
public abstract record DeviceEvent(DeviceKey Device)
{
    /// <summary>A missing or empty module name means the "default" module.</summary>
    public static string ModuleOrDefault(string? module) => string.IsNullOrEmpty(module) ? OtaModule.Default : module;
}

/// <summary>The device connected; <paramref name="At"/> is the broker's stamp of it, where the broker gives one.</summary>
public sealed record DeviceConnected(DeviceKey Device, DateTimeOffset? At = null) : DeviceEvent(Device);

/// <summary>The device went away; <paramref name="At"/> is the broker's stamp of it, where the broker gives one.</summary>
public sealed record DeviceDisconnected(DeviceKey Device, DateTimeOffset? At = null) : DeviceEvent(Device);

/// <summary>/ota/device/inform: the device's version of one module.</summary>
public sealed record VersionReported(DeviceKey Device, string Module, string Version) : DeviceEvent(Device);

/// <summary>/ota/device/progress: a step of 0..100, or a negative failure code. Module null when the device sent none.</summary>
public sealed record ProgressReported(DeviceKey Device, string? Module, int Step, string? Desc) : DeviceEvent(Device);

/// <summary>
/// Not from the device: its notice could not be handed to the broker (a full queue, a broker away). The task is
/// the one the notice was for, or 0 for whichever of the device's tasks are pushed.
/// </summary>
public sealed record NoticeUndelivered(DeviceKey Device, long TaskId, string Reason) : DeviceEvent(Device);

/// <summary>thing/ota/firmware/get: the device asks for its pending package.</summary>
public sealed record FirmwareRequested(DeviceKey Device, string? Module, string RequestId) : DeviceEvent(Device);
