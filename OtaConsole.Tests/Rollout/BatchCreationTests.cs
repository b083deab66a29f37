using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Rollout;

public sealed class BatchCreationTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task ALL_reaches_every_device_of_the_product_and_skips_those_already_on_the_destination()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(5, "1.0.0");
        await _h.DevicesAsync(2, "2.0.0", prefix: "new");
        var p = await _h.PackageAsync("2.0.0");

        var created = await _h.BatchAsync(p.Id);

        Assert.Equal(5, created.Preview.Tasks);
        Assert.Equal(2, created.Preview.Skipped[SkipReason.AlreadyOnDestination]);
        var tasks = await _h.TasksAsync(created.BatchId);
        Assert.Equal(5, tasks.Count);
        Assert.All(tasks, t => Assert.Equal((OtaTaskStatus.Queued, QueueReason.WaitingForSlot, "1.0.0"), (t.Status, t.QueueReason, t.SrcVersion)));
        var batch = await _h.GetBatchAsync(created.BatchId);
        Assert.Equal((BatchStatus.InProgress, 5, 5), (batch.Status, batch.Counts.Total, batch.Counts.Queued));
    }

    [Fact]
    public async Task SPECIFIC_reaches_the_named_devices_and_reports_unknown_and_invalid_names_back()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(4);
        var p = await _h.PackageAsync();

        var created = await _h.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-001", "dev-003", "ghost-9", "bad/name", "dev-001"] });

        Assert.Equal(2, created.Preview.Tasks);
        Assert.Equal(["bad/name", "ghost-9"], created.Preview.UnknownDeviceNames.Order());
        Assert.Equal(["dev-001", "dev-003"], (await _h.TasksAsync(created.BatchId)).Select(t => t.DeviceName));
        // The names that are not devices stay with the batch (invalid names first, then unknown ones), for its page and its download.
        var queries = new OtaConsole.Core.Queries.BatchQueries(_h.Database);
        var unknown = await queries.UnknownDevicesAsync(Actor.System, created.BatchId, 1);
        Assert.Equal(["bad/name"], unknown.Items);
        Assert.Equal(2, unknown.Total);
        var all = new List<string>();
        await foreach (var name in queries.AllUnknownDevicesAsync(Actor.System, created.BatchId))
            all.Add(name);
        Assert.Equal(["bad/name", "ghost-9"], all);
        Assert.Equal(0, (await queries.UnknownDevicesAsync(Actor.NoOne, created.BatchId, 20)).Total);
    }

    [Theory]
    [InlineData("33.33", 100, 33)]
    [InlineData("0.001", 100, 1)]
    [InlineData("100", 7, 7)]
    [InlineData("50", 3, 1)]
    public async Task GRAY_takes_the_floor_of_the_percentage_and_at_least_one(string percent, int devices, int expected)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(devices);
        var p = await _h.PackageAsync();

        var created = await _h.BatchAsync(p.Id, r => r with { Target = TargetSelection.Gray, GrayPercent = percent });

        Assert.Equal(expected, (await _h.TasksAsync(created.BatchId)).Count);
    }

    [Fact]
    public async Task GROUP_reaches_the_group_and_its_sub_groups()
    {
        await _h.ProductAsync();
        var parent = await _h.Catalog.CreateGroupAsync(Actor.System, "north", groupId: "north");
        await _h.Catalog.CreateGroupAsync(Actor.System, "north-east", parentGroupId: parent.GroupId, groupId: "northeast");
        await _h.Catalog.CreateGroupAsync(Actor.System, "south", groupId: "south");
        await _h.DevicesAsync(2, prefix: "n", groupId: "north");
        await _h.DevicesAsync(3, prefix: "ne", groupId: "northeast");
        await _h.DevicesAsync(4, prefix: "s", groupId: "south");
        var p = await _h.PackageAsync();

        var created = await _h.BatchAsync(p.Id, r => r with { Target = TargetSelection.Group, GroupId = "north" });

        Assert.Equal(5, created.Preview.Tasks);
        await Assert.ThrowsAsync<OtaException>(() => _h.BatchAsync(p.Id, r => r with { Target = TargetSelection.Group, GroupId = "nowhere" }));
    }

    [Fact]
    public async Task The_source_version_filter_keeps_only_devices_on_a_chosen_version()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3, "1.0.0", prefix: "a");
        await _h.DevicesAsync(2, "1.1.0", prefix: "b");
        await _h.DevicesAsync(2, version: null, prefix: "c");
        var p = await _h.PackageAsync();

        var created = await _h.BatchAsync(p.Id, r => r with { SrcVersions = ["1.1.0"] });

        Assert.Equal(2, created.Preview.Tasks);
        Assert.Equal(5, created.Preview.Skipped[SkipReason.SourceVersionNotSelected]);
    }

    [Fact]
    public async Task A_differential_package_takes_only_devices_on_its_source_version()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3, "1.0.0", prefix: "a");
        await _h.DevicesAsync(2, "1.5.0", prefix: "b");
        await _h.DevicesAsync(1, version: null, prefix: "c");
        var p = await _h.PackageAsync("2.0.0", type: PackageType.Differential, src: "1.5.0");

        var created = await _h.BatchAsync(p.Id);

        Assert.Equal(2, created.Preview.Tasks);
        Assert.Equal(4, created.Preview.Skipped[SkipReason.NotOnPackageSource]);
        Assert.Equal(["1.5.0"], (await _h.GetBatchAsync(created.BatchId)).SrcVersions);
    }

    [Fact]
    public async Task A_static_batch_that_reaches_nobody_is_refused_with_the_reasons()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2, "2.0.0");
        var p = await _h.PackageAsync("2.0.0");

        var e = await Assert.ThrowsAsync<OtaValidationException>(() => _h.BatchAsync(p.Id));
        Assert.Contains("2 already on the destination version", e.Message);
    }

    [Fact]
    public async Task Offline_devices_wait_as_Device_Offline_and_NeedConfirm_tasks_start_in_CONFIRM()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2, online: false, prefix: "off");
        await _h.DevicesAsync(1, prefix: "on");
        var p = await _h.PackageAsync();

        var plain = await _h.BatchAsync(p.Id);
        var reasons = (await _h.TasksAsync(plain.BatchId)).ToDictionary(t => t.DeviceName, t => t.QueueReason);
        Assert.Equal(QueueReason.Offline, reasons["off-000"]);
        Assert.Equal(QueueReason.WaitingForSlot, reasons["on-000"]);
        Assert.Equal(2, plain.Preview.Offline);

        await _h.Engine.CancelBatchAsync(Actor.System, plain.BatchId);
        var confirm = await _h.BatchAsync(p.Id, r => r with { NeedConfirm = true });
        Assert.All(await _h.TasksAsync(confirm.BatchId), t => Assert.Equal(OtaTaskStatus.Confirm, t.Status));
    }

    [Fact]
    public async Task A_scheduled_batch_is_PLANNED_and_its_tasks_wait_as_Scheduled()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var p = await _h.PackageAsync();

        var created = await _h.BatchAsync(p.Id, r => r with { ScheduleTime = _h.Now.AddHours(1) });

        Assert.Equal(BatchStatus.Planned, (await _h.GetBatchAsync(created.BatchId)).Status);
        Assert.All(await _h.TasksAsync(created.BatchId), t => Assert.Equal(QueueReason.Scheduled, t.QueueReason));
    }

    [Fact]
    public async Task A_second_batch_fails_the_tasks_of_devices_busy_with_an_unfinished_task()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var p1 = await _h.PackageAsync("2.0.0");
        var p2 = await _h.PackageAsync("3.0.0");
        var first = await _h.BatchAsync(p1.Id);

        var second = await _h.BatchAsync(p2.Id);

        Assert.Equal(2, second.Preview.Busy);
        Assert.All(await _h.TasksAsync(second.BatchId), t => Assert.Equal((OtaTaskStatus.Failed, FailureCodes.DeviceBusy), (t.Status, t.FailureCode)));
        Assert.All(await _h.TasksAsync(first.BatchId), t => Assert.Equal(OtaTaskStatus.Queued, t.Status));
        // Every task failed at once, so the second batch is already complete.
        Assert.Equal(BatchStatus.Completed, (await _h.GetBatchAsync(second.BatchId)).Status);
    }

    [Fact]
    public async Task An_overwriting_batch_cancels_pending_tasks_but_never_an_In_upgrade_one()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(3);
        var p1 = await _h.PackageAsync("2.0.0");
        var p2 = await _h.PackageAsync("3.0.0");
        var first = await _h.BatchAsync(p1.Id);
        await _h.TickAsync(); // pushes all three (rate 10,000/min allows one at once... and the rest next ticks)
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await _h.ProgressAsync(devices[0], 10); // dev-000 is In upgrade

        var second = await _h.BatchAsync(p2.Id, r => r with { OverwriteMode = OverwriteMode.Overwrite });

        Assert.Equal(1, second.Preview.Busy);
        Assert.Equal(2, second.Preview.Overwrites);
        var old = (await _h.TasksAsync(first.BatchId)).ToDictionary(t => t.DeviceName);
        Assert.Equal(OtaTaskStatus.InProgress, old[devices[0]].Status);
        Assert.Equal(OtaTaskStatus.Canceled, old[devices[1]].Status);
        Assert.Contains(second.BatchId, old[devices[1]].FailureReason);
        var fresh = (await _h.TasksAsync(second.BatchId)).ToDictionary(t => t.DeviceName);
        Assert.Equal(OtaTaskStatus.Failed, fresh[devices[0]].Status);
        Assert.Equal(OtaTaskStatus.Queued, fresh[devices[1]].Status);
    }

    [Fact]
    public async Task Multi_module_batches_update_modules_independently()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        await _h.VersionAsync("dev-000", "m1", "MCU");
        var firmware = await _h.PackageAsync("2.0.0");
        var mcu = await _h.PackageAsync("m2", module: "MCU");
        var a = await _h.BatchAsync(firmware.Id, r => r with { MultiModuleMode = true });

        var b = await _h.BatchAsync(mcu.Id, r => r with { MultiModuleMode = true });

        Assert.Equal(OtaTaskStatus.Queued, (await _h.TaskAsync(a.BatchId, "dev-000")).Status);
        var t = await _h.TaskAsync(b.BatchId, "dev-000");
        Assert.Equal((OtaTaskStatus.Queued, "MCU", "m1"), (t.Status, t.ModuleName, t.SrcVersion));
    }

    [Fact]
    public async Task The_preview_counts_what_creation_does_and_writes_nothing()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(6, online: true);
        await _h.DevicesAsync(4, online: false, prefix: "off");
        var p = await _h.PackageAsync();
        var request = new CreateBatchRequest { PackageId = p.Id, PushRate = PushRate.Constant(10) };

        var preview = await _h.Engine.PreviewBatchAsync(Actor.System, request);

        Assert.Equal((10, 4, 0), (preview.Tasks, preview.Offline, preview.Busy));
        Assert.Equal(TimeSpan.FromSeconds(36), preview.PushDuration);
        await using (var db = _h.Database.CreateDbContext())
            Assert.Empty(db.Batches);
        var created = await _h.Engine.CreateBatchAsync(Actor.System, request);
        Assert.Equal((preview.Tasks, preview.Offline, preview.Busy, preview.Overwrites, preview.PushDuration),
            (created.Preview.Tasks, created.Preview.Offline, created.Preview.Busy, created.Preview.Overwrites, created.Preview.PushDuration));
    }

    [Fact]
    public async Task An_upgrade_batch_of_a_package_that_needs_verification_is_refused_until_verified()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var p = await _h.PackageAsync(needToVerify: true);

        var e = await Assert.ThrowsAsync<OtaException>(() => _h.BatchAsync(p.Id));
        Assert.Equal("FirmwareNotVerified", e.Code);
    }

    [Fact]
    public async Task Only_one_dynamic_batch_per_package_runs_at_a_time()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var first = await _h.BatchAsync(p.Id, r => r with { Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"] });

        var e = await Assert.ThrowsAsync<OtaException>(() => _h.BatchAsync(p.Id, r => r with { Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"] }));
        Assert.Equal("DynamicJobExists", e.Code);

        await _h.Engine.CancelBatchAsync(Actor.System, first.BatchId);
        await _h.BatchAsync(p.Id, r => r with { Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"] });
    }

    [Fact]
    public async Task A_large_batch_is_created_in_one_call()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3000);
        var p = await _h.PackageAsync();

        var created = await _h.BatchAsync(p.Id);

        var batch = await _h.GetBatchAsync(created.BatchId);
        Assert.Equal((3000, 3000), (batch.Counts.Total, batch.Counts.Queued));
        Assert.Equal(3000, (await _h.TasksAsync(created.BatchId)).Select(t => t.DeviceId).Distinct().Count());
    }
}
