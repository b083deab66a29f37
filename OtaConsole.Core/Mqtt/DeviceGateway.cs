using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OtaConsole.Core.Devices;
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
/// on; <see cref="DownlinkPublisher"/> encodes and publishes them. A notice that cannot be handed on (the queue is
/// full, the broker refuses it) is not counted as sent: the engine hears of it (<see cref="NoticeUndelivered"/>)
/// and sends it again later.
/// </summary>
public sealed class MqttDeviceGateway(BridgeStats stats, DeviceEventQueue events) : IDeviceGateway
{
    public const int Capacity = 100_000;

    // Written only with TryWrite, which says false when full (DropWrite would say true and drop without a trace).
    private readonly Channel<object> _outbox = Channel.CreateBounded<object>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    internal ChannelReader<object> Outbox => _outbox.Reader;

    public void SendNotice(UpdateNotice notice)
    {
        if (!_outbox.Writer.TryWrite(notice))
            Undelivered(notice, "the outgoing queue is full");
    }

    public void SendFirmwareReply(FirmwareReply reply)
    {
        // A device that gets no reply asks again.
        if (!_outbox.Writer.TryWrite(reply))
            stats.NoticeFailed();
    }

    /// <summary>An already encoded downlink message (an MQTT-download block).</summary>
    public bool TrySend(DeviceKey device, string topic, byte[] payload) => _outbox.Writer.TryWrite(new EncodedDownlink(device, topic, payload));

    /// <summary>A notice did not reach the broker, or the broker dropped it: counted, and the engine sends it again later.</summary>
    internal void Undelivered(UpdateNotice notice, string reason) => Undelivered(notice.Device, notice.TaskId, reason);

    internal void Undelivered(DeviceKey device, long taskId, string reason)
    {
        stats.NoticeFailed();
        // Without waiting: this runs on the writer's hand-over. Should even the event queue be full, the task's
        // own re-notice timer (Ota:Rollout:RenoticeAfter) still brings the notice.
        events.TryEnqueue(new NoticeUndelivered(device, taskId, reason));
    }
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
            try
            {
                // Encoding is inside: a link that cannot be signed fails this message, never the loop.
                var (device, topic, payload) = Encode(item);
                if (inProcess.TryGet(device, out var deliver))
                    await deliver(topic, payload);
                else
                    await transport.PublishAsync(topic, payload, stoppingToken);
                if (item is UpdateNotice n)
                    stats.NoticeSent(n.Cause);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (item is UpdateNotice n)
                    gateway.Undelivered(n, e.Message);
                else
                    stats.NoticeFailed();
                log.LogWarning("Could not publish a {Kind} to {Device}: {Message}", item.GetType().Name, DeviceOf(item), e.Message);
            }
        }
    }

    private static DeviceKey DeviceOf(object item) => item switch
    {
        UpdateNotice n => n.Device,
        FirmwareReply r => r.Device,
        EncodedDownlink d => d.Device,
        _ => default,
    };

    private (DeviceKey Device, string Topic, byte[] Payload) Encode(object item) => item switch
    {
        UpdateNotice n => (n.Device, AlinkTopics.Upgrade(n.Device), AlinkCodec.EncodeNotice(n, f => links.For(n.PackageId, f), Interlocked.Increment(ref _messageId))),
        FirmwareReply r => (r.Device, AlinkTopics.FirmwareGetReply(r.Device), AlinkCodec.EncodeFirmwareReply(r.RequestId, r.Notice, f => links.For(r.Notice!.PackageId, f))),
        EncodedDownlink d => (d.Device, d.Topic, d.Payload),
        _ => throw new InvalidOperationException($"Unknown downlink message {item.GetType().Name}."),
    };
}
