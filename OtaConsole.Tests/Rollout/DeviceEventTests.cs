using OtaConsole.Core.Security;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

public sealed class DeviceEventTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<string> PushedBatchAsync(int devices = 1, Func<CreateBatchRequest, CreateBatchRequest>? configure = null)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(devices);
        var p = await _h.PackageAsync(udi: "{\"ota_notice\":\"hi\"}");
        var created = await _h.BatchAsync(p.Id, configure);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        return created.BatchId;
    }

    [Fact]
    public async Task A_whole_update_as_a_real_SDK_reports_it_succeeds_and_the_timeline_tells_it()
    {
        var batchId = await PushedBatchAsync(configure: r => r with { TimeoutMinutes = 30 });
        foreach (var step in new[] { 0, 40, 80, 100 })
            await _h.ProgressAsync("dev-000", step);
        await _h.VersionAsync("dev-000", "2.0.0");

        var t = await _h.TaskAsync(batchId, "dev-000");
        Assert.Equal((OtaTaskStatus.Succeeded, 100), (t.Status, t.Progress));
        var timeline = (await _h.EventsAsync(t.Id)).Select(e => e.Detail).ToList();
        Assert.Equal(["pushed", "progress 0", "progress 40", "progress 80", "progress 100", "reported version 2.0.0"], timeline);
        await using var db = _h.Database.CreateDbContext();
        Assert.Equal("2.0.0", (await db.DeviceVersions.SingleAsync(v => v.ModuleName == OtaModule.Default)).Version);
    }

    [Fact]
    public async Task The_notice_carries_the_package_the_tags_and_the_custom_info()
    {
        await PushedBatchAsync(configure: r => r with { Tags = [new BatchTag { Key = "k1", Value = "v1" }] });

        var n = Assert.Single(_h.Gateway.Notices);
        Assert.Equal(("2.0.0", OtaModule.Default, false, SignMethod.Md5), (n.Version, n.ModuleName, n.IsDiff, n.SignMethod));
        var f = Assert.Single(n.Files);
        Assert.Equal(f.Md5, f.Sign);
        Assert.Equal("{\"ota_notice\":\"hi\"}", n.Udi);
        Assert.Equal("k1", Assert.Single(n.Tags).Key);
    }

    [Fact]
    public async Task Reconnecting_re_sends_the_notice_of_a_pushed_task_after_the_grace()
    {
        await PushedBatchAsync();
        await _h.ReportAsync(new DeviceDisconnected(EngineHarness.Key("dev-000")), new DeviceConnected(EngineHarness.Key("dev-000")));
        await _h.ReportAsync(new VersionReported(EngineHarness.Key("dev-000"), OtaModule.Default, "1.0.0")); // still the source
        Assert.Equal([NoticeCause.Push], _h.Gateway.Notices.Select(n => n.Cause));

        await _h.AdvanceAsync(NoticeTiming.Default.ReconnectGrace);
        Assert.Equal([NoticeCause.Push, NoticeCause.Reconnect], _h.Gateway.Notices.Select(n => n.Cause));
    }

    [Fact]
    public async Task A_disconnect_that_arrives_after_the_later_connect_is_ignored_by_the_brokers_stamps()
    {
        // A round-robin shared subscription: the device left at t1 and came back at t2; node B applies the
        // connect of t2 before node A gets to the disconnect of t1. In one step or in two, it stays online.
        await _h.ProductAsync();
        await _h.DevicesAsync(2, online: false);
        var t1 = _h.Now.AddSeconds(-10);
        var t2 = _h.Now.AddSeconds(-5);
        var dev0 = EngineHarness.Key("dev-000");
        var dev1 = EngineHarness.Key("dev-001");
        await _h.ReportAsync(new DeviceConnected(dev0, t2));
        await _h.ReportAsync(new DeviceDisconnected(dev0, t1));
        await _h.ReportAsync(new DeviceConnected(dev1, t2), new DeviceDisconnected(dev1, t1));

        foreach (var name in new[] { "dev-000", "dev-001" })
            Assert.True((await _h.Catalog.FindDeviceAsync(Actor.System, EngineHarness.ProductKey, name))!.IsOnline, name);

        // A later disconnect counts, and then an older connect does not.
        await _h.ReportAsync(new DeviceDisconnected(dev0, t2.AddSeconds(1)));
        await _h.ReportAsync(new DeviceConnected(dev0, t2));
        Assert.False((await _h.Catalog.FindDeviceAsync(Actor.System, EngineHarness.ProductKey, "dev-000"))!.IsOnline);
        // A message still proves it there (it is compared with no stamp: its time would be a console's clock).
        await _h.ReportAsync(new VersionReported(dev0, OtaModule.Default, "1.0.0"));
        Assert.True((await _h.Catalog.FindDeviceAsync(Actor.System, EngineHarness.ProductKey, "dev-000"))!.IsOnline);
    }

    [Fact]
    public async Task Presence_is_kept_on_the_device()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1, online: false);
        await _h.ReportAsync(new DeviceConnected(EngineHarness.Key("dev-000")));
        Assert.True((await _h.Catalog.FindDeviceAsync(Actor.System, EngineHarness.ProductKey, "dev-000"))!.IsOnline);
        _h.Time.Advance(TimeSpan.FromMinutes(3));
        await _h.ReportAsync(new DeviceDisconnected(EngineHarness.Key("dev-000")));
        var d = (await _h.Catalog.FindDeviceAsync(Actor.System, EngineHarness.ProductKey, "dev-000"))!;
        Assert.False(d.IsOnline);
        Assert.Equal(_h.Now, d.LastSeenAt);
    }

    [Fact]
    public async Task A_report_without_a_module_goes_to_the_devices_only_pushed_task()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        await _h.VersionAsync("dev-000", "m1", "MCU");
        var mcu = await _h.PackageAsync("m2", module: "MCU");
        var created = await _h.BatchAsync(mcu.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));

        await _h.ProgressAsync("dev-000", 30); // SDK 3.x never names the module

        Assert.Equal((OtaTaskStatus.InProgress, 30), ((await _h.TaskAsync(created.BatchId, "dev-000")).Status, (await _h.TaskAsync(created.BatchId, "dev-000")).Progress));
        await _h.VersionAsync("dev-000", "m2", "MCU");
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(created.BatchId, "dev-000")).Status);
    }

    [Fact]
    public async Task A_multi_module_device_updates_each_module_on_its_own()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        await _h.VersionAsync("dev-000", "m1", "MCU");
        var fw = await _h.PackageAsync("2.0.0");
        var mcu = await _h.PackageAsync("m2", module: "MCU");
        var a = await _h.BatchAsync(fw.Id, r => r with { MultiModuleMode = true });
        var b = await _h.BatchAsync(mcu.Id, r => r with { MultiModuleMode = true });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));

        await _h.ProgressAsync("dev-000", 50, "MCU");
        await _h.VersionAsync("dev-000", "m2", "MCU");

        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(b.BatchId, "dev-000")).Status);
        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(a.BatchId, "dev-000")).Status);
        await _h.VersionAsync("dev-000", "2.0.0");
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(a.BatchId, "dev-000")).Status);
    }

    [Fact]
    public async Task Events_from_unknown_devices_are_dropped_and_change_nothing()
    {
        var batchId = await PushedBatchAsync();
        var before = await _h.TaskAsync(batchId, "dev-000");

        var unknown = await _h.Engine.ApplyDeviceEventsAsync([
            new ProgressReported(EngineHarness.Key("ghost"), null, -1, null),
            new VersionReported(new DeviceKey("otherPK", "dev-000"), "default", "2.0.0"),
        ]);

        Assert.Equal(2, unknown);
        Assert.Equal(before.Status, (await _h.TaskAsync(batchId, "dev-000")).Status);
    }

    [Fact]
    public async Task A_firmware_request_without_a_task_is_answered_empty()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        await _h.ReportAsync(new FirmwareRequested(EngineHarness.Key("dev-000"), null, "7"));

        var reply = Assert.Single(_h.Gateway.Replies);
        Assert.Null(reply.Notice);
    }

    [Fact]
    public async Task A_device_asking_again_for_its_pushed_task_gets_the_same_notice()
    {
        var batchId = await PushedBatchAsync();
        await _h.ReportAsync(new FirmwareRequested(EngineHarness.Key("dev-000"), OtaModule.Default, "8"));

        var reply = Assert.Single(_h.Gateway.Replies);
        Assert.Equal((await _h.TaskAsync(batchId, "dev-000")).Id, reply.Notice!.TaskId);
    }

    [Fact]
    public async Task Events_of_one_device_are_applied_in_order_within_one_step()
    {
        var batchId = await PushedBatchAsync();
        var k = EngineHarness.Key("dev-000");
        await _h.ReportAsync(new ProgressReported(k, null, 0, null), new ProgressReported(k, null, 50, null), new VersionReported(k, "default", "2.0.0"), new ProgressReported(k, null, -1, null));

        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(batchId, "dev-000")).Status);
    }
}
