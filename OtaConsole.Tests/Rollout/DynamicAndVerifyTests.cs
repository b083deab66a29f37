using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Rollout;

public sealed class DynamicAndVerifyTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private Task<BatchCreated> DynamicAsync(string packageId, DynamicMode mode = DynamicMode.AllMatching, params string[] sources) =>
        _h.BatchAsync(packageId, r => r with { Selection = SelectionType.Dynamic, DynamicMode = mode, SrcVersions = sources.Length == 0 ? ["1.0.0"] : sources });

    [Fact]
    public async Task A_dynamic_batch_takes_matching_devices_now_and_devices_that_report_a_matching_version_later()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2, "1.0.0", prefix: "now");
        await _h.DevicesAsync(1, "0.9.0", prefix: "old");
        var p = await _h.PackageAsync();
        var created = await DynamicAsync(p.Id);
        Assert.Equal(2, (await _h.TasksAsync(created.BatchId)).Count);

        await _h.VersionAsync("old-000", "1.0.0");      // upgraded by other means, now matches
        await _h.DevicesAsync(1, "1.0.0", prefix: "new"); // a device registered later

        var names = (await _h.TasksAsync(created.BatchId)).Select(t => t.DeviceName).Order();
        Assert.Equal(["new-000", "now-000", "now-001", "old-000"], names);
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(created.BatchId)).Status);
    }

    [Fact]
    public async Task Tasks_of_a_dynamic_batch_whose_policy_was_cancelled_carry_on_at_its_rate_to_their_end()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(30, "1.0.0");
        var p = await _h.PackageAsync();
        var created = await _h.BatchAsync(p.Id, r => r with { Selection = SelectionType.Dynamic, SrcVersions = ["1.0.0"], PushRate = PushRate.Constant(60) });
        await _h.TickAsync(); // one a second

        // Cancel only the policy: its 29 tasks still To Be Pushed go on being pushed, one a second, and end.
        Assert.Equal(0, await _h.Engine.CancelBatchAsync(Actor.System, created.BatchId, alsoRunningTasks: false));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));
        var tasks = await _h.TasksAsync(created.BatchId);
        Assert.InRange(tasks.Count(t => t.Status == OtaTaskStatus.Notified), 10, 12);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(30));
        foreach (var d in devices)
            await _h.VersionAsync(d, "2.0.0");

        var batch = await _h.GetBatchAsync(created.BatchId);
        Assert.Equal((BatchStatus.Canceled, 30, 0), (batch.Status, batch.Counts.Succeeded, batch.Counts.Unfinished));
        // The policy is over: a device that reports the source version now is not taken.
        await _h.DevicesAsync(1, "1.0.0", prefix: "late");
        Assert.Equal(30, (await _h.TasksAsync(created.BatchId)).Count);
    }

    [Fact]
    public async Task DynamicMode_2_leaves_out_devices_until_they_report_after_creation()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2, "1.0.0");
        var p = await _h.PackageAsync();

        var created = await DynamicAsync(p.Id, DynamicMode.NewReportsOnly);

        Assert.Empty(await _h.TasksAsync(created.BatchId));
        Assert.Equal(2, created.Preview.Skipped[SkipReason.WaitsForNewReport]);
        await _h.VersionAsync("dev-001", "1.0.0");
        Assert.Equal(["dev-001"], (await _h.TasksAsync(created.BatchId)).Select(t => t.DeviceName));
    }

    [Fact]
    public async Task A_dynamic_batch_matches_one_device_at_most_ten_times()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1, "1.0.0");
        var p = await _h.PackageAsync();
        var created = await DynamicAsync(p.Id);

        for (var i = 0; i < 12; i++)
        {
            await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
            await _h.ProgressAsync("dev-000", -1);  // fails its task...
            await _h.VersionAsync("dev-000", "1.0.0"); // ...then reports the source again: a new match
        }

        var tasks = await _h.TasksAsync(created.BatchId);
        Assert.Equal(DeviceEventApplierLimit, tasks.Count);
    }

    private const int DeviceEventApplierLimit = 10;

    [Fact]
    public async Task Of_several_matching_dynamic_batches_the_newest_wins()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1, "0.5.0");
        var older = await _h.PackageAsync("2.0.0");
        var newer = await _h.PackageAsync("3.0.0");
        var a = await DynamicAsync(older.Id);
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        var b = await DynamicAsync(newer.Id);

        await _h.VersionAsync("dev-000", "1.0.0");

        Assert.Empty(await _h.TasksAsync(a.BatchId));
        Assert.Single(await _h.TasksAsync(b.BatchId));
    }

    [Fact]
    public async Task A_dynamic_batch_leaves_a_busy_device_alone_until_it_is_free()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1, "1.0.0");
        var other = await _h.PackageAsync("1.5.0");
        var p = await _h.PackageAsync("2.0.0");
        var busy = await _h.BatchAsync(other.Id);
        var dyn = await DynamicAsync(p.Id, DynamicMode.NewReportsOnly);

        await _h.VersionAsync("dev-000", "1.0.0");
        Assert.Empty(await _h.TasksAsync(dyn.BatchId));

        await _h.Engine.CancelBatchAsync(Actor.System, busy.BatchId);
        await _h.VersionAsync("dev-000", "1.0.0");
        Assert.Single(await _h.TasksAsync(dyn.BatchId));
    }

    [Fact]
    public async Task A_verify_batch_makes_the_package_verifying_then_verified_when_every_device_succeeds()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(3);
        var p = await _h.PackageAsync(needToVerify: true);
        Assert.Equal(PackageStatus.Unverified, p.Status);

        var created = await _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(p.Id, devices[0], devices[1]));
        Assert.Equal((PackageStatus.Verifying, 0), await StatusAsync(p.Id));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync(devices[0], "2.0.0");
        Assert.Equal((PackageStatus.Verifying, 50), await StatusAsync(p.Id));
        await _h.VersionAsync(devices[1], "2.0.0");

        Assert.Equal((PackageStatus.Verified, 100), await StatusAsync(p.Id));
        Assert.Equal(BatchStatus.Completed, (await _h.GetBatchAsync(created.BatchId)).Status);
        await _h.BatchAsync(p.Id); // an upgrade batch is now allowed
        var again = await Assert.ThrowsAsync<OtaException>(() => _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(p.Id, devices[2])));
        Assert.Equal("FirmwareVerifyConflict", again.Code);
    }

    [Fact]
    public async Task A_verify_batch_with_a_failure_fails_the_verification_and_it_may_be_verified_again()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(2);
        var p = await _h.PackageAsync(needToVerify: true);
        await _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(p.Id, devices[0], devices[1]));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync(devices[0], "2.0.0");
        await _h.ProgressAsync(devices[1], -3);

        Assert.Equal((PackageStatus.VerificationFailed, 100), await StatusAsync(p.Id));
        await Assert.ThrowsAsync<OtaException>(() => _h.BatchAsync(p.Id));
        await _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(p.Id, devices[1]));
        Assert.Equal(PackageStatus.Verifying, (await StatusAsync(p.Id)).Item1);
    }

    [Fact]
    public async Task A_verify_batch_on_an_offline_device_ends_by_its_timeout_and_says_why()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1, "1.0.0", prefix: "on");
        await _h.DevicesAsync(1, "1.0.0", online: false, prefix: "off");
        var p = await _h.PackageAsync(needToVerify: true);
        var created = await _h.BatchAsync(p.Id, _ => CreateBatchRequest.Verify(p.Id, "on-000", "off-000"));
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        await _h.VersionAsync("on-000", "2.0.0");
        Assert.Equal(PackageStatus.Verifying, (await _h.GetPackageAsync(p.Id)).Status);

        await _h.AdvanceAsync(new RolloutOptions().VerifyTimeout);

        var package = await _h.GetPackageAsync(p.Id);
        Assert.Equal(PackageStatus.VerificationFailed, package.Status);
        Assert.Equal("timed out after 30 min: 1 of 2 test devices did not finish (1 offline)", package.VerifyFailure);
        var off = await _h.TaskAsync(created.BatchId, "off-000");
        Assert.Equal((OtaTaskStatus.Failed, Core.Tasks.FailureCodes.VerifyTimeout, "verification timed out after 30 min: the device was offline"), (off.Status, off.FailureCode, off.FailureReason));
        Assert.Equal(BatchStatus.Completed, (await _h.GetBatchAsync(created.BatchId)).Status);
        Assert.True(package.CanVerify);
    }

    [Fact]
    public async Task A_verify_batch_takes_at_most_ten_known_devices()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(11);
        var p = await _h.PackageAsync(needToVerify: true);

        var tooMany = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(p.Id, [.. devices])));
        Assert.Contains("1-10 devices", tooMany.Message);
        var unknown = await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.CreateBatchAsync(Actor.System, CreateBatchRequest.Verify(p.Id, "ghost-1")));
        Assert.Contains("ghost-1", unknown.Message);
        Assert.Equal(PackageStatus.Unverified, (await StatusAsync(p.Id)).Item1);
    }

    private async Task<(PackageStatus, int)> StatusAsync(string packageId)
    {
        var p = await _h.GetPackageAsync(packageId);
        return (p.Status, p.VerifyProgress);
    }
}
