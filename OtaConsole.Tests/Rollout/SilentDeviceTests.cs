using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>
/// Ota:Rollout:OfflineAfterSilence, for brokers that publish no connect events: a device silent that long counts as
/// offline and its queued tasks wait for it; its next message brings it back. Off by default.
/// </summary>
public sealed class SilentDeviceTests : IDisposable
{
    private static readonly TimeSpan Silence = TimeSpan.FromMinutes(5);
    private EngineHarness _h = new(rollout: new RolloutOptions { OfflineAfterSilence = Silence });

    public void Dispose() => _h.Dispose();

    private async Task<Device> DeviceAsync(string name)
    {
        await using var db = _h.Database.CreateDbContext();
        return await db.Devices.AsNoTracking().SingleAsync(d => d.DeviceName == name);
    }

    /// <summary>A message of the kind a device sends on its own while idle: its version report.</summary>
    private Task SpeakAsync(string device) => _h.ReportAsync(new VersionReported(EngineHarness.Key(device), OtaModule.Default, "1.0.0"));

    [Fact]
    public async Task Off_by_default_a_device_silent_for_a_week_stays_online()
    {
        _h.Dispose();
        _h = new EngineHarness();
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        _h.Time.Advance(TimeSpan.FromDays(8));
        await _h.TickAsync();
        Assert.True((await DeviceAsync("dev-000")).IsOnline);
    }

    [Fact]
    public async Task A_silent_device_goes_offline_keeping_its_last_seen_time_and_a_new_batch_waits_for_it_until_it_speaks()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var heard = _h.Now;
        // dev-001 reports every two minutes; dev-000 says nothing.
        for (var i = 0; i < 3; i++)
        {
            await _h.AdvanceAsync(TimeSpan.FromMinutes(2));
            await SpeakAsync("dev-001");
        }
        var silent = await DeviceAsync("dev-000");
        Assert.False(silent.IsOnline);
        Assert.Equal(heard, silent.LastSeenAt);
        Assert.True((await DeviceAsync("dev-001")).IsOnline);

        var p = await _h.PackageAsync("2.0.0");
        var batch = (await _h.BatchAsync(p.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        var waiting = await _h.TaskAsync(batch, "dev-000");
        Assert.Equal((OtaTaskStatus.Queued, QueueReason.Offline), (waiting.Status, waiting.QueueReason));
        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(batch, "dev-001")).Status);

        await SpeakAsync("dev-000");
        await _h.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.True((await DeviceAsync("dev-000")).IsOnline);
        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(batch, "dev-000")).Status);
    }

    [Fact]
    public async Task Tasks_of_silent_devices_stop_taking_push_slots_from_a_device_that_is_there()
    {
        await _h.ProductAsync();
        var names = await _h.DevicesAsync(100);
        var p = await _h.PackageAsync("2.0.0");
        var batch = (await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
        // At 10 a minute, dev-099 (last in line) would wait ten minutes; only it keeps reporting.
        for (var minute = 0; minute < 6; minute++)
        {
            await SpeakAsync("dev-099");
            await _h.AdvanceAsync(TimeSpan.FromMinutes(1));
        }
        await _h.AdvanceAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(OtaTaskStatus.Notified, (await _h.TaskAsync(batch, "dev-099")).Status);
        var tasks = await _h.TasksAsync(batch);
        var queued = tasks.Where(t => t.Status == OtaTaskStatus.Queued).ToList();
        Assert.NotEmpty(queued);
        Assert.All(queued, t => Assert.Equal(QueueReason.Offline, t.QueueReason));
        // Those pushed before their devices fell silent stay pushed: silence says nothing about an update under way.
        Assert.InRange(tasks.Count(t => t.Status == OtaTaskStatus.Notified), 40, 70);
        _ = names;
    }

    [Theory]
    [InlineData("00:00:30")]
    [InlineData("8.00:00:00")]
    [InlineData("-00:05:00")]
    public void Out_of_range_silences_are_refused_with_the_setting_named(string value)
    {
        var problem = new RolloutOptions { OfflineAfterSilence = TimeSpan.Parse(value) }.Problem();
        Assert.NotNull(problem);
        Assert.Contains("OfflineAfterSilence", problem);
        Assert.Null(new RolloutOptions { OfflineAfterSilence = TimeSpan.Zero }.Problem());
        Assert.Null(new RolloutOptions { OfflineAfterSilence = TimeSpan.FromHours(1) }.Problem());
    }
}
