using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Rollout;

public sealed class SchedulerTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private async Task<(UpdatePackage Package, List<string> Devices)> FleetAsync(int devices, bool online = true)
    {
        await _h.ProductAsync();
        var names = await _h.DevicesAsync(devices, online: online);
        return (await _h.PackageAsync(), names);
    }

    [Fact]
    public async Task Pushes_go_out_at_the_batch_rate_evenly_through_the_minute_not_in_a_burst()
    {
        var (p, _) = await FleetAsync(30);
        var created = await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) });
        var start = _h.Now;

        await _h.TickAsync();
        await _h.AdvanceAsync(TimeSpan.FromSeconds(119));

        var pushTimes = (await _h.TasksAsync(created.BatchId)).Where(t => t.PushedAt is not null).Select(t => (t.PushedAt!.Value - start).TotalSeconds).Order().ToList();
        Assert.Equal(20, pushTimes.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 6.0), pushTimes);
        Assert.Equal(20, _h.Gateway.Notices.Count);
    }

    [Fact]
    public async Task Offline_devices_are_held_and_pushed_when_they_come_online()
    {
        var (p, devices) = await FleetAsync(2, online: false);
        var created = await _h.BatchAsync(p.Id);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Empty(_h.Gateway.Notices);

        await _h.ReportAsync(new OtaConsole.Core.Devices.DeviceConnected(EngineHarness.Key(devices[1])));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));

        var notice = Assert.Single(_h.Gateway.Notices);
        Assert.Equal(devices[1], notice.Device.DeviceName);
        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(created.BatchId, devices[1])).Status);
        Assert.Equal(QueueReason.Offline, (await _h.TaskAsync(created.BatchId, devices[0])).QueueReason);
    }

    [Fact]
    public async Task A_planned_batch_starts_at_its_schedule_time()
    {
        var (p, _) = await FleetAsync(3);
        var created = await _h.BatchAsync(p.Id, r => r with { ScheduleTime = _h.Now.AddMinutes(10) });

        await _h.AdvanceAsync(TimeSpan.FromMinutes(9));
        Assert.Equal(BatchStatus.Planned, (await _h.GetBatchAsync(created.BatchId)).Status);
        Assert.Empty(_h.Gateway.Notices);

        await _h.AdvanceAsync(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(2));
        var batch = await _h.GetBatchAsync(created.BatchId);
        Assert.Equal(BatchStatus.InProgress, batch.Status);
        Assert.Equal(3, _h.Gateway.Notices.Count);
    }

    [Fact]
    public async Task At_the_schedule_finish_time_what_was_never_pushed_is_cancelled()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2, online: true, prefix: "on");
        await _h.DevicesAsync(2, online: false, prefix: "off");
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { ScheduleTime = _h.Now.AddMinutes(5), ScheduleFinishTime = _h.Now.AddMinutes(65) });

        await _h.AdvanceAsync(TimeSpan.FromMinutes(6));
        await _h.ProgressAsync("on-000", 50);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(60));

        var tasks = (await _h.TasksAsync(created.BatchId)).ToDictionary(t => t.DeviceName);
        Assert.Equal(OtaTaskStatus.InProgress, tasks["on-000"].Status);
        Assert.Equal(OtaTaskStatus.Notified, tasks["on-001"].Status);
        Assert.Equal(OtaTaskStatus.Canceled, tasks["off-000"].Status);
        Assert.Contains("finish time", tasks["off-001"].FailureReason);
    }

    [Fact]
    public async Task Timeouts_fire_from_the_scheduler()
    {
        var (p, devices) = await FleetAsync(1);
        var created = await _h.BatchAsync(p.Id, r => r with { TimeoutMinutes = 5 });
        await _h.TickAsync();
        await _h.ProgressAsync(devices[0], 0);

        await _h.AdvanceAsync(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(59));
        Assert.Equal(OtaTaskStatus.InProgress, (await _h.TaskAsync(created.BatchId, devices[0])).Status);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        var t = await _h.TaskAsync(created.BatchId, devices[0]);
        Assert.Equal((OtaTaskStatus.Failed, FailureCodes.Timeout), (t.Status, t.FailureCode));
        Assert.Equal(BatchStatus.Completed, (await _h.GetBatchAsync(created.BatchId)).Status);
    }

    [Fact]
    public async Task A_retry_re_sends_the_notice_when_due_and_then_the_device_can_succeed()
    {
        var (p, devices) = await FleetAsync(1);
        var created = await _h.BatchAsync(p.Id, r => r with { RetryIntervalMinutes = 10, RetryCount = 1, TimeoutMinutes = 60 });
        await _h.TickAsync();
        await _h.ProgressAsync(devices[0], 0);
        await _h.ProgressAsync(devices[0], -2);

        await _h.AdvanceAsync(TimeSpan.FromMinutes(9));
        Assert.Single(_h.Gateway.Notices);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal([NoticeCause.Push, NoticeCause.Retry], _h.Gateway.Notices.Select(n => n.Cause));
        Assert.Equal(OtaTaskStatus.InProgress, (await _h.TaskAsync(created.BatchId, devices[0])).Status);

        await _h.VersionAsync(devices[0], "2.0.0");
        var t = await _h.TaskAsync(created.BatchId, devices[0]);
        Assert.Equal((OtaTaskStatus.Succeeded, 1), (t.Status, t.RetryAttempts));
    }

    [Fact]
    public async Task A_static_batch_completes_when_no_task_is_left_unfinished()
    {
        var (p, devices) = await FleetAsync(2);
        var created = await _h.BatchAsync(p.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync(devices[0], "2.0.0");
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(created.BatchId)).Status);

        await _h.ProgressAsync(devices[1], -1);

        var batch = await _h.GetBatchAsync(created.BatchId);
        Assert.Equal((BatchStatus.Completed, 1, 1), (batch.Status, batch.Counts.Succeeded, batch.Counts.Failed));
        Assert.Equal(_h.Now, batch.EndedAt);
    }

    [Fact]
    public async Task A_new_push_rate_holds_from_the_next_second()
    {
        var (p, _) = await FleetAsync(400);
        var created = await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) });
        await _h.TickAsync();
        await _h.AdvanceAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(6, _h.Gateway.Notices.Count);

        await _h.Engine.UpdatePushRateAsync(Actor.System, created.BatchId, PushRate.Constant(6000));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        // 6000/min is 100 a second, paced from the first tick after the edit: that tick releases its quarter second
        // (25), and the second between the edit and it is no allowance, or the stretch's first minute would carry 6,100.
        Assert.Equal(6 + 25, _h.Gateway.Notices.Count);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(6 + 125, _h.Gateway.Notices.Count);
    }

    [Fact]
    public async Task A_variable_rate_multiplies_each_time_its_step_of_devices_is_pushed()
    {
        var (p, _) = await FleetAsync(120);
        var created = await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Variable(60, 2, 20, RampCriterion.Pushed, 240) });
        await _h.TickAsync();

        // 60/min is one a second: the first 20 take 20 s.
        await _h.AdvanceAsync(TimeSpan.FromSeconds(19));
        Assert.Equal(20, _h.Gateway.Notices.Count);
        // Then 120/min (two a second) for the next 20, then 240/min, the ceiling.
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(_h.Gateway.Notices.Count, 39, 41);
        var batch = await _h.GetBatchAsync(created.BatchId);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(240, (await _h.GetBatchAsync(created.BatchId)).RateSegmentPerMinute);
        Assert.True(batch.RateSegmentPerMinute >= 120);
    }

    [Fact]
    public async Task A_ramp_counting_successes_waits_for_devices_to_succeed()
    {
        var (p, devices) = await FleetAsync(50);
        var created = await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Variable(60, 3, 5, RampCriterion.Succeeded, 1000) });
        await _h.TickAsync();
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(60, (await _h.GetBatchAsync(created.BatchId)).RateSegmentPerMinute);

        foreach (var d in devices.Take(5))
            await _h.VersionAsync(d, "2.0.0");
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(180, (await _h.GetBatchAsync(created.BatchId)).RateSegmentPerMinute);
    }

    [Fact]
    public async Task A_batch_whose_creation_took_seconds_is_paced_from_its_first_tick()
    {
        var (p, _) = await FleetAsync(100);
        await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(600) });
        // Creating a 100,000-task batch takes seconds: the first tick comes late, and those seconds are no allowance.
        _h.Time.Advance(TimeSpan.FromSeconds(3));
        await _h.TickAsync();
        // 600/min: the first tick's quarter second is 2.5, rounded up; five seconds on, 52.5 of them.
        Assert.Equal(3, _h.Gateway.Notices.Count);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(53, _h.Gateway.Notices.Count);
    }

    [Fact]
    public async Task After_a_pause_the_scheduler_paces_from_now_instead_of_bursting()
    {
        var (p, _) = await FleetAsync(100);
        await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(60) });
        await _h.TickAsync();
        Assert.Single(_h.Gateway.Notices);

        _h.Time.Advance(TimeSpan.FromMinutes(10)); // nobody ticked: the engine was down
        await _h.TickAsync();
        // Counted are first pushes: the first device, silent for 10 minutes, also gets its notice again.
        Assert.Equal(2, Pushes());
        await _h.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(7, Pushes());

        int Pushes() => _h.Gateway.Notices.Count(n => n.Cause == OtaConsole.Core.Tasks.NoticeCause.Push);
    }

    [Fact]
    public async Task Allowance_nobody_used_is_not_banked_for_a_crowd_that_comes_online_later()
    {
        var (p, devices) = await FleetAsync(60, online: false);
        await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(60) });
        await _h.AdvanceAsync(TimeSpan.FromMinutes(1));

        await _h.ReportAsync(devices.Select(d => (OtaConsole.Core.Devices.DeviceEvent)new OtaConsole.Core.Devices.DeviceConnected(EngineHarness.Key(d))).ToArray());
        await _h.AdvanceAsync(TimeSpan.FromSeconds(3));

        Assert.InRange(_h.Gateway.Notices.Count, 3, 4);
    }

    [Fact]
    public async Task A_batch_that_does_not_push_leaves_its_tasks_to_device_requests()
    {
        var (p, devices) = await FleetAsync(2);
        var created = await _h.BatchAsync(p.Id, r => r with { NeedPush = false });
        await _h.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Empty(_h.Gateway.Notices);
        Assert.All(await _h.TasksAsync(created.BatchId), t => Assert.Equal(QueueReason.AwaitingRequest, t.QueueReason));

        await _h.ReportAsync(new OtaConsole.Core.Devices.FirmwareRequested(EngineHarness.Key(devices[0]), null, "42"));

        var reply = Assert.Single(_h.Gateway.Replies);
        Assert.Equal("42", reply.RequestId);
        Assert.Equal("2.0.0", reply.Notice!.Version);
        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(created.BatchId, devices[0])).Status);
    }
}
