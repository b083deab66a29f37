using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

public sealed class RollbackTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private static readonly Actor Operator = new(ActorKind.Operator, "op@console.test", "op@console.test", OperatorRole.Operator);

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task A_rollback_returns_each_updated_device_to_its_version_and_says_which_versions_have_no_package()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(4, "1.0.0");
        await _h.DevicesAsync(2, "0.9", prefix: "old");
        var back = await _h.PackageAsync("1.0.0", name: "back-to-1");
        var bad = await _h.PackageAsync("2.0.0");
        var id = (await _h.BatchAsync(bad.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        foreach (var d in new[] { "dev-000", "dev-001", "dev-002", "old-000" })
            await _h.VersionAsync(d, "2.0.0");
        await _h.ProgressAsync("dev-003", -1); // failed: still on 1.0.0, nothing to roll back

        var plan = await _h.Engine.PlanRollbackAsync(Operator, id);
        Assert.Equal([("1.0.0", 3, "back-to-1"), ("0.9", 1, (string?)null)], plan.Select(s => (s.Version, s.DeviceNames.Count, s.Package?.Name)));

        var rule = new FailureRule { Failures = FailureKind.All, ThresholdPercent = 10, MinEnded = 1 };
        var result = await _h.Engine.RollbackAsync(Operator, id, PushRate.Constant(100), [rule]);

        Assert.Equal(["0.9"], result.VersionsWithoutPackage);
        var (version, rollbackId) = Assert.Single(result.Started);
        Assert.Equal("1.0.0", version);
        var rollback = await _h.GetBatchAsync(rollbackId);
        Assert.Equal((id, back.Id, 3, TargetSelection.Specific), (rollback.RollbackOf, rollback.PackageId, rollback.Counts.Total, rollback.Target));
        Assert.Single(rollback.FailureRules);
        Assert.Equal(["dev-000", "dev-001", "dev-002"], (await _h.TasksAsync(rollbackId)).Select(t => t.DeviceName).Order());
        Assert.Equal([rollbackId], (await new BatchQueries(_h.Database).RollbacksOfAsync(Operator, id)).Select(b => b.Id));

        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await _h.VersionAsync("dev-000", "1.0.0");
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(rollbackId, "dev-000")).Status);
    }

    [Fact]
    public async Task When_several_packages_fit_the_operator_chooses_one_and_a_package_that_does_not_fit_is_refused()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2, "1.0.0");
        var older = await _h.PackageAsync("1.0.0", name: "back-a");
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        var newer = await _h.PackageAsync("1.0.0", name: "back-b");
        var bad = await _h.PackageAsync("2.0.0");
        var id = (await _h.BatchAsync(bad.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync("dev-000", "2.0.0");

        var step = Assert.Single(await _h.Engine.PlanRollbackAsync(Operator, id));
        Assert.Equal([newer.Id, older.Id], step.Candidates.Select(p => p.Id)); // newest first, and taken by default
        var wrong = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.RollbackAsync(Operator, id, PushRate.Default, [], new Dictionary<string, string> { ["1.0.0"] = bad.Id }));
        Assert.Contains(wrong.Errors, e => e.Field == "Firmware.N.FirmwareId");
        await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.RollbackAsync(Operator, id, PushRate.Default, [], new Dictionary<string, string> { ["0.1"] = older.Id }));

        var result = await _h.Engine.RollbackAsync(Operator, id, PushRate.Default, [], new Dictionary<string, string> { ["1.0.0"] = older.Id });
        Assert.Equal(older.Id, (await _h.GetBatchAsync(Assert.Single(result.Started).BatchId)).PackageId);
    }

    [Fact]
    public async Task A_batch_that_updated_nobody_has_nothing_to_roll_back_and_another_products_operator_finds_no_batch()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id)).BatchId;

        Assert.Equal("NothingToRollBack", (await Assert.ThrowsAsync<OtaException>(() => _h.Engine.RollbackAsync(Operator, id, PushRate.Default, []))).Code);
        Assert.Equal("JobNotFound", (await Assert.ThrowsAsync<OtaException>(() => _h.Engine.RollbackAsync(Operator with { Products = ["a1Other"] }, id, PushRate.Default, []))).Code);
    }
}
