using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Devices;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Mqtt;

/// <summary>Payloads no SDK sends: invalid UTF-8, repeated keys. Each is a counted drop, never an exception.</summary>
public sealed class MalformedPayloadTests
{
    private static readonly DeviceKey Dev = new("a1PKtest001", "dev-m1");

    private static ReadOnlySequence<byte> Bytes(params byte[][] parts) => new(parts.SelectMany(p => p).ToArray());

    private static DeviceEvent? Decode(AlinkTopicKind kind, ReadOnlySequence<byte> payload, out DropReason reason) =>
        AlinkCodec.Decode(new AlinkTopic(kind, Dev), payload, out reason);

    public static TheoryData<AlinkTopicKind, string> InvalidUtf8 => new()
    {
        { AlinkTopicKind.Inform, "{\"params\":{\"version\":\"1.0\xff\"}}" },
        { AlinkTopicKind.Progress, "{\"params\":{\"step\":\"5\xfe\"}}" },
        { AlinkTopicKind.Progress, "{\"params\":{\"step\":\"50\",\"desc\":\"\xc3\"}}" },
        { AlinkTopicKind.Inform, "{\"params\":{\"version\":\"1.0\",\"module\":\"\xed\xa0\x80\"}}" },
        { AlinkTopicKind.FirmwareGet, "{\"id\":\"\xff\",\"params\":{}}" },
        { AlinkTopicKind.Progress, "{\"params\":{\"step\":\"50\",\"desc\":\"\\uD800\"}}" },
    };

    /// <summary>The test data's \xNN are single bytes, not characters: Latin-1 keeps them as they are written.</summary>
    private static byte[] Raw(string s) => Encoding.Latin1.GetBytes(s);

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void Invalid_UTF8_is_dropped_as_not_JSON(AlinkTopicKind kind, string payload)
    {
        Assert.Null(Decode(kind, Bytes(Raw(payload)), out var reason));
        Assert.Equal(DropReason.NotJson, reason);
    }

    [Theory]
    [InlineData(AlinkTopicKind.Progress, "{\"params\":{\"step\":\"10\"},\"params\":{\"step\":\"-1\"}}")]
    [InlineData(AlinkTopicKind.Progress, "{\"params\":{\"step\":\"10\",\"step\":\"-1\"}}")]
    [InlineData(AlinkTopicKind.Inform, "{\"params\":{\"version\":\"1.0\",\"module\":\"MCU\",\"module\":\"default\"}}")]
    [InlineData(AlinkTopicKind.FirmwareGet, "{\"id\":1,\"id\":2}")]
    [InlineData(AlinkTopicKind.Inform, "{\"params\":{\"version\":\"1.0\",\"extra\":{\"a\":1,\"a\":2}}}")]
    public void A_repeated_key_is_dropped_rather_than_the_last_one_winning(AlinkTopicKind kind, string json)
    {
        Assert.Null(Decode(kind, Bytes(Encoding.UTF8.GetBytes(json)), out var reason));
        Assert.Equal(DropReason.NotJson, reason);
    }

    [Theory]
    [InlineData("{\"params\":{\"fileInfo\":{\"streamId\":1,\"fileId\":1},\"fileBlock\":{\"size\":10,\"offset\":0,\"offset\":5}}}")]
    [InlineData("{\"id\":1,\"id\":2,\"params\":{\"fileInfo\":{\"streamId\":1,\"fileId\":1},\"fileBlock\":{\"size\":10,\"offset\":0}}}")]
    [InlineData("{\"id\":\"\xff\",\"params\":{\"fileInfo\":{\"streamId\":1,\"fileId\":1},\"fileBlock\":{\"size\":10,\"offset\":0}}}")]
    [InlineData("{\"params\":{\"fileToken\":\"\xc3\",\"fileInfo\":{\"streamId\":1,\"fileId\":1},\"fileBlock\":{\"size\":10,\"offset\":0}}}")]
    [InlineData("{\"params\":{\"fileInfo\":{\"streamId\":\"\xff\",\"fileId\":1},\"fileBlock\":{\"size\":10,\"offset\":0}}}")]
    public void A_block_request_with_a_repeated_key_or_invalid_UTF8_is_refused(string payload) =>
        Assert.Null(MqttDownloadCodec.DecodeRequest(Dev, Bytes(Raw(payload))));

    [Theory]
    [InlineData("{\"username\":\"dev-m1&a1PKtest001\",\"username\":\"dev-m2&a1PKtest001\"}")]
    [InlineData("{\"username\":\"dev-m1\xff&a1PKtest001\"}")]
    [InlineData("not json")]
    [InlineData("{\"username\":7}")]
    public void A_presence_event_with_a_repeated_key_or_invalid_UTF8_is_ignored(string payload) =>
        Assert.Null(ExternalBroker.ReadPresence("$SYS/brokers/n1/clients/c1/connected", Bytes(Raw(payload))));

    [Fact]
    public void A_presence_event_names_the_device_and_whether_it_came_or_went()
    {
        // A stamp out of any sane range (here 1 ms after 1970) is no stamp.
        var json = Bytes(Encoding.UTF8.GetBytes("{\"username\":\"dev-m1&a1PKtest001\",\"ts\":1}"));
        Assert.Equal(new DeviceConnected(Dev), ExternalBroker.ReadPresence("$SYS/brokers/n1/clients/c1/connected", json));
        Assert.Equal(new DeviceDisconnected(Dev), ExternalBroker.ReadPresence("$SYS/brokers/n1/clients/c1/disconnected", json));
        Assert.Null(ExternalBroker.ReadPresence("$SYS/brokers/n1/clients/c1/subscribed", json));
    }

    [Fact]
    public void EMQX_presence_events_carry_the_brokers_own_time_of_the_connect_and_the_disconnect()
    {
        // EMQX 5's payloads, as its $SYS event messages document them.
        var connected = Bytes(Encoding.UTF8.GetBytes("""
            {"username":"dev-m1&a1PKtest001","ts":1764748800123,"sockport":1883,"proto_ver":4,"proto_name":"MQTT","keepalive":120,
             "ipaddress":"10.0.0.7","expiry_interval":0,"connected_at":1764748800100,"connack":0,"clientid":"a1PKtest001.dev-m1|securemode=3|","clean_start":false}
            """));
        var disconnected = Bytes(Encoding.UTF8.GetBytes("""
            {"username":"dev-m1&a1PKtest001","ts":1764748900456,"reason":"keepalive_timeout","protocol":"mqtt","proto_ver":4,"proto_name":"MQTT",
             "ipaddress":"10.0.0.7","disconnected_at":1764748900400,"clientid":"a1PKtest001.dev-m1|securemode=3|"}
            """));
        Assert.Equal(new DeviceConnected(Dev, DateTimeOffset.FromUnixTimeMilliseconds(1764748800100)),
            ExternalBroker.ReadPresence("$SYS/brokers/emqx@10.0.0.2/clients/a1PKtest001.dev-m1|securemode=3|/connected", connected));
        Assert.Equal(new DeviceDisconnected(Dev, DateTimeOffset.FromUnixTimeMilliseconds(1764748900400)),
            ExternalBroker.ReadPresence("$SYS/brokers/emqx@10.0.0.2/clients/a1PKtest001.dev-m1|securemode=3|/disconnected", disconnected));
    }

    [Fact]
    public async Task Invalid_UTF8_and_repeated_keys_through_the_embedded_broker_are_counted_drops_without_an_error_line()
    {
        await using var c = await ConsoleHost.StartAsync();
        await c.ProductAsync();
        var spec = (await c.RegisterAsync(1))[0];
        var uplinks = c.Services.GetRequiredService<UplinkHandler>();
        var dropped = c.Stats.DroppedTotal;

        Assert.Equal(UplinkResult.Dropped, await uplinks.HandleAsync(spec.Key, AlinkTopics.Inform(spec.Key), Bytes(Raw("{\"params\":{\"version\":\"1.0\xff\"}}"))));
        Assert.Equal(UplinkResult.Dropped, await uplinks.HandleAsync(spec.Key, AlinkTopics.Progress(spec.Key), Bytes(Encoding.UTF8.GetBytes("{\"params\":{\"step\":\"10\"},\"params\":{\"step\":\"-1\"}}"))));

        Assert.Equal(dropped + 2, c.Stats.DroppedTotal);
        Assert.Empty(c.Logs.Errors);
    }
}
