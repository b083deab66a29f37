using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Mqtt;

/// <summary>Every update path, end to end: simulated devices on real MQTT to the embedded broker, downloads over HTTP.</summary>
public sealed class DeviceUpdateEndToEndTests : IAsyncLifetime
{
    private ConsoleHost _c = null!;

    public async ValueTask InitializeAsync()
    {
        _c = await ConsoleHost.StartAsync();
        await _c.ProductAsync();
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    private async Task<(SimulatedDevice Device, string BatchId)> UpdateOneAsync(SimDeviceSpec spec, Func<CreateBatchRequest, CreateBatchRequest>? configure = null)
    {
        var device = await _c.OnlineAsync(spec);
        var package = await _c.PackageAsync();
        var request = new CreateBatchRequest { PackageId = package.Id };
        var batch = await _c.Engine.CreateBatchAsync(Actor.System, configure is null ? request : configure(request));
        return (device, batch.BatchId);
    }

    [Theory]
    [InlineData(SimSdkStyle.LinkSdk4)]
    [InlineData(SimSdkStyle.CSdk3)]
    public async Task A_device_updates_and_its_task_succeeds(SimSdkStyle style)
    {
        var spec = (await _c.RegisterAsync(1, style: style))[0];
        var (device, batchId) = await UpdateOneAsync(spec);

        var task = await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);

        Assert.Equal(100, task.Progress);
        Assert.Equal("2.0.0", device.Versions[OtaModule.Default]);
        var version = (await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!.ModuleVersions.Single(v => v.ModuleName == OtaModule.Default);
        Assert.Equal("2.0.0", version.Version);
        await using var db = _c.Db();
        var timeline = await db.TaskEvents.Where(e => e.TaskId == task.Id).OrderBy(e => e.Id).Select(e => e.Detail).ToListAsync();
        Assert.Equal(["pushed", "progress 0", "progress 25", "progress 50", "progress 75", "progress 100", "reported version 2.0.0"], timeline);
    }

    [Theory]
    [InlineData(SimFailure.UpdateFailed, "-1")]
    [InlineData(SimFailure.DownloadFailed, "-2")]
    [InlineData(SimFailure.VerifyFailed, "-3")]
    [InlineData(SimFailure.FlashFailed, "-4")]
    [InlineData(SimFailure.WrongVersion, FailureCodes.UnexpectedVersion)]
    public async Task A_device_reporting_a_failure_fails_its_task_with_the_code(SimFailure failure, string code)
    {
        var spec = (await _c.RegisterAsync(1))[0] with { Failure = failure };
        var (_, batchId) = await UpdateOneAsync(spec);

        var task = await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Failed);

        Assert.Equal(code, task.FailureCode);
    }

    [Fact]
    public async Task A_fleet_whose_every_device_reports_minus_3_trips_the_rule_and_the_batch_pauses()
    {
        var specs = (await _c.RegisterAsync(30)).Select(s => s with { Failure = SimFailure.VerifyFailed }).ToList();
        foreach (var spec in specs)
            await _c.OnlineAsync(spec);
        var package = await _c.PackageAsync();
        var rule = new FailureRule { Failures = FailureKind.UpdateFailed, ThresholdPercent = 20, MinEnded = 5 };
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(60), FailureRules = [rule] })).BatchId;

        var paused = await _c.UntilAsync(async () =>
        {
            await using var db = _c.Db();
            return await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId);
        }, b => b.Status == BatchStatus.Paused, "the batch to pause");

        // The rule could not trip before its fifth ended update (reports arriving together may make it a few more);
        // the devices pushed meanwhile are those in flight (on this fake clock, a second passes per check while the
        // devices download in real time, so more are in flight than at 60 a minute on a real one: the benchmark
        // blast-radius measures that bound on the real clock).
        var tripped = System.Text.RegularExpressions.Regex.Match(paused.PauseReason!, @"(\d+) of (\d+) ended updates failed \(100 %\)");
        Assert.True(tripped.Success, paused.PauseReason);
        Assert.InRange(int.Parse(tripped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 5, paused.PushedCount);
        Assert.InRange(paused.PushedCount, 5, 29);
        // Thirty more seconds of ticks: nobody else is pushed.
        var seconds = 0;
        await _c.WaitForAsync(() => Task.FromResult(++seconds > 30));
        await using var after = _c.Db();
        var batch = await after.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId);
        Assert.Equal((BatchStatus.Paused, paused.PushedCount), (batch.Status, batch.PushedCount));
        Assert.Equal(30 - paused.PushedCount, batch.Counts.Queued);
    }

    [Fact]
    public async Task A_device_that_goes_silent_times_out()
    {
        var spec = (await _c.RegisterAsync(1))[0] with { Failure = SimFailure.Silent };
        var (_, batchId) = await UpdateOneAsync(spec, r => r with { TimeoutMinutes = 2 });

        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.InProgress);
        var task = await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Failed);

        Assert.Equal(FailureCodes.Timeout, task.FailureCode);
        Assert.True(task.EndedAt - task.FirstProgressAt >= TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task A_failed_download_is_retried_and_then_succeeds()
    {
        var spec = (await _c.RegisterAsync(1))[0] with { Failure = SimFailure.DownloadFailed, FailAttempts = 1 };
        var (device, batchId) = await UpdateOneAsync(spec, r => r with { RetryIntervalMinutes = 10, RetryCount = 2, TimeoutMinutes = 60 });

        // Ten minutes of fake time pass a second per check: 600 checks, each with its scheduler ticks, which on a
        // loaded machine (the whole suite running) takes longer than the default 30 s of real time.
        var task = await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded, within: TimeSpan.FromMinutes(2));

        Assert.Equal(1, task.RetryAttempts);
        Assert.Equal(1, device.UpdatesFailed);
        Assert.Equal(1, device.UpdatesCompleted);
    }

    [Fact]
    public async Task An_offline_device_waits_and_updates_when_it_comes_online()
    {
        var spec = (await _c.RegisterAsync(1))[0];
        // It reported once, then went away.
        var first = await _c.OnlineAsync(spec);
        await first.DisconnectAsync();
        await _c.UntilAsync(async () => (await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!.IsOnline, online => !online, "the device to go offline", advanceClock: false);
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        Assert.Equal(QueueReason.Offline, (await _c.TaskAsync(batchId, "dev-000")).QueueReason);

        var again = _c.Device(spec);
        Assert.True(await again.ConnectAsync());

        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);
    }

    [Fact]
    public async Task Cancelling_a_batch_mid_way_stops_the_devices_not_yet_pushed()
    {
        var specs = await _c.RegisterAsync(3);
        foreach (var s in specs)
            await _c.OnlineAsync(s with { Failure = s.Key.DeviceName == "dev-000" ? SimFailure.Silent : SimFailure.None });
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(10) })).BatchId;
        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.InProgress);

        await _c.Engine.CancelBatchAsync(Actor.System, batchId);
        await _c.WaitForAsync(() => Task.FromResult(true)); // one more tick

        var tasks = await _c.Db().Tasks.Where(t => t.BatchId == batchId).ToDictionaryAsync(t => t.DeviceName);
        Assert.Equal(OtaTaskStatus.InProgress, tasks["dev-000"].Status); // an In upgrade task finishes
        Assert.Equal(OtaTaskStatus.Canceled, tasks["dev-001"].Status);
        Assert.Equal(OtaTaskStatus.Canceled, tasks["dev-002"].Status);
        Assert.Null(tasks["dev-002"].PushedAt);
        Assert.Equal(BatchStatus.Canceled, (await _c.Db().Batches.SingleAsync(b => b.Id == batchId)).Status);
    }

    [Fact]
    public async Task A_batch_needing_confirmation_updates_only_confirmed_devices()
    {
        var specs = await _c.RegisterAsync(2);
        var devices = new List<SimulatedDevice>();
        foreach (var s in specs)
            devices.Add(await _c.OnlineAsync(s));
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, NeedConfirm = true })).BatchId;
        var confirm = await _c.TaskAsync(batchId, "dev-001");
        Assert.Equal(OtaTaskStatus.Confirm, confirm.Status);

        await _c.Engine.ConfirmTasksAsync(Actor.System, [confirm.Id]);

        await _c.TaskReachesAsync(batchId, "dev-001", OtaTaskStatus.Succeeded);
        Assert.Equal(OtaTaskStatus.Confirm, (await _c.TaskAsync(batchId, "dev-000")).Status);
        Assert.Equal("1.0.0", devices[0].Versions[OtaModule.Default]);
    }

    [Fact]
    public async Task Without_push_the_device_asks_with_firmware_get_and_updates()
    {
        var spec = (await _c.RegisterAsync(1))[0];
        var (device, batchId) = await UpdateOneAsync(spec, r => r with { NeedPush = false });
        await _c.WaitForAsync(() => Task.FromResult(true)); // a tick passes: nothing is pushed
        Assert.Equal((OtaTaskStatus.Queued, QueueReason.AwaitingRequest), await StatusAsync(batchId));
        Assert.Empty(device.Received);

        await device.RequestFirmwareAsync();

        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);
        Assert.Contains(device.Received, r => r.Contains("\"code\":200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_device_asking_with_nothing_pending_gets_an_empty_reply()
    {
        var device = await _c.OnlineAsync((await _c.RegisterAsync(1))[0]);
        await device.RequestFirmwareAsync();
        await _c.UntilAsync(() => Task.FromResult(device.Received.Count), n => n > 0, "the reply", advanceClock: false);
        Assert.Matches("^\\{\"id\":\\d+,\"code\":200,\"data\":\\{\\}\\}$", device.Received.Single());
    }

    [Fact]
    public async Task A_dynamic_batch_picks_up_a_device_that_reports_its_version_later()
    {
        var specs = await _c.RegisterAsync(2, version: "0.9.0");
        var early = await _c.OnlineAsync(specs[0]);
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"] })).BatchId;

        var late = await _c.OnlineAsync(specs[1] with { Versions = new() { [OtaModule.Default] = "1.0.0" } });
        await _c.TaskReachesAsync(batchId, "dev-001", OtaTaskStatus.Succeeded);

        // The early device was on another version: untouched until it reports a matching one.
        Assert.False(await _c.Db().Tasks.AnyAsync(t => t.BatchId == batchId && t.DeviceName == "dev-000"));
        await early.ReportVersionAsync(OtaModule.Default, "1.0.0");
        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);
        Assert.Equal("2.0.0", late.Versions[OtaModule.Default]);
    }

    [Fact]
    public async Task A_multi_module_device_updates_one_module_without_touching_the_other()
    {
        var spec = (await _c.RegisterAsync(1))[0] with { Versions = new() { [OtaModule.Default] = "1.0.0", ["MCU"] = "m1" } };
        var device = await _c.OnlineAsync(spec);
        var mcu = await _c.PackageAsync("m2", "MCU");
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = mcu.Id, MultiModuleMode = true })).BatchId;

        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);

        Assert.Equal(("m2", "1.0.0"), (device.Versions["MCU"], device.Versions[OtaModule.Default]));
        var versions = (await _c.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!.ModuleVersions.ToDictionary(v => v.ModuleName, v => v.Version);
        Assert.Equal("m2", versions["MCU"]);
        Assert.Equal("1.0.0", versions[OtaModule.Default]);
    }

    [Fact]
    public async Task A_multi_file_package_is_downloaded_file_by_file()
    {
        var spec = (await _c.RegisterAsync(1))[0];
        var device = await _c.OnlineAsync(spec);
        var package = await _c.PackageAsync(files: 3);
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;

        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);

        Assert.Contains(device.Received, r => r.Contains("\"files\":[", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_device_downloads_over_MQTT_block_by_block()
    {
        var spec = (await _c.RegisterAsync(1))[0];
        var device = await _c.OnlineAsync(spec);
        var content = new byte[23_456];
        new Random(3).NextBytes(content);
        var package = await _c.Packages.CreateAsync(Actor.System, new OtaConsole.Core.Packages.CreatePackageRequest
        {
            ProductKey = ConsoleHost.ProductKey,
            Name = "mqtt-download",
            DestVersion = "2.0.0",
            NeedToVerify = false,
            Files = [new OtaConsole.Core.Packages.PackageFileUpload("fw.bin", new MemoryStream(content))],
        });
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, DownloadProtocol = DownloadProtocol.Mqtt })).BatchId;

        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Succeeded);

        var notice = device.Received.First(r => r.Contains("dProtocol", StringComparison.Ordinal));
        Assert.Contains($"\"streamId\":{package.Files[0].Id}", notice);
        Assert.DoesNotContain("\"url\"", notice);
    }

    [Fact]
    public async Task A_device_without_a_task_gets_no_block_of_a_package()
    {
        var specs = await _c.RegisterAsync(2);
        // dev-000 has the package pushed and stays In upgrade; dev-001 is already on 2.0.0 and has no task.
        await _c.OnlineAsync(specs[0] with { Failure = SimFailure.Silent });
        await _c.OnlineAsync(specs[1] with { Versions = new() { [OtaModule.Default] = "2.0.0" } });
        var package = await _c.PackageAsync();
        var batchId = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, DownloadProtocol = DownloadProtocol.Mqtt })).BatchId;
        await _c.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.InProgress);

        var (owner, ownerReplies) = await RawLinkAsync(specs[0]);
        var (stranger, strangerReplies) = await RawLinkAsync(specs[1]);
        await using var _ = owner;
        await using var __ = stranger;
        await stranger.PublishAsync(AlinkTopics.FileDownload(specs[1].Key), BlockRequest(package.Files[0].Id), false, default);
        // Requests are served in order: once the owner's block arrives, the stranger's request has been handled.
        await owner.PublishAsync(AlinkTopics.FileDownload(specs[0].Key), BlockRequest(package.Files[0].Id), false, default);
        await _c.UntilAsync(() => Task.FromResult(ownerReplies.Count), n => n > 0, "the owner's block", advanceClock: false);

        Assert.NotNull(MqttDownloadCodec.DecodeReply(ownerReplies.Single()));
        Assert.Empty(strangerReplies);
    }

    private static byte[] BlockRequest(int streamId) => System.Text.Encoding.UTF8.GetBytes(
        $"{{\"id\":\"1\",\"params\":{{\"fileToken\":\"default\",\"fileInfo\":{{\"streamId\":{streamId},\"fileId\":1,}},\"fileBlock\":{{\"size\":100,\"offset\":0}}}}}}");

    /// <summary>A raw connection as the device (taking over its simulated one) that keeps every download reply.</summary>
    private async Task<(MqttSimLink Link, System.Collections.Concurrent.ConcurrentQueue<byte[]> Replies)> RawLinkAsync(SimDeviceSpec spec)
    {
        var replies = new System.Collections.Concurrent.ConcurrentQueue<byte[]>();
        var link = SimulatedDevice.MqttLink(spec, "127.0.0.1", _c.MqttPort);
        link.OnMessage = (topic, payload) =>
        {
            if (topic == AlinkTopics.FileDownloadReply(spec.Key))
                replies.Enqueue(payload);
            return Task.CompletedTask;
        };
        Assert.True(await link.ConnectAsync(default));
        return (link, replies);
    }

    private async Task<(OtaTaskStatus, QueueReason)> StatusAsync(string batchId)
    {
        var t = await _c.TaskAsync(batchId, "dev-000");
        return (t.Status, t.QueueReason);
    }
}
