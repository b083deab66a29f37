using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Rollout;

public sealed class OperatorCommandTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>Five devices of one batch, one in each unfinished-or-not state: CONFIRM is made by a second batch.</summary>
    private async Task<(string BatchId, Dictionary<string, OtaTaskStatus> Before)> MixedBatchAsync(SelectionType selection = SelectionType.Static)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(4, prefix: "on");
        await _h.DevicesAsync(1, online: false, prefix: "off");
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { Selection = selection, SrcVersions = selection == SelectionType.Dynamic ? ["1.0.0"] : [], PushRate = PushRate.Constant(10) });
        await _h.TickAsync();
        await _h.AdvanceAsync(TimeSpan.FromSeconds(18)); // on-000..on-003 pushed (at 0, 6, 12, 18 s)
        await _h.ProgressAsync("on-000", 20);            // In upgrade
        await _h.VersionAsync("on-001", "2.0.0");        // Succeeded
        var before = (await _h.TasksAsync(created.BatchId)).ToDictionary(t => t.DeviceName, t => t.Status);
        Assert.Equal(OtaTaskStatus.InProgress, before["on-000"]);
        Assert.Equal(OtaTaskStatus.Succeeded, before["on-001"]);
        Assert.Equal(OtaTaskStatus.Notified, before["on-002"]);
        Assert.Equal(OtaTaskStatus.Queued, before["off-000"]);
        return (created.BatchId, before);
    }

    [Fact]
    public async Task Cancelling_a_static_batch_cancels_pending_and_pushed_tasks_and_lets_In_upgrade_ones_finish()
    {
        var (batchId, _) = await MixedBatchAsync();

        var cancelled = await _h.Engine.CancelBatchAsync(Actor.System, batchId);

        var after = (await _h.TasksAsync(batchId)).ToDictionary(t => t.DeviceName, t => t.Status);
        Assert.Equal(3, cancelled); // on-002, on-003 (pushed), off-000 (queued)
        Assert.Equal(OtaTaskStatus.InProgress, after["on-000"]);
        Assert.Equal(OtaTaskStatus.Succeeded, after["on-001"]);
        Assert.Equal(OtaTaskStatus.Canceled, after["on-002"]);
        Assert.Equal(OtaTaskStatus.Canceled, after["off-000"]);
        Assert.Equal(BatchStatus.Canceled, (await _h.GetBatchAsync(batchId)).Status);
        await Assert.ThrowsAsync<OtaException>(() => _h.Engine.CancelBatchAsync(Actor.System, batchId));
    }

    [Fact]
    public async Task Cancelling_a_dynamic_batch_stops_only_the_policy_unless_asked_to_cancel_its_tasks()
    {
        var (batchId, before) = await MixedBatchAsync(SelectionType.Dynamic);

        Assert.Equal(0, await _h.Engine.CancelBatchAsync(Actor.System, batchId));

        Assert.Equal(BatchStatus.Canceled, (await _h.GetBatchAsync(batchId)).Status);
        Assert.Equal(before, (await _h.TasksAsync(batchId)).ToDictionary(t => t.DeviceName, t => t.Status));
    }

    [Fact]
    public async Task Cancelling_a_dynamic_batch_with_its_tasks_cancels_In_upgrade_ones_too()
    {
        var (batchId, _) = await MixedBatchAsync(SelectionType.Dynamic);

        Assert.Equal(4, await _h.Engine.CancelBatchAsync(Actor.System, batchId, alsoRunningTasks: true));

        var after = (await _h.TasksAsync(batchId)).ToDictionary(t => t.DeviceName, t => t.Status);
        Assert.Equal(OtaTaskStatus.Canceled, after["on-000"]);
        Assert.Equal(OtaTaskStatus.Succeeded, after["on-001"]);
    }

    [Theory]
    [InlineData(false, true, false, false, null, new[] { "off-000" })]
    [InlineData(false, false, true, false, null, new[] { "on-002", "on-003" })]
    [InlineData(false, false, false, true, null, new[] { "on-000" })]
    [InlineData(false, true, true, true, null, new[] { "on-000", "on-002", "on-003", "off-000" })]
    [InlineData(true, false, false, false, null, new string[0])]
    public async Task CancelOTATaskByJob_cancels_exactly_the_statuses_its_flags_name(bool scheduled, bool queued, bool notified, bool inProgress, bool? unconfirmed, string[] expected)
    {
        var (batchId, _) = await MixedBatchAsync();

        var count = await _h.Engine.CancelTasksByJobAsync(Actor.System, batchId, new CancelTasksByJob
        {
            CancelScheduled = scheduled,
            CancelQueued = queued,
            CancelNotified = notified,
            CancelInProgress = inProgress,
            CancelUnconfirmed = unconfirmed,
        });

        Assert.Equal(expected.Length, count);
        var cancelled = (await _h.TasksAsync(batchId)).Where(t => t.Status == OtaTaskStatus.Canceled).Select(t => t.DeviceName).Order();
        Assert.Equal(expected.Order(), cancelled);
    }

    [Fact]
    public async Task CancelOTATaskByJob_with_queued_and_no_unconfirmed_flag_also_cancels_CONFIRM_tasks()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { NeedConfirm = true });

        Assert.Equal(0, await _h.Engine.CancelTasksByJobAsync(Actor.System, created.BatchId, new CancelTasksByJob { CancelQueued = true, CancelUnconfirmed = false }));
        Assert.Equal(2, await _h.Engine.CancelTasksByJobAsync(Actor.System, created.BatchId, new CancelTasksByJob { CancelQueued = true }));
    }

    [Fact]
    public async Task CancelOTATaskByJob_needs_at_least_one_flag()
    {
        var (batchId, _) = await MixedBatchAsync();
        var e = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.CancelTasksByJobAsync(Actor.System, batchId, new CancelTasksByJob()));
        Assert.Equal("MissingCancelQueuedTask", e.Code);
    }

    [Fact]
    public async Task CancelScheduledTask_cancels_a_planned_batch()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { ScheduleTime = _h.Now.AddHours(2) });

        Assert.Equal(2, await _h.Engine.CancelTasksByJobAsync(Actor.System, created.BatchId, new CancelTasksByJob { CancelScheduled = true }));
        Assert.Equal(BatchStatus.Canceled, (await _h.GetBatchAsync(created.BatchId)).Status);
    }

    [Fact]
    public async Task One_device_task_can_be_cancelled_but_not_a_finished_one()
    {
        var (batchId, _) = await MixedBatchAsync();
        var tasks = (await _h.TasksAsync(batchId)).ToDictionary(t => t.DeviceName);

        await _h.Engine.CancelTaskAsync(Actor.System, tasks["on-000"].Id);
        Assert.Equal(OtaTaskStatus.Canceled, (await _h.TaskAsync(batchId, "on-000")).Status);

        var e = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.CancelTaskAsync(Actor.System, tasks["on-001"].Id));
        Assert.Equal(OtaErrorKind.Conflict, e.Kind);
        await Assert.ThrowsAsync<OtaException>(() => _h.Engine.CancelTaskAsync(Actor.System, 999_999));
    }

    [Fact]
    public async Task CancelOTATaskByDevice_cancels_the_named_devices_tasks_of_the_package()
    {
        var (batchId, _) = await MixedBatchAsync();
        var batch = await _h.GetBatchAsync(batchId);

        var n = await _h.Engine.CancelTasksByDeviceAsync(Actor.System, EngineHarness.ProductKey, batch.PackageId, ["on-000", "on-001", "off-000"]);

        Assert.Equal(2, n);
        await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.CancelTasksByDeviceAsync(Actor.System, EngineHarness.ProductKey, batch.PackageId, ["a1234", "a1234"]));
        await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.CancelTasksByDeviceAsync(Actor.System, EngineHarness.ProductKey, batch.PackageId, []));
    }

    [Fact]
    public async Task Confirming_moves_CONFIRM_tasks_into_the_queue_and_nothing_else()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { NeedConfirm = true });
        await _h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Empty(_h.Gateway.Notices);
        var tasks = await _h.TasksAsync(created.BatchId);

        await _h.Engine.ConfirmTasksAsync(Actor.System, [tasks[0].Id, tasks[1].Id]);
        // The batch had nothing to push for a minute, so its pacing restarts: one at once, then the full rate.
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));

        Assert.Equal(2, _h.Gateway.Notices.Count);
        Assert.Equal(OtaTaskStatus.Confirm, (await _h.TaskAsync(created.BatchId, tasks[2].DeviceName)).Status);
        await Assert.ThrowsAsync<OtaException>(() => _h.Engine.ConfirmTasksAsync(Actor.System, [tasks[0].Id]));
        await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.ConfirmTasksAsync(Actor.System, Enumerable.Range(1, 11).Select(i => (long)i).ToList()));
    }

    [Fact]
    public async Task A_scheduled_batch_is_confirmed_only_inside_its_window()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { NeedConfirm = true, ScheduleTime = _h.Now.AddMinutes(10), ScheduleFinishTime = _h.Now.AddMinutes(80) });
        var task = (await _h.TasksAsync(created.BatchId))[0];

        var early = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.ConfirmTasksAsync(Actor.System, [task.Id]));
        Assert.Equal("OutsideScheduleWindow", early.Code);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(11));
        await _h.Engine.ConfirmTasksAsync(Actor.System, [task.Id]);
        Assert.Equal(OtaTaskStatus.Queued, (await _h.TaskAsync(created.BatchId, task.DeviceName)).Status);
    }

    [Fact]
    public async Task Reupgrade_restarts_failed_and_cancelled_tasks_and_reopens_a_completed_batch()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(2);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync(devices[0], -2);
        await _h.Engine.CancelTaskAsync(Actor.System, (await _h.TaskAsync(created.BatchId, devices[1])).Id);
        Assert.Equal(BatchStatus.Completed, (await _h.GetBatchAsync(created.BatchId)).Status);

        var ids = (await _h.TasksAsync(created.BatchId)).Select(t => t.Id).ToList();
        await _h.Engine.ReupgradeTasksAsync(Actor.System, created.BatchId, ids);

        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(created.BatchId)).Status);
        Assert.All(await _h.TasksAsync(created.BatchId), t => Assert.Equal((OtaTaskStatus.Queued, (string?)null), (t.Status, t.FailureCode)));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        foreach (var d in devices)
            await _h.VersionAsync(d, "2.0.0");
        Assert.Equal(BatchStatus.Completed, (await _h.GetBatchAsync(created.BatchId)).Status);
        Assert.Equal(2, (await _h.GetBatchAsync(created.BatchId)).Counts.Succeeded);
    }

    [Fact]
    public async Task Reupgrade_is_refused_for_unfinished_tasks_cancelled_batches_and_busy_devices()
    {
        var (batchId, _) = await MixedBatchAsync();
        var tasks = (await _h.TasksAsync(batchId)).ToDictionary(t => t.DeviceName);

        var running = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.ReupgradeTasksAsync(Actor.System, batchId, [tasks["on-000"].Id]));
        Assert.Equal("TaskNotReupgradable", running.Code);

        await _h.Engine.CancelTaskAsync(Actor.System, tasks["on-002"].Id);
        var other = await _h.PackageAsync("3.0.0");
        await _h.BatchAsync(other.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["on-002"] });
        var busy = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.ReupgradeTasksAsync(Actor.System, batchId, [tasks["on-002"].Id]));
        Assert.Equal("DeviceBusy", busy.Code);

        await _h.Engine.CancelBatchAsync(Actor.System, batchId);
        var cancelled = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.ReupgradeTasksAsync(Actor.System, batchId, [tasks["off-000"].Id]));
        Assert.Equal("JobCanceled", cancelled.Code);
    }

    [Fact]
    public async Task Tags_of_a_running_batch_can_be_replaced_and_later_notices_carry_them()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10), Tags = [new BatchTag { Key = "k", Value = "v1" }] });
        await _h.TickAsync();

        await _h.Engine.UpdateTagsAsync(Actor.System, created.BatchId, [new BatchTag { Key = "k", Value = "v2" }, new BatchTag { Key = "env.prod", Value = "yes" }]);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(6));

        var notices = _h.Gateway.Notices.ToList();
        Assert.Equal("v1", notices[0].Tags.Single().Value);
        Assert.Equal(["k=v2", "env.prod=yes"], notices[1].Tags.Select(t => $"{t.Key}={t.Value}"));
        await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.UpdateTagsAsync(Actor.System, created.BatchId, [new BatchTag { Key = "bad key", Value = "x" }]));
    }

    [Fact]
    public async Task A_second_operator_saving_a_stale_edit_is_told_the_batch_changed()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id);
        var seen = (await _h.GetBatchAsync(created.BatchId)).EditVersion;

        await _h.Engine.UpdatePushRateAsync(Actor.System, created.BatchId, PushRate.Constant(500), seen);
        var e = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.UpdateTagsAsync(Actor.System, created.BatchId, [new BatchTag { Key = "a", Value = "b" }], seen));

        Assert.Equal("JobChanged", e.Code);
        Assert.Equal(500, (await _h.GetBatchAsync(created.BatchId)).PushRate.PerMinute);
        Assert.Empty((await _h.GetBatchAsync(created.BatchId)).Tags);
    }

    [Fact]
    public async Task An_out_of_range_push_rate_is_refused_and_changes_nothing()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(100) });

        var e = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.UpdatePushRateAsync(Actor.System, created.BatchId, PushRate.Constant(100_001)));

        Assert.Equal("InvalidMaximumPerMinute", e.Code);
        Assert.Contains("10-100000", e.Message);
        Assert.Equal(100, (await _h.GetBatchAsync(created.BatchId)).PushRate.PerMinute);
    }

    [Fact]
    public async Task A_dynamic_batch_timeout_change_applies_only_to_tasks_made_afterwards()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1, "1.0.0", prefix: "early");
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"], TimeoutMinutes = 30 });

        await _h.Engine.UpdateDynamicPolicyAsync(Actor.System, created.BatchId, 90, ["1.0.0", "1.1.0"]);
        await _h.DevicesAsync(1, "1.1.0", prefix: "late");

        var tasks = (await _h.TasksAsync(created.BatchId)).ToDictionary(t => t.DeviceName);
        Assert.Equal(30, tasks["early-000"].TimeoutMinutes);
        Assert.Equal(90, tasks["late-000"].TimeoutMinutes);
    }
}
