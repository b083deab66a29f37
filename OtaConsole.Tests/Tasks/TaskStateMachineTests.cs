using System.Text.RegularExpressions;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Tests.Tasks;

/// <summary>One test per rule of the task state machine (reference §2.4, §3.3, §3.6, §3.8), on plain objects.</summary>
public sealed class TaskStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);
    private static readonly QueueContext OnlinePushing = new(BatchPlanned: false, DeviceOnline: true, NeedPush: true);

    private static UpdateTask NewTask(int? timeout = null, int? retryInterval = null, int? retryCount = null, string? src = "1.0.0") => new()
    {
        Id = 1,
        BatchId = "B1",
        PackageId = "P1",
        DeviceId = 1,
        ProductKey = "pk",
        DeviceName = "dev-1",
        ModuleName = OtaModule.Default,
        SrcVersion = src,
        DestVersion = "2.0.0",
        TimeoutMinutes = timeout,
        RetryIntervalMinutes = retryInterval,
        RetryCount = retryCount,
    };

    private static TaskChangeSet At(int minutes = 0) => new(T0.AddMinutes(minutes));

    /// <summary>A task started in a change set, then given its id as the store would.</summary>
    private static UpdateTask Started(QueueContext q, bool needConfirm = false, int? timeout = null, int? retryInterval = null, int? retryCount = null)
    {
        var t = NewTask(timeout, retryInterval, retryCount);
        t.Id = 0;
        TaskStateMachine.Start(t, q, needConfirm, null, At());
        t.Id = 1;
        return t;
    }

    private static UpdateTask Pushed(int? timeout = null, int? retryInterval = null, int? retryCount = null)
    {
        var t = Started(OnlinePushing, timeout: timeout, retryInterval: retryInterval, retryCount: retryCount);
        Assert.True(TaskStateMachine.Push(t, At()).Applied);
        return t;
    }

    private static UpdateTask Updating(int? timeout = null, int? retryInterval = null, int? retryCount = null)
    {
        var t = Pushed(timeout, retryInterval, retryCount);
        Assert.True(TaskStateMachine.ReportProgress(t, 10, null, At(1)).Applied);
        return t;
    }

    [Fact]
    public void NeedConfirm_task_starts_in_CONFIRM_and_moves_on_only_when_confirmed()
    {
        var t = Started(OnlinePushing, needConfirm: true);
        Assert.Equal(OtaTaskStatus.Confirm, t.Status);
        Assert.False(TaskStateMachine.Push(t, At()).Applied);
        Assert.False(TaskStateMachine.ReportProgress(t, 10, null, At()).Applied);
        Assert.Equal(OtaTaskStatus.Confirm, t.Status);

        Assert.True(TaskStateMachine.Confirm(t, OnlinePushing, At()).Applied);
        Assert.Equal(OtaTaskStatus.Queued, t.Status);
        Assert.Equal(QueueReason.WaitingForSlot, t.QueueReason);
        Assert.False(TaskStateMachine.Confirm(t, OnlinePushing, At()).Applied);
    }

    [Fact]
    public void Task_of_a_scheduled_batch_waits_as_To_Be_Pushed_Scheduled()
    {
        var t = Started(new QueueContext(BatchPlanned: true, DeviceOnline: true, NeedPush: true));
        Assert.Equal((OtaTaskStatus.Queued, QueueReason.Scheduled), (t.Status, t.QueueReason));
        Assert.False(TaskStateMachine.Push(t, At()).Applied);
        Assert.False(TaskStateMachine.Request(t, At()).Applied);
    }

    [Fact]
    public void Offline_device_waits_as_To_Be_Pushed_Device_Offline_and_is_released_when_it_comes_online()
    {
        var t = Started(new QueueContext(false, DeviceOnline: false, NeedPush: true));
        Assert.Equal(QueueReason.Offline, t.QueueReason);
        Assert.False(TaskStateMachine.Push(t, At()).Applied);

        var c = At(1);
        Assert.True(TaskStateMachine.Reconnected(t, OnlinePushing, c).Applied);
        Assert.Equal(QueueReason.WaitingForSlot, t.QueueReason);
        Assert.Empty(c.Notices);
        Assert.True(TaskStateMachine.Push(t, At(1)).Applied);
    }

    [Fact]
    public void Rate_held_device_waits_as_plain_To_Be_Pushed()
    {
        var t = Started(OnlinePushing);
        Assert.Equal((OtaTaskStatus.Queued, QueueReason.WaitingForSlot), (t.Status, t.QueueReason));
    }

    [Fact]
    public void Without_push_a_task_waits_for_the_device_to_ask_and_the_request_pushes_it()
    {
        var t = Started(new QueueContext(false, true, NeedPush: false));
        Assert.Equal(QueueReason.AwaitingRequest, t.QueueReason);
        Assert.False(TaskStateMachine.Push(t, At()).Applied);

        var c = At(2);
        Assert.True(TaskStateMachine.Request(t, c).Applied);
        Assert.Equal(OtaTaskStatus.Notified, t.Status);
        Assert.Equal(c.Now, t.PushedAt);
        Assert.Empty(c.Notices); // the reply to the request carries the notice
    }

    [Fact]
    public void Push_moves_QUEUED_to_NOTIFIED_and_sends_the_notice()
    {
        var t = Started(OnlinePushing);
        var c = At(1);
        Assert.True(TaskStateMachine.Push(t, c).Applied);
        Assert.Equal(OtaTaskStatus.Notified, t.Status);
        Assert.Equal(QueueReason.None, t.QueueReason);
        Assert.Equal(c.Now, t.PushedAt);
        Assert.Equal(NoticeCause.Push, Assert.Single(c.Notices).Cause);
        Assert.Equal(1, c.Batches["B1"].Pushed);
    }

    [Fact]
    public void First_progress_moves_NOTIFIED_to_IN_PROGRESS_and_starts_the_timeout_clock()
    {
        var t = Pushed(timeout: 30);
        var c = At(5);
        Assert.True(TaskStateMachine.ReportProgress(t, 0, "Enter in downloading state", c).Applied);
        Assert.Equal(OtaTaskStatus.InProgress, t.Status);
        Assert.Equal(c.Now, t.FirstProgressAt);
        Assert.Equal(c.Now.AddMinutes(30), t.TimeoutAt);
    }

    [Fact]
    public void Repush_after_a_reconnect_does_not_restart_the_timeout_clock()
    {
        var t = Pushed(timeout: 30);
        TaskStateMachine.ReportProgress(t, 40, null, At(5));
        var timeoutAt = t.TimeoutAt;

        var c = At(20);
        Assert.True(TaskStateMachine.Reconnected(t, OnlinePushing, c).Applied);
        Assert.Empty(c.Notices); // first the device has its grace to report its version
        var due = new TaskChangeSet(T0.AddMinutes(20) + NoticeTiming.Default.ReconnectGrace);
        Assert.True(TaskStateMachine.NoticeDue(t, due).Applied);
        Assert.Equal(NoticeCause.Reconnect, Assert.Single(due.Notices).Cause);
        TaskStateMachine.ReportProgress(t, 0, null, At(21));
        Assert.Equal(timeoutAt, t.TimeoutAt);
        Assert.Equal(T0.AddMinutes(5), t.FirstProgressAt);
    }

    [Fact]
    public void Reporting_the_destination_version_is_success()
    {
        var t = Updating();
        var c = At(3);
        Assert.True(TaskStateMachine.ReportVersion(t, "2.0.0", c).Applied);
        Assert.Equal(OtaTaskStatus.Succeeded, t.Status);
        Assert.Equal(100, t.Progress);
        Assert.Equal(c.Now, t.EndedAt);
    }

    [Fact]
    public void Progress_100_without_the_destination_version_is_not_success()
    {
        var t = Updating(timeout: 10);
        TaskStateMachine.ReportProgress(t, 100, null, At(2));
        Assert.Equal(OtaTaskStatus.InProgress, t.Status);
        Assert.Equal(100, t.Progress);
        // ... and without the version report it times out.
        Assert.True(TaskStateMachine.TimeoutDue(t, At(11)).Applied);
        Assert.Equal(OtaTaskStatus.Failed, t.Status);
    }

    [Theory]
    [InlineData(-1, "update failed")]
    [InlineData(-2, "download failed")]
    [InlineData(-3, "verification failed")]
    [InlineData(-4, "flashing failed")]
    public void A_negative_step_fails_the_task_with_its_code_and_reason(int step, string text)
    {
        var t = Updating();
        Assert.True(TaskStateMachine.ReportProgress(t, step, "boom", At(2)).Applied);
        Assert.Equal(OtaTaskStatus.Failed, t.Status);
        Assert.Equal(step.ToString(System.Globalization.CultureInfo.InvariantCulture), t.FailureCode);
        Assert.Equal($"{text}: boom", t.FailureReason);
    }

    [Fact]
    public void A_negative_step_fails_a_pushed_task_that_never_progressed()
    {
        var t = Pushed();
        TaskStateMachine.ReportProgress(t, -2, null, At(2));
        Assert.Equal((OtaTaskStatus.Failed, "-2"), (t.Status, t.FailureCode));
    }

    [Fact]
    public void Step_zero_is_the_start_of_a_download_not_a_failure()
    {
        var t = Pushed();
        TaskStateMachine.ReportProgress(t, 0, "Enter in downloading state", At(1));
        Assert.Equal(OtaTaskStatus.InProgress, t.Status);
        Assert.Null(t.FailureCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_version_neither_source_nor_destination_fails_a_queued_or_pushed_task(bool pushed)
    {
        var t = pushed ? Pushed() : Started(OnlinePushing);
        TaskStateMachine.ReportVersion(t, "9.9.9", At(1));
        Assert.Equal((OtaTaskStatus.Failed, FailureCodes.UnexpectedVersion), (t.Status, t.FailureCode));
    }

    [Fact]
    public void The_source_version_again_changes_nothing_before_the_update_starts()
    {
        var t = Pushed();
        Assert.False(TaskStateMachine.ReportVersion(t, "1.0.0", At(1)).Applied);
        Assert.Equal(OtaTaskStatus.Notified, t.Status);
    }

    [Fact]
    public void The_source_version_keeps_an_updating_task_In_upgrade()
    {
        // The seed: an In upgrade device fails only on a version that is neither source nor destination. A device
        // that reconnects mid-update reports the version it still runs.
        var t = Updating();
        Assert.False(TaskStateMachine.ReportVersion(t, "1.0.0", At(2)).Applied);
        Assert.Equal(OtaTaskStatus.InProgress, t.Status);
        Assert.True(TaskStateMachine.ReportVersion(t, "2.0.0", At(3)).Applied);
        Assert.Equal(OtaTaskStatus.Succeeded, t.Status);
    }

    [Fact]
    public void A_version_neither_source_nor_destination_fails_an_updating_task()
    {
        var t = Updating();
        TaskStateMachine.ReportVersion(t, "9.9.9", At(2));
        Assert.Equal((OtaTaskStatus.Failed, FailureCodes.UnexpectedVersion), (t.Status, t.FailureCode));
    }

    [Fact]
    public void An_unknown_source_version_is_taken_from_the_first_report()
    {
        var t = NewTask(src: null);
        t.Id = 0;
        TaskStateMachine.Start(t, OnlinePushing, false, null, At());
        t.Id = 1;
        Assert.True(TaskStateMachine.ReportVersion(t, "1.5.0", At(1)).Applied);
        Assert.Equal((OtaTaskStatus.Queued, "1.5.0"), (t.Status, t.SrcVersion));
        TaskStateMachine.ReportVersion(t, "1.6.0", At(2));
        Assert.Equal(OtaTaskStatus.Failed, t.Status);
    }

    [Fact]
    public void The_timeout_fails_the_task_and_is_never_retried()
    {
        var t = Updating(timeout: 60, retryInterval: 10, retryCount: 2);
        Assert.False(TaskStateMachine.TimeoutDue(t, At(60)).Applied); // clock started at minute 1
        Assert.True(TaskStateMachine.TimeoutDue(t, At(61)).Applied);
        Assert.Equal((OtaTaskStatus.Failed, FailureCodes.Timeout), (t.Status, t.FailureCode));
        Assert.Equal(0, t.RetryAttempts);
        Assert.Null(t.RetryDueAt);
    }

    [Fact]
    public void A_pushed_task_has_no_timeout_until_its_first_progress()
    {
        var t = Pushed(timeout: 1);
        Assert.Null(t.TimeoutAt);
        Assert.False(TaskStateMachine.TimeoutDue(t, At(100)).Applied);
    }

    [Fact]
    public void A_failure_is_retried_after_the_interval_and_the_status_shown_stays_as_it_was()
    {
        var t = Updating(retryInterval: 10, retryCount: 2);
        var c = At(5);
        Assert.True(TaskStateMachine.ReportProgress(t, -2, null, c).Applied);
        Assert.Equal(OtaTaskStatus.InProgress, t.Status);
        Assert.Equal(1, t.RetryAttempts);
        Assert.Equal(T0.AddMinutes(15), t.RetryDueAt);
        Assert.Equal("-2", t.FailureCode);
        Assert.Contains(c.Events, e => e.Kind == TaskEventKind.RetryScheduled);

        Assert.False(TaskStateMachine.RetryDue(t, At(14)).Applied);
        var due = At(15);
        Assert.True(TaskStateMachine.RetryDue(t, due).Applied);
        Assert.Equal(NoticeCause.Retry, Assert.Single(due.Notices).Cause);
        Assert.Null(t.RetryDueAt);
        Assert.Equal(OtaTaskStatus.InProgress, t.Status);

        TaskStateMachine.ReportVersion(t, "2.0.0", At(20));
        Assert.Equal(OtaTaskStatus.Succeeded, t.Status);
        Assert.Null(t.FailureCode);
    }

    [Fact]
    public void An_unexpected_version_is_retried_like_a_negative_step()
    {
        var t = Pushed(retryInterval: 0, retryCount: 1);
        TaskStateMachine.ReportVersion(t, "7.7.7", At(1));
        Assert.Equal((OtaTaskStatus.Notified, 1), (t.Status, t.RetryAttempts));
        Assert.Equal(T0.AddMinutes(1), t.RetryDueAt);
    }

    [Fact]
    public void When_the_retries_are_used_up_the_task_fails()
    {
        var t = Updating(retryInterval: 0, retryCount: 1);
        TaskStateMachine.ReportProgress(t, -3, null, At(2));
        TaskStateMachine.RetryDue(t, At(2));
        TaskStateMachine.ReportProgress(t, -3, null, At(3));
        Assert.Equal((OtaTaskStatus.Failed, 1), (t.Status, t.RetryAttempts));
    }

    [Fact]
    public void A_repeated_failure_report_while_a_retry_is_pending_uses_no_second_attempt()
    {
        var t = Updating(retryInterval: 10, retryCount: 5);
        TaskStateMachine.ReportProgress(t, -2, null, At(2));
        Assert.False(TaskStateMachine.ReportProgress(t, -2, null, At(2)).Applied);
        Assert.Equal(1, t.RetryAttempts);
    }

    [Fact]
    public void A_reconnect_while_a_retry_is_pending_leaves_the_notice_to_the_retry()
    {
        var t = Updating(retryInterval: 10, retryCount: 2);
        TaskStateMachine.ReportProgress(t, -2, null, At(2));
        var c = At(3);
        Assert.False(TaskStateMachine.Reconnected(t, OnlinePushing, c).Applied);
        Assert.Empty(c.Notices);
    }

    [Fact]
    public void Every_unfinished_status_can_be_cancelled_and_a_cancel_is_never_retried()
    {
        foreach (var make in new Func<UpdateTask>[] { () => Started(OnlinePushing, needConfirm: true), () => Started(OnlinePushing), () => Pushed(), () => Updating(retryInterval: 0, retryCount: 5) })
        {
            var t = make();
            Assert.True(TaskStateMachine.CanCancel(t.Status));
            Assert.True(TaskStateMachine.Cancel(t, "by test", At(9)).Applied);
            Assert.Equal(OtaTaskStatus.Canceled, t.Status);
            Assert.Null(t.RetryDueAt);
            Assert.False(TaskStateMachine.ReportProgress(t, -1, null, At(10)).Applied);
            Assert.Equal(0, t.RetryAttempts);
        }
    }

    [Fact]
    public void Finished_tasks_cannot_be_cancelled()
    {
        var t = Updating();
        TaskStateMachine.ReportVersion(t, "2.0.0", At(2));
        Assert.False(TaskStateMachine.CanCancel(t.Status));
        Assert.False(TaskStateMachine.Cancel(t, "late", At(3)).Applied);
        Assert.Equal(OtaTaskStatus.Succeeded, t.Status);
    }

    [Fact]
    public void Failed_or_cancelled_tasks_can_be_updated_again_and_start_over()
    {
        var failed = Updating(timeout: 10);
        TaskStateMachine.ReportProgress(failed, -1, null, At(2));
        var c = At(3);
        Assert.True(TaskStateMachine.Reupgrade(failed, needConfirm: false, OnlinePushing, c).Applied);
        Assert.Equal((OtaTaskStatus.Queued, QueueReason.WaitingForSlot, 0), (failed.Status, failed.QueueReason, failed.Progress));
        Assert.Null(failed.FailureCode);
        Assert.Null(failed.FirstProgressAt);
        Assert.Null(failed.TimeoutAt);

        var cancelled = Pushed();
        TaskStateMachine.Cancel(cancelled, "x", At(1));
        Assert.True(TaskStateMachine.Reupgrade(cancelled, needConfirm: true, OnlinePushing, At(2)).Applied);
        Assert.Equal(OtaTaskStatus.Confirm, cancelled.Status);
    }

    [Fact]
    public void Succeeded_tasks_cannot_be_updated_again()
    {
        var t = Updating();
        TaskStateMachine.ReportVersion(t, "2.0.0", At(2));
        Assert.False(TaskStateMachine.Reupgrade(t, false, OnlinePushing, At(3)).Applied);
    }

    [Fact]
    public void The_same_report_twice_changes_nothing()
    {
        var t = Updating();
        TaskStateMachine.ReportProgress(t, 40, null, At(2));
        var before = Snapshot(t);
        var c = At(3);
        Assert.False(TaskStateMachine.ReportProgress(t, 40, null, c).Applied);
        Assert.Equal(before, Snapshot(t));
        Assert.True(c.IsEmpty);
    }

    [Fact]
    public void A_finished_task_ignores_late_reports()
    {
        var t = Updating();
        TaskStateMachine.ReportVersion(t, "2.0.0", At(2));
        var before = Snapshot(t);
        var c = At(3);
        Assert.False(TaskStateMachine.ReportProgress(t, -1, null, c).Applied);
        Assert.False(TaskStateMachine.ReportProgress(t, 50, null, c).Applied);
        Assert.False(TaskStateMachine.ReportVersion(t, "1.0.0", c).Applied);
        Assert.False(TaskStateMachine.ReportVersion(t, "2.0.0", c).Applied);
        Assert.False(TaskStateMachine.TimeoutDue(t, At(10_000)).Applied);
        Assert.Equal(before, Snapshot(t));
        Assert.True(c.IsEmpty);
    }

    [Fact]
    public void Every_transition_is_recorded_with_its_time_and_cause()
    {
        var t = Pushed(timeout: 10);
        var c = At(4);
        TaskStateMachine.ReportProgress(t, 0, null, c);
        var e = Assert.Single(c.Events);
        Assert.Equal((TaskEventKind.Transition, OtaTaskStatus.Notified, OtaTaskStatus.InProgress, c.Now), (e.Kind, e.FromStatus!.Value, e.ToStatus!.Value, e.At));
        Assert.Equal("progress 0", e.Detail);
        Assert.Equal(1, e.TaskId);
    }

    [Fact]
    public void Status_counts_move_with_every_transition()
    {
        var c = At();
        var t = NewTask();
        t.Id = 0;
        TaskStateMachine.Start(t, OnlinePushing, false, null, c);
        t.Id = 1;
        TaskStateMachine.Push(t, c);
        TaskStateMachine.ReportProgress(t, 5, null, c);
        TaskStateMachine.ReportProgress(t, -1, null, c);
        var d = c.Batches["B1"];
        Assert.Equal([0, 0, 0, 0, 0, 1, 0], Enum.GetValues<OtaTaskStatus>().Select(d.Count));
    }

    [Fact]
    public void A_device_busy_with_another_batch_starts_FAILED_with_the_reason()
    {
        var t = NewTask();
        t.Id = 0;
        TaskStateMachine.Start(t, OnlinePushing, false, "the device has an unfinished task", At());
        Assert.Equal((OtaTaskStatus.Failed, FailureCodes.DeviceBusy), (t.Status, t.FailureCode));
        Assert.NotNull(t.EndedAt);
    }

    [Fact]
    public void The_transition_table_allows_exactly_the_documented_moves()
    {
        var allowed = new HashSet<(OtaTaskStatus, OtaTaskStatus)>
        {
            (OtaTaskStatus.Confirm, OtaTaskStatus.Queued), (OtaTaskStatus.Confirm, OtaTaskStatus.Succeeded), (OtaTaskStatus.Confirm, OtaTaskStatus.Failed), (OtaTaskStatus.Confirm, OtaTaskStatus.Canceled),
            (OtaTaskStatus.Queued, OtaTaskStatus.Notified), (OtaTaskStatus.Queued, OtaTaskStatus.Succeeded), (OtaTaskStatus.Queued, OtaTaskStatus.Failed), (OtaTaskStatus.Queued, OtaTaskStatus.Canceled),
            (OtaTaskStatus.Notified, OtaTaskStatus.InProgress), (OtaTaskStatus.Notified, OtaTaskStatus.Succeeded), (OtaTaskStatus.Notified, OtaTaskStatus.Failed), (OtaTaskStatus.Notified, OtaTaskStatus.Canceled),
            (OtaTaskStatus.InProgress, OtaTaskStatus.Succeeded), (OtaTaskStatus.InProgress, OtaTaskStatus.Failed), (OtaTaskStatus.InProgress, OtaTaskStatus.Canceled),
            (OtaTaskStatus.Failed, OtaTaskStatus.Queued), (OtaTaskStatus.Failed, OtaTaskStatus.Confirm),
            (OtaTaskStatus.Canceled, OtaTaskStatus.Queued), (OtaTaskStatus.Canceled, OtaTaskStatus.Confirm),
        };
        foreach (var from in Enum.GetValues<OtaTaskStatus>())
            foreach (var to in Enum.GetValues<OtaTaskStatus>())
                Assert.Equal(allowed.Contains((from, to)), TaskStateMachine.IsAllowed(from, to));
    }

    [Fact]
    public void Only_the_state_machine_assigns_a_task_status()
    {
        var core = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../OtaConsole.Core"));
        Assert.True(Directory.Exists(core), core);
        // A task's state fields assigned on any receiver but a batch or a package (whose Status is their own).
        var assignment = new Regex(@"\b(?!batch\.|package\.)\w+\.(Status|QueueReason|Progress|FailureCode|FailureReason|RetryAttempts|RetryDueAt|TimeoutAt|FirstProgressAt|PushedAt)\s*=[^=>]");
        var offenders = Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("TaskStateMachine.cs", StringComparison.Ordinal) && !f.Contains("Migrations", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => assignment.IsMatch(x.line))
            .Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.Empty(offenders);
    }

    private static string Snapshot(UpdateTask t) =>
        $"{t.Status}|{t.QueueReason}|{t.Progress}|{t.FailureCode}|{t.FailureReason}|{t.RetryAttempts}|{t.RetryDueAt}|{t.TimeoutAt}|{t.PushedAt}|{t.FirstProgressAt}|{t.EndedAt}|{t.ModifiedAt}|{t.SrcVersion}";
}
