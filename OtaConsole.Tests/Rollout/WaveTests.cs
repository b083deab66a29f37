using Microsoft.EntityFrameworkCore;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Core.Validation;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>The safety policy's waves on fake time: the split, the success condition and soak, approval, rules per wave.</summary>
public sealed class WaveTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private static readonly Actor Operator = new(ActorKind.Operator, "op@console.test", "op@console.test", OperatorRole.Operator);

    public void Dispose() => _h.Dispose();

    private static RolloutWave Percent(decimal p, decimal success = 100, int soak = 0, bool approval = false) =>
        new() { Size = WaveSize.Percent, Percent = p, SuccessPercent = success, SoakMinutes = soak, NeedsApproval = approval };

    private static RolloutWave Rest(bool approval = false) => new() { Size = WaveSize.Rest, NeedsApproval = approval };

    private async Task<string> BatchAsync(int devices, RolloutWave[] waves, int perMinute = 60, params FailureRule[] rules)
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(devices);
        var p = await _h.PackageAsync();
        return (await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(perMinute), Waves = waves, FailureRules = rules })).BatchId;
    }

    private async Task<List<UpdateTask>> PushedAsync(string batchId) =>
        (await _h.TasksAsync(batchId)).Where(t => t.Status != OtaTaskStatus.Queued).OrderBy(t => t.Id).ToList();

    [Fact]
    public async Task The_batch_splits_into_its_waves_in_device_order_percentages_rounded_up_and_the_last_wave_the_rest()
    {
        var id = await BatchAsync(250, [Percent(1), new RolloutWave { Size = WaveSize.Count, Count = 20 }, Percent(10), Rest()]);

        var tasks = (await _h.TasksAsync(id)).OrderBy(t => t.Id).ToList();
        Assert.Equal([3, 20, 25, 202], tasks.GroupBy(t => t.Wave).OrderBy(g => g.Key).Select(g => g.Count()));
        Assert.Equal(Enumerable.Range(0, 250).Select(i => i < 3 ? 1 : i < 23 ? 2 : i < 48 ? 3 : 4), tasks.Select(t => t.Wave));
        var batch = await _h.GetBatchAsync(id);
        Assert.Equal([3, 20, 25, 202], batch.Waves.Select(w => w.Counts.Total));
        Assert.Equal((1, "batch start"), (batch.CurrentWave, batch.Waves[0].StartedBy));
        Assert.Null(batch.Waves[1].StartedAt);
    }

    [Fact]
    public async Task A_group_wave_takes_the_batch_devices_of_its_group_and_sub_groups_wherever_they_are_in_order()
    {
        await _h.ProductAsync();
        await _h.Catalog.CreateGroupAsync(Actor.System, "canary", groupId: "canary");
        await _h.Catalog.CreateGroupAsync(Actor.System, "canary-lab", parentGroupId: "canary", groupId: "canarylab");
        await _h.DevicesAsync(10);
        await _h.DevicesAsync(2, prefix: "lab", groupId: "canarylab");
        await _h.DevicesAsync(3, prefix: "can", groupId: "canary");
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id, r => r with { Waves = [new() { Size = WaveSize.Group, GroupId = "canary" }, Rest()] })).BatchId;

        var tasks = await _h.TasksAsync(id);
        Assert.Equal(["can-000", "can-001", "can-002", "lab-000", "lab-001"], tasks.Where(t => t.Wave == 1).Select(t => t.DeviceName).Order());
        Assert.Equal(10, tasks.Count(t => t.Wave == 2));
    }

    [Fact]
    public async Task The_next_wave_starts_only_when_the_success_threshold_is_met_and_the_soak_after_the_last_push_is_over()
    {
        // 10 devices in wave 1, 80 % must succeed, then 10 minutes of soak.
        var id = await BatchAsync(100, [Percent(10, success: 80, soak: 10), Rest()]);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(1));
        var pushed = await PushedAsync(id);
        Assert.Equal(10, pushed.Count); // at 60 a minute the rate would allow 60: the wave holds the rest back
        Assert.All(pushed, t => Assert.Equal(1, t.Wave));
        var lastPush = (await _h.GetBatchAsync(id)).Waves[0].LastPushAt!.Value;

        foreach (var t in pushed.Take(7))
            await _h.VersionAsync(t.DeviceName, "2.0.0");
        await _h.AdvanceAsync(TimeSpan.FromMinutes(30)); // 70 %: not enough however long it soaks
        Assert.Equal(10, (await PushedAsync(id)).Count);

        await _h.VersionAsync(pushed[7].DeviceName, "2.0.0"); // 80 %, soak long over
        await _h.TickAsync();
        var batch = await _h.GetBatchAsync(id);
        Assert.Equal(2, batch.CurrentWave);
        Assert.Equal(_h.Now, batch.Waves[0].PassedAt);
        Assert.True(batch.Waves[0].PassedAt >= lastPush.AddMinutes(10));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.InRange((await PushedAsync(id)).Count, 11, 16); // paced from the wave's start: no burst
    }

    [Fact]
    public async Task The_soak_is_counted_from_the_wave_s_last_push()
    {
        var id = await BatchAsync(20, [Percent(50, success: 50, soak: 5), Rest()]);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        var pushed = await PushedAsync(id);
        foreach (var t in pushed.Take(5))
            await _h.VersionAsync(t.DeviceName, "2.0.0");
        var soakEnds = (await _h.GetBatchAsync(id)).Waves[0].SoakEndsAt!.Value;

        await _h.AdvanceAsync(soakEnds - _h.Now - TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await _h.GetBatchAsync(id)).CurrentWave);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(2, (await _h.GetBatchAsync(id)).CurrentWave);
    }

    [Fact]
    public async Task An_approval_wave_waits_for_the_operator_and_the_audit_log_records_who_started_it()
    {
        var id = await BatchAsync(30, [Percent(10, success: 100), Rest(approval: true)]);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(5));
        var ex = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.StartNextWaveAsync(Operator, id));
        Assert.Equal("JobWaveNotReady", ex.Code);
        Assert.Contains("has not met its success condition", ex.Message);

        foreach (var t in await PushedAsync(id))
            await _h.VersionAsync(t.DeviceName, "2.0.0");
        await _h.AdvanceAsync(TimeSpan.FromHours(1));
        var waiting = await _h.GetBatchAsync(id);
        Assert.True(waiting.CanStartNextWave);
        Assert.Equal((1, 3), (waiting.CurrentWave, (await PushedAsync(id)).Count));

        Assert.Equal(2, await _h.Engine.StartNextWaveAsync(Operator, id));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(30));
        var batch = await _h.GetBatchAsync(id);
        Assert.Equal(("op@console.test", 30), (batch.Waves[1].StartedBy, (await PushedAsync(id)).Count));
        Assert.False(batch.CanStartNextWave);
        await using var db = _h.Database.CreateDbContext();
        var actions = await db.AuditEntries.Where(a => a.TargetId == id).OrderBy(a => a.Id).Select(a => new { a.Action, a.ActorName }).ToListAsync();
        Assert.Contains(actions, a => a.Action == "batch.wave-passed" && a.ActorName == "Safety policy");
        Assert.Contains(actions, a => a.Action == "batch.wave-approve" && a.ActorName == "op@console.test");
        Assert.Contains(actions, a => a.Action == "batch.wave-start");
        var again = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.StartNextWaveAsync(Operator, id));
        Assert.Contains("last wave", again.Message);
    }

    [Fact]
    public async Task A_paused_batch_starts_no_wave_and_a_device_asking_before_its_wave_gets_nothing()
    {
        var id = await BatchAsync(20, [Percent(10, success: 0), Rest()]);
        await _h.Engine.PauseBatchAsync(Operator, id);
        await _h.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(1, (await _h.GetBatchAsync(id)).CurrentWave);
        await _h.Engine.ResumeBatchAsync(Operator, id);

        var later = (await _h.TasksAsync(id)).First(t => t.Wave == 2);
        await _h.ReportAsync(new FirmwareRequested(EngineHarness.Key(later.DeviceName), null, "1"));
        Assert.Null(Assert.Single(_h.Gateway.Replies).Notice);
        Assert.Equal(OtaTaskStatus.Queued, (await _h.TaskAsync(id, later.DeviceName)).Status);
    }

    [Fact]
    public async Task A_wave_rule_trips_on_one_wave_s_numbers_where_the_batch_s_would_not()
    {
        var rule = new FailureRule { Failures = FailureKind.All, ThresholdPercent = 50, MinEnded = 4, Scope = RuleScope.Wave };
        var batchRule = new FailureRule { Failures = FailureKind.All, ThresholdPercent = 50, MinEnded = 4 };
        var id = await BatchAsync(40, [Percent(25, success: 50), Rest()], 60, batchRule, rule);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(12));
        foreach (var t in (await PushedAsync(id)).Where(t => t.Wave == 1))
            await _h.VersionAsync(t.DeviceName, "2.0.0");
        await _h.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, (await _h.GetBatchAsync(id)).CurrentWave);
        var second = (await PushedAsync(id)).Where(t => t.Wave == 2).ToList();
        await _h.ProgressAsync(second[0].DeviceName, -1);
        await _h.VersionAsync(second[1].DeviceName, "2.0.0");
        await _h.ProgressAsync(second[2].DeviceName, -2);
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(id)).Status); // wave 2: 3 ended, under its minimum
        await _h.ProgressAsync(second[3].DeviceName, -3);

        // Wave 2: 3 of 4 failed (75 %); the batch: 3 of 14 (21 %), under the batch rule's 50 %.
        var batch = await _h.GetBatchAsync(id);
        Assert.Equal(BatchStatus.Paused, batch.Status);
        Assert.Contains("rule 2", batch.PauseReason);
        Assert.Contains("in wave 2: 3 of 4 ended updates failed (75 %)", batch.PauseReason);
    }

    [Fact]
    public async Task A_device_busy_with_another_batch_is_in_no_wave_and_does_not_hold_its_wave_back()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(10);
        var first = await _h.PackageAsync("1.5.0");
        await _h.BatchAsync(first.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-000"] });
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id, r => r with { Waves = [Percent(20), Rest()] })).BatchId;

        var tasks = await _h.TasksAsync(id);
        Assert.Equal((OtaTaskStatus.Failed, 0), (tasks.Single(t => t.DeviceName == "dev-000").Status, tasks.Single(t => t.DeviceName == "dev-000").Wave));
        Assert.Equal(["dev-001", "dev-002"], tasks.Where(t => t.Wave == 1).Select(t => t.DeviceName).Order());
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        foreach (var t in tasks.Where(t => t.Wave == 1))
            await _h.VersionAsync(t.DeviceName, "2.0.0");
        await _h.TickAsync();
        Assert.Equal(2, (await _h.GetBatchAsync(id)).CurrentWave);
    }

    [Fact]
    public async Task Wave_gates_can_be_edited_while_the_batch_runs_but_not_their_sizes()
    {
        var id = await BatchAsync(20, [Percent(10, success: 100, soak: 60), Rest()]);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(3));
        foreach (var t in await PushedAsync(id))
            await _h.VersionAsync(t.DeviceName, "2.0.0");
        await _h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await _h.GetBatchAsync(id)).CurrentWave); // an hour's soak

        var wrong = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.EditBatchAsync(Operator, id, new BatchEdit { WaveGates = [new(100, 0, false)] }));
        Assert.Contains(wrong.Errors, e => e.Field == "Wave.N");
        await _h.Engine.EditBatchAsync(Operator, id, new BatchEdit { WaveGates = [new(100, 0, false), new(100, 0, false)] });
        await _h.TickAsync();
        Assert.Equal(2, (await _h.GetBatchAsync(id)).CurrentWave);
    }

    [Theory]
    [InlineData("last not rest", "Wave.2")]
    [InlineData("rest first", "Wave.1")]
    [InlineData("one wave", "Wave.N")]
    [InlineData("percent zero", "Wave.1.Percent")]
    [InlineData("soak too long", "Wave.1.SoakMinutes")]
    [InlineData("success over 100", "Wave.1.SuccessPercent")]
    [InlineData("group twice", "Wave.2.GroupId")]
    public void Bad_waves_are_refused_with_the_field_that_is_wrong(string what, string field)
    {
        List<RolloutWave> waves = what switch
        {
            "last not rest" => [Percent(10), Percent(20)],
            "rest first" => [Rest(), Rest()],
            "one wave" => [Rest()],
            "percent zero" => [Percent(0), Rest()],
            "soak too long" => [Percent(10, soak: BatchRules.MaxSoakMinutes + 1), Rest()],
            "success over 100" => [Percent(10, success: 100.5m), Rest()],
            _ => [new() { Size = WaveSize.Group, GroupId = "g" }, new() { Size = WaveSize.Group, GroupId = "g" }, Rest()],
        };
        var errors = new List<FieldError>();
        BatchRules.ValidateWaves(waves, true, errors);
        Assert.Contains(errors, e => e.Field == field);
    }

    [Fact]
    public async Task A_dynamic_batch_takes_no_waves()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3);
        var p = await _h.PackageAsync();
        var ex = await Assert.ThrowsAsync<OtaValidationException>(() => _h.BatchAsync(p.Id, r => r with
        {
            Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"], Waves = [Percent(10), Rest()],
        }));
        Assert.Contains(ex.Errors, e => e.Field == "Wave.N");
    }
}
