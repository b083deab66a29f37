using System.Collections.Concurrent;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Tests.Support;

/// <summary>The engine's device gateway in tests: remembers every notice and reply.</summary>
public sealed class RecordingGateway : IDeviceGateway
{
    public ConcurrentQueue<UpdateNotice> Notices { get; } = new();
    public ConcurrentQueue<FirmwareReply> Replies { get; } = new();

    public void SendNotice(UpdateNotice notice) => Notices.Enqueue(notice);
    public void SendFirmwareReply(FirmwareReply reply) => Replies.Enqueue(reply);

    public List<UpdateNotice> NoticesFor(string deviceName) => Notices.Where(n => n.Device.DeviceName == deviceName).ToList();
}
