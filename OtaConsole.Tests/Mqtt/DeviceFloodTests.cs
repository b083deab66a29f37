using OtaConsole.Core.Security;
using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Mqtt;

/// <summary>A device that keeps sending bad input: its refusals are counted, the log gets a line a minute, and over-sized packets are cut off.</summary>
public sealed class DeviceFloodTests : IAsyncLifetime
{
    private ConsoleHost _c = null!;
    private List<SimDeviceSpec> _specs = null!;
    private readonly List<IMqttClient> _clients = [];

    public async ValueTask InitializeAsync()
    {
        _c = await ConsoleHost.StartAsync();
        await _c.ProductAsync();
        _specs = await _c.RegisterAsync(2);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
            c.Dispose();
        await _c.DisposeAsync();
    }

    private int Lines(string text) => _c.Logs.Lines.Count(l => l.Message.Contains(text, StringComparison.Ordinal));

    private async Task<IMqttClient> ClientAsync(SimDeviceSpec spec, MqttProtocolVersion version = MqttProtocolVersion.V311, string? password = null)
    {
        var s = SimulatedDevice.SignIn(spec);
        var client = new MqttClientFactory().CreateMqttClient();
        _clients.Add(client);
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _c.MqttPort).WithClientId(s.ClientId)
            .WithCredentials(s.Username, password ?? s.Password).WithProtocolVersion(version).WithKeepAlivePeriod(s.KeepAlive).WithTimeout(TimeSpan.FromSeconds(10)).Build());
        return client;
    }

    [Fact]
    public async Task A_device_sending_hundreds_of_malformed_messages_gets_one_log_line_a_minute_with_a_count()
    {
        var uplinks = _c.Services.GetRequiredService<UplinkHandler>();
        var me = _specs[0].Key;
        var other = _specs[1].Key;
        for (var i = 0; i < 200; i++)
        {
            await uplinks.HandleAsync(me, AlinkTopics.Inform(me), new ReadOnlySequence<byte>("not json"u8.ToArray()));
            await uplinks.HandleAsync(me, AlinkTopics.Inform(other), new ReadOnlySequence<byte>("{}"u8.ToArray()));
        }
        Assert.Equal(1, Lines("Dropped a"));
        Assert.Equal(1, Lines("Refused a publish"));
        Assert.Equal(400, _c.Stats.DroppedTotal + _c.Stats.PublishesRefused);

        // Another device still gets its own line.
        await uplinks.HandleAsync(other, AlinkTopics.Inform(other), new ReadOnlySequence<byte>("not json"u8.ToArray()));
        Assert.Equal(2, Lines("Dropped a"));

        _c.Time.Advance(TimeSpan.FromSeconds(61));
        await uplinks.HandleAsync(me, AlinkTopics.Inform(me), new ReadOnlySequence<byte>("not json"u8.ToArray()));
        Assert.Equal(3, Lines("Dropped a"));
        Assert.Contains(_c.Logs.Lines, l => l.Message.Contains("Dropped a", StringComparison.Ordinal) && l.Message.Contains("199 more", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Repeated_bad_sign_ins_of_a_device_get_one_log_line_a_minute()
    {
        for (var i = 0; i < 20; i++)
        {
            var client = await ClientAsync(_specs[0], password: "0000");
            Assert.False(client.IsConnected);
        }
        Assert.Equal(20, _c.Stats.ConnectsRefused);
        Assert.Equal(1, Lines("Refused sign-in"));
    }

    [Fact]
    public async Task Repeated_refused_subscriptions_of_a_device_get_one_log_line_a_minute()
    {
        var client = await ClientAsync(_specs[0]);
        for (var i = 0; i < 20; i++)
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(AlinkTopics.Upgrade(_specs[1].Key), MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(20, _c.Stats.SubscriptionsRefused);
        Assert.Equal(1, Lines("Refused a subscription"));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_publish_over_the_packet_limit_is_cut_off_and_a_normal_one_still_works(MqttProtocolVersion version)
    {
        var big = await ClientAsync(_specs[0], version);
        Assert.True(big.IsConnected);
        var payload = Encoding.UTF8.GetBytes("{\"params\":{\"version\":\"" + new string('x', EmbeddedBroker.MaxPacketBytes) + "\"}}");
        try
        {
            await big.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(AlinkTopics.Inform(_specs[0].Key)).WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }
        catch (Exception)
        {
            // The broker may close the connection before the client has finished sending.
        }
        // Closed, where a publish the codec refuses leaves the device connected; and counted once.
        await _c.UntilAsync(() => Task.FromResult(big.IsConnected), connected => !connected, "the broker to close the connection", advanceClock: false);
        Assert.Equal(1, _c.Stats.Dropped(DropReason.TooLarge));
        Assert.Equal(1, Lines("Closed the connection"));

        // The broker goes on: a device (the same one again) signs in and is heard.
        var normal = await ClientAsync(_specs[0], version);
        var result = await normal.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(AlinkTopics.Inform(_specs[0].Key))
            .WithPayload("{\"id\":1,\"params\":{\"version\":\"1.2.3\"}}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.True(result.IsSuccess);
        await _c.UntilAsync(async () => await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, _specs[0].Key.DeviceName),
            d => d!.ModuleVersions.Any(v => v.Version == "1.2.3"), "the normal report", advanceClock: false);
        Assert.Empty(_c.Logs.Errors);
    }
}
