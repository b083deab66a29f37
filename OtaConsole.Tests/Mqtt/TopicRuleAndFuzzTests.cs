using System.Buffers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using MQTTnet.Protocol;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Mqtt;

public sealed class TopicRuleAndFuzzTests : IAsyncLifetime
{
    private ConsoleHost _c = null!;
    private List<SimDeviceSpec> _specs = null!;
    private string _batchId = null!;

    /// <summary>Two online devices with pushed tasks that stay In upgrade (they go silent after "0").</summary>
    public async ValueTask InitializeAsync()
    {
        _c = await ConsoleHost.StartAsync();
        await _c.ProductAsync();
        _specs = await _c.RegisterAsync(2);
        for (var i = 0; i < _specs.Count; i++)
            _specs[i] = _specs[i] with { Failure = SimFailure.Silent };
        foreach (var s in _specs)
            await _c.OnlineAsync(s);
        var package = await _c.PackageAsync();
        _batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await _c.TaskReachesAsync(_batchId, "dev-001", OtaTaskStatus.InProgress);
        await _c.TaskReachesAsync(_batchId, "dev-000", OtaTaskStatus.InProgress);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
            c.Dispose();
        await _c.DisposeAsync();
    }

    private async Task<string> SnapshotAsync()
    {
        await _c.DrainAsync();
        await using var db = _c.Db();
        var tasks = await db.Tasks.AsNoTracking().OrderBy(t => t.Id).Select(t => $"{t.Id}:{t.Status}:{t.Progress}:{t.FailureCode}:{t.RetryAttempts}").ToListAsync();
        var versions = await db.DeviceVersions.AsNoTracking().OrderBy(v => v.DeviceId).ThenBy(v => v.ModuleName).Select(v => $"{v.DeviceId}:{v.ModuleName}:{v.Version}").ToListAsync();
        var events = await db.TaskEvents.CountAsync();
        return string.Join("|", tasks) + "#" + string.Join("|", versions) + "#" + events;
    }

    /// <summary>A raw MQTT client signed in as the device (taking over the simulated device's connection).</summary>
    private async Task<IMqttClient> SignInAsync(SimDeviceSpec spec)
    {
        var s = SimulatedDevice.SignIn(spec);
        var enqueued = _c.Queue.Enqueued;
        var client = new MqttClientFactory().CreateMqttClient();
        _clients.Add(client);
        var result = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _c.MqttPort).WithClientId(s.ClientId)
            .WithCredentials(s.Username, s.Password).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311).WithKeepAlivePeriod(s.KeepAlive).Build());
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        // The broker reports the connect after its CONNACK: wait for that event before anyone drains the queue.
        await _c.UntilAsync(() => Task.FromResult(_c.Queue.Enqueued), n => n > enqueued, "the connect event", advanceClock: false);
        return client;
    }

    private readonly List<IMqttClient> _clients = [];

    [Fact]
    public async Task A_device_publishing_to_another_devices_topics_changes_nothing()
    {
        var attacker = await SignInAsync(_specs[0]);
        var before = await SnapshotAsync();
        var refused = _c.Stats.PublishesRefused;
        var victim = _specs[1].Key;

        foreach (var (topic, json) in new[]
        {
            (AlinkTopics.Progress(victim), "{\"id\":1,\"params\":{\"step\":\"-1\"}}"),
            (AlinkTopics.Inform(victim), "{\"id\":2,\"params\":{\"version\":\"2.0.0\"}}"),
            (AlinkTopics.FirmwareGet(victim), "{\"id\":3,\"params\":{}}"),
            (AlinkTopics.Upgrade(victim), "{\"code\":\"1000\",\"data\":{}}"),
        })
            await attacker.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(json).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        await _c.UntilAsync(() => Task.FromResult(_c.Stats.PublishesRefused), n => n >= refused + 4, "the refusals", advanceClock: false);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_device_cannot_subscribe_to_another_devices_topics()
    {
        var client = await SignInAsync(_specs[0]);
        foreach (var filter in new[] { AlinkTopics.Upgrade(_specs[1].Key), "/ota/device/upgrade/+/+", "#", $"/sys/{ConsoleHost.ProductKey}/+/thing/ota/firmware/get_reply" })
        {
            var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.NotEqual(MqttClientSubscribeResultCode.GrantedQoS1, result.Items.Single().ResultCode);
        }
        var own = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(AlinkTopics.Upgrade(_specs[0].Key), MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, own.Items.Single().ResultCode);
        Assert.True(_c.Stats.SubscriptionsRefused >= 4);
    }

    /// <summary>Malformed uplinks a device (or a broken SDK) could send: none may be accepted, crash anything, or change state.</summary>
    private static IEnumerable<(string Topic, byte[] Payload)> Malformed(Random rng, DeviceKey me, DeviceKey other)
    {
        string[] ownTopics = [AlinkTopics.Inform(me), AlinkTopics.Progress(me), AlinkTopics.FirmwareGet(me)];
        string[] badTopics =
        [
            AlinkTopics.Inform(other), AlinkTopics.Progress(other), $"/ota/device/inform/{me.ProductKey}", $"/ota/device/inform/{me.ProductKey}/{me.DeviceName}/x",
            "/ota/device/progress//", "ota/device/progress/a/b", "/", "/sys", $"/sys/{other.ProductKey}/{other.DeviceName}/thing/ota/firmware/get",
            "/ota/device/upgrade/" + me.ProductKey + "/" + me.DeviceName, "/ota/device/inf\u00f6rm/x/y", new string('/', 300), "$SYS/x",
        ];
        string[] badJson =
        [
            "", " ", "null", "[]", "{}", "\"text\"", "42", "{", "}{", "{\"params\":", "{\"params\":[]}", "{\"params\":null}", "{\"params\":\"v\"}",
            "{\"params\":{\"version\":123}}", "{\"params\":{\"version\":\"\"}}", "{\"params\":{\"version\":null}}", "{\"params\":{\"version\":[\"1\"]}}",
            "{\"params\":{\"version\":\"1.0\",\"module\":\"../x\"}}", "{\"params\":{\"version\":\"" + new string('9', 65) + "\"}}",
            "{\"params\":{\"step\":\"abc\"}}", "{\"params\":{\"step\":\"0x10\"}}", "{\"params\":{\"step\":1e9}}", "{\"params\":{\"step\":\"101\"}}",
            "{\"params\":{\"step\":\"-5000\"}}", "{\"params\":{\"step\":{}}}", "{\"params\":{\"step\":\"50\",\"desc\":7}}", "{\"params\":{\"step\":\"50\",\"module\":\"a b\"}}",
            "{\"id\":1,\"params\":\"x\"}", "\u00ef\u00bb\u00bf{", "{\"params\":{\"version\":\"1\u0000\"}}",
        ];
        for (var i = 0; i < 3000; i++)
        {
            switch (rng.Next(4))
            {
                case 0:
                    yield return (badTopics[rng.Next(badTopics.Length)], Encoding.UTF8.GetBytes("{\"id\":1,\"params\":{\"version\":\"9.9.9\",\"step\":\"-1\"}}"));
                    break;
                case 1:
                    var random = new byte[rng.Next(1, 300)];
                    rng.NextBytes(random);
                    random[0] = (byte)'#'; // never valid JSON
                    yield return (ownTopics[rng.Next(ownTopics.Length)], random);
                    break;
                case 2:
                    var json = badJson[rng.Next(badJson.Length)];
                    // firmware/get takes a bare {} or a missing params; those are the only well-formed shapes it has.
                    var topic = ownTopics[rng.Next(2)];
                    yield return (topic, Encoding.UTF8.GetBytes(json));
                    break;
                default:
                    var valid = "{\"id\":1,\"params\":{\"version\":\"9.9.9\"}}";
                    yield return (ownTopics[0], Encoding.UTF8.GetBytes(valid[..rng.Next(0, valid.Length - 1)]));
                    break;
            }
        }
        yield return (ownTopics[0], Encoding.UTF8.GetBytes("{\"params\":{\"version\":\"" + new string('x', 300 * 1024) + "\"}}"));
        yield return (ownTopics[2], Encoding.UTF8.GetBytes("{\"id\":1,\"params\":7}"));
    }

    [Fact]
    public async Task Thousands_of_malformed_topics_and_payloads_change_nothing_and_crash_nothing()
    {
        var client = await SignInAsync(_specs[0]);
        var before = await SnapshotAsync();
        var uplinks = _c.Services.GetRequiredService<UplinkHandler>();
        var rng = new Random(20261127);
        var me = _specs[0].Key;
        var count = 0;
        foreach (var (topic, payload) in Malformed(rng, me, _specs[1].Key))
        {
            var result = await uplinks.HandleAsync(me, topic, new ReadOnlySequence<byte>(payload));
            Assert.True(result != UplinkResult.Accepted, $"accepted {topic}: {Encoding.UTF8.GetString(payload[..Math.Min(200, payload.Length)])}");
            count++;
        }

        // And a few hundred of them over the wire, from the signed-in device.
        foreach (var (topic, payload) in Malformed(new Random(5), me, _specs[1].Key).Take(300))
        {
            if (topic.Contains('#') || topic.Contains('+') || topic.StartsWith('$') || topic.Length > 250)
                continue; // not a topic an MQTT client can publish to
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).Build());
        }
        Assert.True(client.IsConnected);

        Assert.True(count > 3000);
        Assert.Equal(before, await SnapshotAsync());
        // The broker still signs devices in.
        var fresh = _c.Device(_specs[1]);
        Assert.True(await fresh.ConnectAsync());
    }
}
