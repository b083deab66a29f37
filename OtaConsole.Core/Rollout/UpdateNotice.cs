using OtaConsole.Core.Model;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>What a device is told about its update: the package, the batch's tags, how to download.</summary>
public sealed record UpdateNotice(
    long TaskId,
    DeviceKey Device,
    string PackageId,
    string ModuleName,
    string Version,
    bool IsDiff,
    SignMethod SignMethod,
    IReadOnlyList<NoticeFile> Files,
    IReadOnlyList<BatchTag> Tags,
    string? Udi,
    DownloadProtocol Protocol,
    NoticeCause Cause)
{
    public static UpdateNotice For(UpdateTask task, Batch batch, UpdatePackage package, NoticeCause cause) => new(
        task.Id,
        new DeviceKey(task.ProductKey, task.DeviceName),
        package.Id,
        package.ModuleName,
        package.DestVersion,
        package.Type == PackageType.Differential,
        package.SignMethod,
        package.Files.OrderBy(f => f.Index).Select(NoticeFile.From).ToList(),
        batch.Tags.Select(t => new BatchTag { Key = t.Key, Value = t.Value }).ToList(),
        package.Udi,
        batch.DownloadProtocol,
        cause);
}

/// <param name="FileId">The file's row id: its MQTT-download stream id.</param>
public sealed record NoticeFile(int Index, string Name, long Size, string Md5, string Sha256, string Sign, int FileId = 0)
{
    public static NoticeFile From(PackageFile f) => new(f.Index, f.Name, f.Size, f.Md5, f.Sha256, f.Sign, f.Id);
}

/// <summary>The answer to a device's thing/ota/firmware/get: its pending notice, or none.</summary>
public sealed record FirmwareReply(DeviceKey Device, string RequestId, UpdateNotice? Notice);

/// <summary>
/// Where the engine's messages to devices go: the MQTT bridge in the console, a recorder in tests.
/// Both calls hand the message over and return at once; they are made after the change is committed.
/// </summary>
public interface IDeviceGateway
{
    void SendNotice(UpdateNotice notice);
    void SendFirmwareReply(FirmwareReply reply);
}
