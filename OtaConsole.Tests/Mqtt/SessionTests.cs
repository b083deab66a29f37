using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Mqtt;

/// <summary>
/// No notice depends on MQTT session state: C SDK 3.0.1 subscribes once with clean session 0 and never again
/// (reference §7.2), and the embedded broker keeps sessions in memory only.
/// </summary>
public sealed class SessionTests
{
    /// <summary>A device as C SDK 3.0.1 signs in: its own clientId (no _ss=1), clean session 0, subscribing only when told to.</summary>
    private sealed class CSdk301Device(SimDeviceSpec spec) : IAsyncDisposable
    {
        private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
        public ConcurrentQueue<(string Topic, string Payload)> Received { get; } = new();

        public async Task ConnectAsync(int port, bool subscribe)
        {
            var s = SimulatedDevice.SignIn(spec with { Style = SimSdkStyle.CSdk3 });
            _client.ApplicationMessageReceivedAsync += e =>
            {
                Received.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload)));
                return Task.CompletedTask;
            };
            var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(s.ClientId)
                .WithCredentials(s.Username, s.Password).WithProtocolVersion(MqttProtocolVersion.V311)
                .WithKeepAlivePeriod(s.KeepAlive).WithCleanSession(false).Build();
            Assert.Equal(MqttClientConnectResultCode.Success, (await _client.ConnectAsync(options)).ResultCode);
            if (subscribe)
            {
                await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                    .WithTopicFilter(AlinkTopics.Upgrade(spec.Key), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithTopicFilter(AlinkTopics.LegacyRequest(spec.Key), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build());
            }
            await _client.PublishStringAsync(AlinkTopics.Inform(spec.Key), "{\"id\":0,\"params\":{\"version\":\"1.0.0\"}}",
                MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        }

        public bool GotNotice => Received.Any(m => m.Topic == AlinkTopics.Upgrade(spec.Key) && m.Payload.Contains("\"version\":\"2.0.0\"", StringComparison.Ordinal));

        public async ValueTask DisposeAsync()
        {
            if (_client.IsConnected)
                await _client.DisconnectAsync();
            _client.Dispose();
        }
    }

    [Fact]
    public async Task A_device_that_subscribed_once_with_clean_session_0_updates_after_the_console_restarts()
    {
        string folder;
        SimDeviceSpec spec;
        var first = await ConsoleHost.StartAsync(folder: Directory.CreateTempSubdirectory("ota-restart-").FullName);
        folder = first.Folder;
        try
        {
            await first.ProductAsync();
            spec = (await first.RegisterAsync(1, style: SimSdkStyle.CSdk3))[0];
            await using var before = new CSdk301Device(spec);
            await before.ConnectAsync(first.MqttPort, subscribe: true);
            await first.DrainAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        // The restarted console's broker knows nothing of the device's session; the device sends only CONNECT.
        await using var second = await ConsoleHost.StartAsync(folder: folder);
        await using var device = new CSdk301Device(spec);
        await device.ConnectAsync(second.MqttPort, subscribe: false);
        await second.DrainAsync();
        var package = await second.PackageAsync();
        var batch = await second.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id });

        await second.TaskReachesAsync(batch.BatchId, spec.Key.DeviceName, OtaTaskStatus.Notified);
        await second.WaitForAsync(() => Task.FromResult(device.GotNotice), what: "the notice to reach the device");
        Directory.Delete(folder, true);
    }

    [Fact]
    public async Task A_notice_pushed_right_after_the_first_connect_reaches_a_device_that_has_not_subscribed_yet()
    {
        await using var c = await ConsoleHost.StartAsync();
        await c.ProductAsync();
        var spec = (await c.RegisterAsync(1, style: SimSdkStyle.CSdk3))[0];
        // The batch is waiting when the device first connects: its connect alone brings the push.
        await c.Engine.ApplyDeviceEventsAsync([new Core.Devices.VersionReported(spec.Key, OtaModule.Default, "1.0.0"), new Core.Devices.DeviceDisconnected(spec.Key)]);
        var package = await c.PackageAsync();
        var batch = await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id });

        await using var device = new CSdk301Device(spec);
        await device.ConnectAsync(c.MqttPort, subscribe: false);

        await c.TaskReachesAsync(batch.BatchId, spec.Key.DeviceName, OtaTaskStatus.Notified);
        await c.WaitForAsync(() => Task.FromResult(device.GotNotice), what: "the notice to reach the device");
    }
}
