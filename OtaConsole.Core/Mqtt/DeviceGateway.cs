using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Mqtt;

/// <summary>Where encoded downlink messages go: the embedded broker or the external one.</summary>
public interface IMqttTransport
{
    Task PublishAsync(string topic, byte[] payload, CancellationToken ct);
}

/// <summary>
/// Devices that run inside this process (the fleet simulator above ~15,000 devices, where sockets run out):
/// their downlink messages are delivered here instead of through a broker.
/// </summary>
public sealed class InProcessDevices
{
    private readonly ConcurrentDictionary<DeviceKey, Func<string, byte[], Task>> _devices = new();

    public void Attach(DeviceKey device, Func<string, byte[], Task> deliver) => _devices[device] = deliver;
    public void Detach(DeviceKey device) => _devices.TryRemove(device, out _);
    public bool TryGet(DeviceKey device, out Func<string, byte[], Task> deliver) => _devices.TryGetValue(device, out deliver!);
}

/// <summary>
/// The engine's gateway to devices over MQTT. The engine hands messages over here after each commit and goes
/// on; <see cref="DownlinkPublisher"/> encodes and publishes them. A full queue drops the newest message: the
/// device gets its notice again when it reconnects or asks for it.
/// </summary>
public sealed class MqttDeviceGateway(BridgeStats stats) : IDeviceGateway
{
    public const int Capacity = 100_000;

    private readonly Channel<object> _outbox = Channel.CreateBounded<object>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    internal ChannelReader<object> Outbox => _outbox.Reader;

    public void SendNotice(UpdateNotice notice)
    {
        if (!_outbox.Writer.TryWrite(notice))
            stats.NoticeDropped();
    }

    public void SendFirmwareReply(FirmwareReply reply)
    {
        if (!_outbox.Writer.TryWrite(reply))
            stats.NoticeDropped();
    }

    /// <summary>An already encoded downlink message (an MQTT-download block).</summary>
    public bool TrySend(DeviceKey device, string topic, byte[] payload) => _outbox.Writer.TryWrite(new EncodedDownlink(device, topic, payload));
}

internal sealed record EncodedDownlink(DeviceKey Device, string Topic, byte[] Payload);

/// <summary>Encodes the gateway's messages (with fresh signed download links) and publishes them, one loop.</summary>
public sealed class DownlinkPublisher(
    MqttDeviceGateway gateway,
    IMqttTransport transport,
    InProcessDevices inProcess,
    DownloadLinks links,
    BridgeStats stats,
    TimeProvider time,
    ILogger<DownlinkPublisher> log) : BackgroundService
{
    private long _messageId = time.GetUtcNow().ToUnixTimeMilliseconds();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var item in gateway.Outbox.ReadAllAsync(stoppingToken))
        {
            var (device, topic, payload) = Encode(item);
            try
            {
                if (inProcess.TryGet(device, out var deliver))
                    await deliver(topic, payload);
                else
                    await transport.PublishAsync(topic, payload, stoppingToken);
                stats.NoticeSent();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                stats.NoticeDropped();
                log.LogWarning("Could not publish to {Device} on {Topic}: {Message}", device, topic, e.Message);
            }
        }
    }

    private (DeviceKey Device, string Topic, byte[] Payload) Encode(object item) => item switch
    {
        UpdateNotice n => (n.Device, AlinkTopics.Upgrade(n.Device), AlinkCodec.EncodeNotice(n, f => links.For(n.PackageId, f), Interlocked.Increment(ref _messageId))),
        FirmwareReply r => (r.Device, AlinkTopics.FirmwareGetReply(r.Device), AlinkCodec.EncodeFirmwareReply(r.RequestId, r.Notice, f => links.For(r.Notice!.PackageId, f))),
        EncodedDownlink d => (d.Device, d.Topic, d.Payload),
        _ => throw new InvalidOperationException($"Unknown downlink message {item.GetType().Name}."),
    };
}
