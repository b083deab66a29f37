using Microsoft.EntityFrameworkCore;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>The safety policy on fake time: the automatic pause on failures, and pause and resume by hand.</summary>
public sealed class SafetyPolicyTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private static readonly Actor Operator = new(ActorKind.Operator, "op@console.test", "op@console.test", OperatorRole.Operator);

    public void Dispose() => _h.Dispose();

    private async Task<string> BatchAsync(int devices, params FailureRule[] rules)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(devices);
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(60), FailureRules = rules })).BatchId;
        return id;
    }

    [Fact]
    public async Task A_rule_trips_at_exactly_its_threshold_not_one_update_before_and_only_after_its_minimum()
    {
        // 20 % of at least 10 ended updates.
        var id = await BatchAsync(40, new FailureRule { Failures = FailureKind.All, ThresholdPercent = 20, MinEnded = 10 });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(20)); // 20 pushed at one a second
        var pushed = (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified).Select(t => t.DeviceName).ToList();

        // Three failures among the first three ended: 100 %, but fewer than 10 have ended.
        foreach (var d in pushed.Take(3))
            await _h.ProgressAsync(d, -3);
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(id)).Status);
        // Seven successes: 3 of 10 = 30 %, at the minimum now: trips. Before the tenth, 3 of 9 were not counted yet.
        foreach (var d in pushed.Skip(3).Take(6))
            await _h.VersionAsync(d, "2.0.0");
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(id)).Status);
        await _h.VersionAsync(pushed[9], "2.0.0");

        var batch = await _h.GetBatchAsync(id);
        Assert.Equal(BatchStatus.Paused, batch.Status);
        Assert.Contains("3 of 10 ended updates failed (30 %)", batch.PauseReason);
        await using var db = _h.Database.CreateDbContext();
        var decision = await db.AuditEntries.SingleAsync(a => a.Action == "batch.auto-pause");
        Assert.Equal(("Safety policy", id), (decision.ActorName, decision.TargetId));
        Assert.Contains("\"failed\":3", decision.Details);
    }

    [Fact]
    public async Task At_the_threshold_exactly_it_trips_and_just_under_it_does_not()
    {
        var id = await BatchAsync(30, new FailureRule { Failures = FailureKind.UpdateFailed, ThresholdPercent = 25, MinEnded = 1 });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        var pushed = (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified).Select(t => t.DeviceName).ToList();
        foreach (var d in pushed.Take(4))
            await _h.VersionAsync(d, "2.0.0");
        await _h.ProgressAsync(pushed[4], -1); // 1 of 5 = 20 %: under 25 %
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(id)).Status);
        await _h.VersionAsync(pushed[5], "2.0.0");
        await _h.VersionAsync(pushed[6], "2.0.0");
        await _h.ProgressAsync(pushed[7], -4); // 2 of 8 = 25 % exactly

        Assert.Equal(BatchStatus.Paused, (await _h.GetBatchAsync(id)).Status);
    }

    [Fact]
    public async Task A_rule_whose_action_is_cancel_cancels_what_was_not_pushed_and_lets_upgrades_finish()
    {
        var id = await BatchAsync(20, new FailureRule { Failures = FailureKind.All, ThresholdPercent = 50, MinEnded = 2, Action = RuleAction.Cancel });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(4));
        var pushed = (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified).Select(t => t.DeviceName).ToList();
        await _h.ProgressAsync(pushed[0], 30); // in upgrade: finishes
        await _h.ProgressAsync(pushed[1], -2);
        await _h.ProgressAsync(pushed[2], -2);

        var batch = await _h.GetBatchAsync(id);
        Assert.Equal(BatchStatus.Canceled, batch.Status);
        Assert.Contains("2 of 2 ended updates failed", batch.PauseReason);
        var tasks = await _h.TasksAsync(id);
        Assert.Equal(OtaTaskStatus.InProgress, tasks.Single(t => t.DeviceName == pushed[0]).Status);
        Assert.DoesNotContain(tasks, t => t.Status is OtaTaskStatus.Queued or OtaTaskStatus.Notified);
        Assert.Equal(tasks.Count(t => t.Status == OtaTaskStatus.Canceled), batch.Counts.Canceled);
        await using var db = _h.Database.CreateDbContext();
        Assert.Single(db.AuditEntries.Where(a => a.Action == "batch.auto-cancel"));
    }

    [Fact]
    public async Task After_a_resume_the_rules_count_afresh_so_the_failures_the_operator_saw_do_not_pause_it_again()
    {
        var id = await BatchAsync(40, new FailureRule { Failures = FailureKind.All, ThresholdPercent = 50, MinEnded = 2 });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        var pushed = (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified).Select(t => t.DeviceName).ToList();
        await _h.ProgressAsync(pushed[0], -3);
        await _h.ProgressAsync(pushed[1], -3);
        Assert.Equal(BatchStatus.Paused, (await _h.GetBatchAsync(id)).Status);

        await _h.Engine.ResumeBatchAsync(Operator, id);
        await _h.VersionAsync(pushed[2], "2.0.0"); // 2 of 3 ended failed overall, but none since the resume
        await _h.ProgressAsync(pushed[3], -1); // 1 of 2 since the resume: 50 %, at the minimum
        var batch = await _h.GetBatchAsync(id);
        Assert.Equal(BatchStatus.Paused, batch.Status);
        Assert.Contains("1 of 2 ended updates failed (50 %)", batch.PauseReason);
    }

    [Fact]
    public async Task After_a_resume_one_success_does_not_pause_it_again()
    {
        var id = await BatchAsync(40, new FailureRule { Failures = FailureKind.All, ThresholdPercent = 50, MinEnded = 2 });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        var pushed = (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified).Select(t => t.DeviceName).ToList();
        await _h.ProgressAsync(pushed[0], -3);
        await _h.ProgressAsync(pushed[1], -3);
        await _h.Engine.ResumeBatchAsync(Operator, id);

        await _h.VersionAsync(pushed[2], "2.0.0");
        await _h.VersionAsync(pushed[3], "2.0.0");

        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(id)).Status);
    }

    [Fact]
    public async Task A_rule_counts_only_its_kind_of_failure()
    {
        var id = await BatchAsync(10, new FailureRule { Failures = FailureKind.UnexpectedVersion, ThresholdPercent = 10, MinEnded = 1 });
        await _h.AdvanceAsync(TimeSpan.FromSeconds(5));
        var pushed = (await _h.TasksAsync(id)).Where(t => t.Status == OtaTaskStatus.Notified).Select(t => t.DeviceName).ToList();
        await _h.ProgressAsync(pushed[0], -2);
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(id)).Status);

        await _h.ProgressAsync(pushed[1], 50);
        await _h.VersionAsync(pushed[1], "9.9.9"); // not the destination: unexpected version

        Assert.Equal(BatchStatus.Paused, (await _h.GetBatchAsync(id)).Status);
    }

    [Fact]
    public async Task While_paused_nothing_new_is_pushed_and_pushed_tasks_carry_on_then_resume_paces_from_now()
    {
        var id = await BatchAsync(100);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        var before = (await _h.GetBatchAsync(id)).PushedCount;

        await _h.Engine.PauseBatchAsync(Operator, id);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(5));

        var paused = await _h.GetBatchAsync(id);
        Assert.Equal((BatchStatus.Paused, before), (paused.Status, paused.PushedCount));
        Assert.Equal("paused by op@console.test", paused.PauseReason);
        var carriedOn = (await _h.TasksAsync(id)).First(t => t.Status == OtaTaskStatus.Notified);
        await _h.VersionAsync(carriedOn.DeviceName, "2.0.0");
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(id, carriedOn.DeviceName)).Status);
        // A device asking for its update is told there is none for now.
        var waiting = (await _h.TasksAsync(id)).First(t => t.Status == OtaTaskStatus.Queued);
        await _h.ReportAsync(new FirmwareRequested(EngineHarness.Key(waiting.DeviceName), null, "req-1"));
        Assert.Equal(OtaTaskStatus.Queued, (await _h.TaskAsync(id, waiting.DeviceName)).Status);

        // Resumed after five minutes: one a second from now, not the five minutes' 300 at once.
        await _h.Engine.ResumeBatchAsync(Operator, id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        var resumed = await _h.GetBatchAsync(id);
        Assert.Equal(BatchStatus.InProgress, resumed.Status);
        Assert.InRange(resumed.PushedCount - before, 10, 11);

        await Assert.ThrowsAsync<OtaException>(() => _h.Engine.ResumeBatchAsync(Operator, id));
        await Assert.ThrowsAsync<OtaException>(() => _h.Engine.PauseBatchAsync(Operator with { Role = OperatorRole.Viewer }, id));
        await using var db = _h.Database.CreateDbContext();
        Assert.Equal(["batch.pause", "batch.resume"], await db.AuditEntries.Where(a => a.Succeeded && a.TargetId == id && a.Action.StartsWith("batch.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
    }

    [Fact]
    public async Task A_device_busy_with_another_batch_is_not_a_failure_of_this_one()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(5);
        var p = await _h.PackageAsync();
        await _h.BatchAsync(p.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-000", "dev-001"] });
        var other = await _h.PackageAsync("3.0.0");
        var id = (await _h.BatchAsync(other.Id, r => r with { FailureRules = [new FailureRule { Failures = FailureKind.All, ThresholdPercent = 1, MinEnded = 1 }] })).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync("dev-002", "3.0.0");

        var batch = await _h.GetBatchAsync(id);
        Assert.Equal(2, batch.Counts.Failed);
        Assert.Equal(BatchStatus.InProgress, batch.Status);
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(101, 10)]
    [InlineData(5.555, 10)]
    [InlineData(5, 0)]
    public async Task A_rule_out_of_range_is_refused_and_nothing_is_made(double percent, int minEnded)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var p = await _h.PackageAsync();

        var e = await Assert.ThrowsAsync<OtaValidationException>(() => _h.BatchAsync(p.Id, r => r with
        {
            FailureRules = [new FailureRule { Failures = FailureKind.All, ThresholdPercent = (decimal)percent, MinEnded = minEnded }],
        }));

        Assert.StartsWith("SafetyRule.1.", e.Errors[0].Field);
        await using var db = _h.Database.CreateDbContext();
        Assert.Empty(db.Batches);
    }
}
