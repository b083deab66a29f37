using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Mqtt;

/// <summary>External mode: the console as a client of a real mosquitto, which the devices connect to.</summary>
public sealed class ExternalBrokerTests : IAsyncLifetime
{
    private Mosquitto _broker = null!;
    private ConsoleHost _c = null!;
    private readonly string _folder = Directory.CreateTempSubdirectory("ota-external-").FullName;

    public async ValueTask InitializeAsync()
    {
        _broker = await Mosquitto.StartAsync();
        _c = await StartConsoleAsync();
        await _c.ProductAsync();
    }

    private async Task<ConsoleHost> StartConsoleAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null, string? alibabaPrefix = null)
    {
        var c = await ConsoleHost.StartAsync(new Dictionary<string, string?>
        {
            ["Ota:Mqtt:Mode"] = "External",
            ["Ota:Mqtt:Host"] = "127.0.0.1",
            ["Ota:Mqtt:Port"] = _broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ota:AlibabaMessages:TopicPrefix"] = alibabaPrefix,
        }, folder: _folder, time: time);
        var external = c.Services.GetRequiredService<ExternalBroker>();
        await c.UntilAsync(() => Task.FromResult(external.IsConnected), connected => connected, "the console to connect to mosquitto", advanceClock: true);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        await _c.DisposeAsync();
        await _broker.DisposeAsync();
        Directory.Delete(_folder, true);
    }

    [Fact]
    public async Task A_console_restarted_in_external_mode_still_updates_the_devices_that_stayed_connected()
    {
        // The broker kept the device while the console was away; the idle device sends nothing to say it is there.
        var spec = (await _c.RegisterAsync(1, style: SimSdkStyle.CSdk3))[0];
        using var http = new HttpClient(); // outlives the first console
        var device = new SimulatedDevice(spec, SimulatedDevice.MqttLink(spec, "127.0.0.1", _broker.Port), http, TimeSpan.Zero);
        await using var _ = device;
        Assert.True(await device.ConnectAsync());
        await _c.UntilAsync(async () => await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"),
            d => d!.IsOnline, "the device to be seen through mosquitto");
        var time = _c.Time;
        await _c.DisposeAsync();

        _c = await StartConsoleAsync(time);
        Assert.True((await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!.IsOnline);
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);
    }

    [Fact]
    public async Task Alibabas_OTA_messages_reach_a_reader_of_mosquitto()
    {
        await _c.DisposeAsync();
        _c = await StartConsoleAsync(alibabaPrefix: "fleet/alibaba-ota");
        var received = new System.Collections.Concurrent.ConcurrentQueue<(string Topic, string Payload)>();
        using var reader = new MQTTnet.MqttClientFactory().CreateMqttClient();
        reader.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue((e.ApplicationMessage.Topic, System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, e.ApplicationMessage.Payload)));
            return Task.CompletedTask;
        };
        await reader.ConnectAsync(new MQTTnet.MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _broker.Port).WithClientId("fleet-tool").Build());
        await reader.SubscribeAsync(new MQTTnet.MqttClientSubscribeOptionsBuilder().WithTopicFilter("fleet/alibaba-ota/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var spec = (await _c.RegisterAsync(1, style: SimSdkStyle.CSdk3))[0];
        var device = new SimulatedDevice(spec, SimulatedDevice.MqttLink(spec, "127.0.0.1", _broker.Port), _c.Http, TimeSpan.Zero);
        await using var _ = device;
        Assert.True(await device.ConnectAsync());
        await _c.UntilAsync(async () => await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"),
            d => d!.IsOnline && d.ModuleVersions.Any(v => v.Version == "1.0.0"), "the version report to arrive through mosquitto");
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);

        var topic = $"fleet/alibaba-ota/{ConsoleHost.ProductKey}/dev-000/ota/upgrade";
        await _c.UntilAsync(() => Task.FromResult(received.Count(m => m.Topic == topic && m.Payload.Contains("\"SUCCEEDED\"", StringComparison.Ordinal))),
            n => n == 1, "the SUCCEEDED message on mosquitto");
        await _c.UntilAsync(() => Task.FromResult(received.Any(m => m.Topic == $"fleet/alibaba-ota/{ConsoleHost.ProductKey}/{package.Id}/{batchId}/ota/job/status"
            && m.Payload.Contains("\"COMPLETED\"", StringComparison.Ordinal))), seen => seen, "the batch's COMPLETED message on mosquitto");
    }

    [Fact]
    public async Task A_device_on_the_external_broker_updates_through_the_console()
    {
        // In external mode the broker does not subscribe devices for them: an SDK 3.x-style device subscribes itself.
        var spec = (await _c.RegisterAsync(1, style: SimSdkStyle.CSdk3))[0];
        var device = new SimulatedDevice(spec, SimulatedDevice.MqttLink(spec, "127.0.0.1", _broker.Port), _c.Http, TimeSpan.Zero);
        await using var _ = device;
        Assert.True(await device.ConnectAsync());
        await _c.UntilAsync(async () => await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"),
            d => d!.IsOnline && d.ModuleVersions.Any(v => v.Version == "1.0.0"), "the version report to arrive through mosquitto");

        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;

        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);
        Assert.Equal("2.0.0", device.Versions[OtaModule.Default]);
    }

    [Fact]
    public async Task Malformed_messages_through_the_external_broker_are_dropped()
    {
        var spec = (await _c.RegisterAsync(1, style: SimSdkStyle.CSdk3))[0];
        var link = SimulatedDevice.MqttLink(spec, "127.0.0.1", _broker.Port);
        await using var _ = link;
        Assert.True(await link.ConnectAsync(default));
        var dropped = _c.Stats.DroppedTotal;

        await link.PublishAsync(AlinkTopics.Inform(spec.Key), "not json"u8.ToArray(), true, default);
        await link.PublishAsync(AlinkTopics.Progress(spec.Key), "{\"params\":{\"step\":\"x\"}}"u8.ToArray(), true, default);

        await _c.UntilAsync(() => Task.FromResult(_c.Stats.DroppedTotal), n => n >= dropped + 2, "the drops", advanceClock: false);
        Assert.Empty((await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!.ModuleVersions);
    }
}
