using Microsoft.EntityFrameworkCore;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>Quarantine on fake time: a device that keeps failing, across batches, is held from new pushes for a while.</summary>
public sealed class QuarantineTests : IDisposable
{
    private readonly EngineHarness _h = new(rollout: new RolloutOptions
    {
        QuarantineFailures = 2, QuarantineWindow = TimeSpan.FromHours(1), QuarantineCooling = TimeSpan.FromHours(2),
    });
    private static readonly Actor Operator = new(ActorKind.Operator, "op@console.test", "op@console.test", OperatorRole.Operator);

    public void Dispose() => _h.Dispose();

    private async Task<Device> DeviceAsync(string name)
    {
        await using var db = _h.Database.CreateDbContext();
        return await db.Devices.AsNoTracking().SingleAsync(d => d.DeviceName == name);
    }

    [Fact]
    public async Task A_device_failing_twice_across_two_batches_is_held_from_a_third_until_its_cooling_time_is_over()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var first = await _h.PackageAsync("2.0.0");
        var a = (await _h.BatchAsync(first.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync("dev-000", -3);
        await _h.VersionAsync("dev-001", "2.0.0");
        Assert.Null((await DeviceAsync("dev-000")).QuarantinedUntil); // once is not enough

        var second = await _h.PackageAsync("3.0.0");
        var b = (await _h.BatchAsync(second.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-000"] })).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync("dev-000", -2);
        var held = await DeviceAsync("dev-000");
        Assert.Equal(_h.Now + TimeSpan.FromHours(2), held.QuarantinedUntil);
        Assert.Equal("its updates failed 2 times within 1 h", held.QuarantineReason);

        // A third batch: the other device is pushed, the held one waits.
        var third = await _h.PackageAsync("4.0.0");
        var c = (await _h.BatchAsync(third.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(OtaTaskStatus.Queued, (await _h.TaskAsync(c, "dev-000")).Status);
        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(c, "dev-001")).Status);
        // Asking does not help.
        await _h.ReportAsync(new FirmwareRequested(EngineHarness.Key("dev-000"), null, "r1"));
        Assert.Equal(OtaTaskStatus.Queued, (await _h.TaskAsync(c, "dev-000")).Status);

        // Released by time: pushed in its turn.
        await _h.AdvanceAsync(TimeSpan.FromHours(2));
        Assert.Null((await DeviceAsync("dev-000")).QuarantinedUntil);
        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(c, "dev-000")).Status);
        await using var db = _h.Database.CreateDbContext();
        Assert.Single(db.AuditEntries.Where(e => e.Action == "device.quarantine" && e.TargetId == $"{EngineHarness.ProductKey}/dev-000"));
        _ = (a, b);
    }

    [Fact]
    public async Task An_operator_releases_a_device_at_once_and_failures_outside_the_window_do_not_add_up()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var first = await _h.PackageAsync("2.0.0");
        await _h.BatchAsync(first.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync("dev-000", -1);
        _h.Time.Advance(TimeSpan.FromHours(2)); // past the window
        var second = await _h.PackageAsync("3.0.0");
        await _h.BatchAsync(second.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync("dev-000", -1);
        Assert.Null((await DeviceAsync("dev-000")).QuarantinedUntil);

        var third = await _h.PackageAsync("4.0.0");
        var c = (await _h.BatchAsync(third.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync("dev-000", -1); // two within the hour now
        Assert.NotNull((await DeviceAsync("dev-000")).QuarantinedUntil);

        await _h.Engine.ReleaseQuarantineAsync(Operator, EngineHarness.ProductKey, "dev-000");
        Assert.Null((await DeviceAsync("dev-000")).QuarantinedUntil);
        await Assert.ThrowsAsync<OtaException>(() => _h.Engine.ReleaseQuarantineAsync(Operator, EngineHarness.ProductKey, "dev-000"));
        _ = c;
    }
}
