using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Tests.Mqtt;

/// <summary>The way out to devices: a notice that is not handed to the broker is not counted as sent, and the engine hears of it.</summary>
public sealed class DownlinkTests : IDisposable
{
    private static readonly DeviceKey Device = new("a1PKtest001", "dev-000");
    private readonly string _folder = Directory.CreateTempSubdirectory("ota-downlink-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly BridgeStats _stats = new();
    private readonly DeviceEventQueue _events = new();

    public void Dispose() => Directory.Delete(_folder, true);

    private static UpdateNotice Notice(long taskId) => new(taskId, Device, "P1", OtaModule.Default, "2.0.0", false, SignMethod.Md5,
        [new NoticeFile(0, "fw.bin", 10, "5acdcb753888da5b7ed5b71ecd39dc66", new string('0', 64), "5acdcb753888da5b7ed5b71ecd39dc66")], [], null, DownloadProtocol.Https, NoticeCause.Push);

    private DownlinkPublisher Publisher(MqttDeviceGateway gateway, IMqttTransport transport, InProcessDevices inProcess, string dataDirectory) =>
        new(gateway, transport, inProcess, new DownloadLinks(Options.Create(new DownloadOptions()), Options.Create(new OtaOptions { DataDirectory = dataDirectory }), _time),
            _stats, _time, NullLogger<DownlinkPublisher>.Instance);

    private async Task<NoticeUndelivered> NextUndeliveredAsync()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return Assert.IsType<NoticeUndelivered>(await _events.Reader.ReadAsync(guard.Token));
    }

    [Fact]
    public async Task A_notice_the_broker_cannot_take_is_counted_failed_and_reported_to_the_engine()
    {
        var gateway = new MqttDeviceGateway(_stats, _events);
        // The external broker, not connected: its publish refuses.
        var broker = new ExternalBroker(Options.Create(new MqttOptions { Mode = MqttMode.External, Port = 1 }), null!, _events, _time, NullLogger<ExternalBroker>.Instance);
        var publisher = Publisher(gateway, broker, new InProcessDevices(), _folder);
        await publisher.StartAsync(CancellationToken.None);

        gateway.SendNotice(Notice(42));
        var undelivered = await NextUndeliveredAsync();
        await publisher.StopAsync(CancellationToken.None);
        broker.Dispose();

        Assert.Equal((Device, 42L), (undelivered.Device, undelivered.TaskId));
        Assert.Contains("external MQTT broker", undelivered.Reason, StringComparison.Ordinal);
        Assert.Equal((0L, 1L), (_stats.NoticesSent, _stats.NoticesFailed));
    }

    [Fact]
    public void A_notice_that_finds_the_outgoing_queue_full_is_reported_to_the_engine()
    {
        var gateway = new MqttDeviceGateway(_stats, _events);
        for (var i = 0; i < MqttDeviceGateway.Capacity; i++)
            Assert.True(gateway.TrySend(Device, "/sys/a1PKtest001/dev-000/thing/file/download_reply", [1]));

        gateway.SendNotice(Notice(7));

        Assert.True(_events.Reader.TryRead(out var e));
        Assert.Equal(7L, Assert.IsType<NoticeUndelivered>(e).TaskId);
        Assert.Equal(1L, _stats.NoticesFailed);
    }

    [Fact]
    public async Task A_notice_that_cannot_be_encoded_fails_alone_and_the_loop_goes_on()
    {
        // The data folder is a file: the download-link key cannot be made, so the notice's link cannot be signed.
        var notAFolder = Path.Combine(_folder, "file");
        await File.WriteAllTextAsync(notAFolder, "x");
        var gateway = new MqttDeviceGateway(_stats, _events);
        var inProcess = new InProcessDevices();
        var delivered = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        inProcess.Attach(Device, (topic, payload) =>
        {
            delivered.TrySetResult(Encoding.UTF8.GetString(payload));
            return Task.CompletedTask;
        });
        var publisher = Publisher(gateway, null!, inProcess, notAFolder);
        await publisher.StartAsync(CancellationToken.None);

        gateway.SendNotice(Notice(1));
        gateway.SendFirmwareReply(new FirmwareReply(Device, "5", null)); // needs no link

        Assert.Equal(1L, (await NextUndeliveredAsync()).TaskId);
        Assert.Equal("{\"id\":5,\"code\":200,\"data\":{}}", await delivered.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await publisher.StopAsync(CancellationToken.None);
    }
}
