using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Core.Simulation;
using OtaConsole.Core.Webhooks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Webhooks;

/// <summary>Alibaba's OTA status messages on the real embedded broker, read by a consumer as a fleet's own tools would.</summary>
public sealed class AlibabaMessageTests : IAsyncLifetime
{
    private const string Prefix = "alibaba-ota";
    private const string ReaderName = "ota-reader", ReaderPassword = "reader-password-0123456789";
    private readonly List<IMqttClient> _clients = [];
    private ConsoleHost _c = null!;
    private string _folder = null!;

    private static Dictionary<string, string?> Settings(string? prefix = Prefix) => new()
    {
        ["Ota:AlibabaMessages:TopicPrefix"] = prefix,
        ["Ota:AlibabaMessages:Username"] = prefix is null ? null : ReaderName,
        ["Ota:AlibabaMessages:Password"] = prefix is null ? null : ReaderPassword,
    };

    public async ValueTask InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("ota-alibaba-").FullName;
        _c = await ConsoleHost.StartAsync(Settings(), folder: _folder);
        await _c.ProductAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        await _c.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<(MqttClientConnectResultCode Code, IMqttClient Client)> ConnectAsync(string username, string password, string? clientId = null, bool clean = true)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        _clients.Add(client);
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _c.MqttPort).WithClientId(clientId ?? "reader-" + _clients.Count)
            .WithCredentials(username, password).WithProtocolVersion(MqttProtocolVersion.V500).WithCleanStart(clean).Build();
        return ((await client.ConnectAsync(options)).ResultCode, client);
    }

    private async Task<ConcurrentQueue<(string Topic, JsonElement Body)>> ReaderAsync()
    {
        var (code, client) = await ConnectAsync(ReaderName, ReaderPassword);
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        var received = new ConcurrentQueue<(string, JsonElement)>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue((e.ApplicationMessage.Topic, JsonDocument.Parse(Encoding.UTF8.GetString(e.ApplicationMessage.Payload)).RootElement.Clone()));
            return Task.CompletedTask;
        };
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Prefix + "/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, result.Items.Single().ResultCode);
        return received;
    }

    private static List<string> TaskStatuses(IEnumerable<(string Topic, JsonElement Body)> messages, string deviceName) =>
        messages.Where(m => m.Topic == AlibabaMessages.TaskTopic(Prefix, ConsoleHost.ProductKey, deviceName))
            .Select(m => m.Body.GetProperty("status").GetString()!).ToList();

    [Fact]
    public async Task A_device_update_is_reported_as_Alibabas_task_and_batch_status_messages_in_order()
    {
        var received = await ReaderAsync();
        var spec = (await _c.RegisterAsync(2))[0];
        await _c.OnlineAsync(spec);
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, Target = TargetSelection.Specific, DeviceNames = ["dev-000"] })).BatchId;
        var task = await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);
        var batchTopic = AlibabaMessages.BatchTopic(Prefix, ConsoleHost.ProductKey, package.Id, batchId);
        await _c.UntilAsync(() => Task.FromResult(received.Count(m => m.Topic == batchTopic)), n => n >= 3, "the batch's messages");

        Assert.Equal(["NOTIFIED", "IN_PROGRESS", "SUCCEEDED"], TaskStatuses(received, "dev-000"));
        var done = received.Last(m => m.Topic == AlibabaMessages.TaskTopic(Prefix, ConsoleHost.ProductKey, "dev-000")).Body;
        var device = (await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!;
        Assert.Equal(device.IotId, done.GetProperty("iotId").GetString());
        Assert.Equal(ConsoleHost.ProductKey, done.GetProperty("productKey").GetString());
        Assert.Equal("dev-000", done.GetProperty("deviceName").GetString());
        Assert.Equal(OtaModule.Default, done.GetProperty("moduleName").GetString());
        Assert.Equal("1.0.0", done.GetProperty("srcVersion").GetString());
        Assert.Equal("2.0.0", done.GetProperty("destVersion").GetString());
        Assert.Equal(batchId, done.GetProperty("jobId").GetString());
        Assert.Equal(task.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), done.GetProperty("taskId").GetString());
        Assert.Equal(_c.Time.GetUtcNow().ToUnixTimeMilliseconds(), done.GetProperty("messageCreateTime").GetInt64(), 60_000d);
        var batch = received.Where(m => m.Topic == batchTopic).Select(m => m.Body).ToList();
        Assert.Equal(["created", "started", "completed"], batch.Select(b => b.GetProperty("event").GetString()));
        Assert.Equal("COMPLETED", batch[^1].GetProperty("status").GetString());
        Assert.All(batch, b => Assert.Equal(batchId, b.GetProperty("jobId").GetString()));
        // Nothing for the device that was not in the batch, nothing for the package upload.
        Assert.Empty(TaskStatuses(received, "dev-001"));
        Assert.All(received, m => Assert.StartsWith(Prefix + "/", m.Topic));
    }

    [Fact]
    public async Task A_failure_carries_its_reason_as_desc()
    {
        var received = await ReaderAsync();
        var specs = (await _c.RegisterAsync(2)).Select(s => s with { Failure = SimFailure.VerifyFailed }).ToList();
        foreach (var spec in specs)
            await _c.OnlineAsync(spec);
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Failed);
        await _c.TaskReachesAsync(batchId, "dev-001", OtaTaskStatus.Failed);
        foreach (var name in new[] { "dev-000", "dev-001" })
            await _c.UntilAsync(() => Task.FromResult(TaskStatuses(received, name)), s => s.Contains("FAILED"), name + "'s failure");

        foreach (var name in new[] { "dev-000", "dev-001" })
        {
            // Pushed, then failed (in progress first if a progress report came before the -3).
            var statuses = TaskStatuses(received, name);
            Assert.Contains(string.Join(",", statuses), new[] { "NOTIFIED,FAILED", "NOTIFIED,IN_PROGRESS,FAILED" });
            var failed = received.Last(m => m.Topic == AlibabaMessages.TaskTopic(Prefix, ConsoleHost.ProductKey, name)).Body;
            Assert.False(string.IsNullOrEmpty(failed.GetProperty("desc").GetString()));
        }
    }

    [Fact]
    public async Task The_reader_may_only_read_under_the_prefix_and_devices_may_not_read_it()
    {
        var (_, reader) = await ConnectAsync(ReaderName, ReaderPassword);
        var outside = await reader.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("/ota/device/upgrade/" + ConsoleHost.ProductKey + "/+").Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, outside.Items.Single().ResultCode);
        var everything = await reader.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("#").Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, everything.Items.Single().ResultCode);
        var publish = await reader.PublishStringAsync(Prefix + "/x/y/ota/upgrade", "{}", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, publish.ReasonCode);

        var (wrong, _) = await ConnectAsync(ReaderName, "not-the-password-at-all");
        Assert.NotEqual(MqttClientConnectResultCode.Success, wrong);

        var spec = (await _c.RegisterAsync(1))[0];
        var s = SimulatedDevice.SignIn(spec);
        var device = new MqttClientFactory().CreateMqttClient();
        _clients.Add(device);
        await device.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _c.MqttPort).WithClientId(s.ClientId)
            .WithCredentials(s.Username, s.Password).WithProtocolVersion(MqttProtocolVersion.V500).WithKeepAlivePeriod(s.KeepAlive).Build());
        var sneak = await device.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Prefix + "/#").Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, sneak.Items.Single().ResultCode);

        // The reader's sign-in never takes over a device's session (its client id, or a kept session).
        var (takeover, _) = await ConnectAsync(ReaderName, ReaderPassword, clientId: s.ClientId);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, takeover);
        var (kept, _) = await ConnectAsync(ReaderName, ReaderPassword, clean: false);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, kept);
        Assert.True(device.IsConnected);
    }

    [Fact]
    public async Task With_no_prefix_nothing_is_published_and_the_outbox_is_not_written()
    {
        await _c.DisposeAsync();
        _c = await ConsoleHost.StartAsync(Settings(prefix: null), folder: _folder, time: null);
        var spec = (await _c.RegisterAsync(1))[0];
        await _c.OnlineAsync(spec);
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);

        await using var db = _c.Db();
        Assert.Equal(0, await db.OutboxEvents.CountAsync());
        Assert.Null(await db.SchedulerLeases.Where(l => l.Name == SchedulerLease.AlibabaMessagesName).Select(l => l.Cursor).SingleAsync());
        Assert.Equal(0, _c.Services.GetRequiredService<AlibabaMessagePublisher>().Published);
    }

    [Theory]
    [InlineData("/alibaba", "TopicPrefix")]
    [InlineData("a/+/b", "TopicPrefix")]
    [InlineData("a/#", "TopicPrefix")]
    [InlineData("$SYS/x", "TopicPrefix")]
    [InlineData("a//b", "TopicPrefix")]
    public void A_prefix_that_could_reach_other_topics_is_refused(string prefix, string named)
    {
        var problem = new AlibabaMessageOptions { TopicPrefix = prefix }.Problem();
        Assert.NotNull(problem);
        Assert.Contains(named, problem);
        Assert.Null(new AlibabaMessageOptions { TopicPrefix = "fleet/alibaba-ota" }.Problem());
        Assert.NotNull(new AlibabaMessageOptions { TopicPrefix = "x", Username = "u", Password = "short" }.Problem());
    }
}
