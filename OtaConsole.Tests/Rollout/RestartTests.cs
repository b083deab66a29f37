using OtaConsole.Core.Security;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

public sealed class RestartTests
{
    [Fact]
    public async Task An_engine_started_on_the_file_of_a_stopped_one_carries_on_exactly()
    {
        using var database = new TestDatabase();
        string batchId;
        List<string> devices;
        var pushedBefore = new List<UpdateNotice>();
        using (var first = new EngineHarness(database))
        {
            await first.ProductAsync();
            devices = await first.DevicesAsync(50);
            await first.DevicesAsync(5, online: false, prefix: "off");
            var p = await first.PackageAsync();
            batchId = (await first.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(600), TimeoutMinutes = 60, RetryIntervalMinutes = 0, RetryCount = 1 })).BatchId;
            await first.TickAsync();
            await first.AdvanceAsync(TimeSpan.FromSeconds(2)); // 30 pushed (10 a second)
            foreach (var d in devices.Take(10))
                await first.ProgressAsync(d, 50);
            foreach (var d in devices.Take(5))
                await first.VersionAsync(d, "2.0.0");
            await first.ProgressAsync(devices[6], -2); // a retry is pending at the stop
            pushedBefore.AddRange(first.Gateway.Notices);
            // The process stops here: its devices lose their connection with it.
        }

        using var second = new EngineHarness(database, time: null);
        second.Time.SetUtcNow(new DateTimeOffset(2026, 11, 27, 8, 0, 3, TimeSpan.Zero));
        await second.ReportAsync(devices.Select(d => (DeviceEvent)new DeviceConnected(EngineHarness.Key(d))).ToArray());
        await second.AdvanceAsync(TimeSpan.FromSeconds(10));
        foreach (var d in devices)
            await second.VersionAsync(d, "2.0.0");

        var tasks = await second.TasksAsync(batchId);
        Assert.Equal(55, tasks.Count);
        Assert.Equal(50, tasks.Count(t => t.Status == OtaTaskStatus.Succeeded));
        Assert.All(tasks.Where(t => t.DeviceName.StartsWith("off", StringComparison.Ordinal)), t => Assert.Equal((OtaTaskStatus.Queued, QueueReason.Offline), (t.Status, t.QueueReason)));
        // Every online device was pushed exactly once across both engines; reconnect re-sends are not pushes.
        var pushes = pushedBefore.Concat(second.Gateway.Notices).Where(n => n.Cause == NoticeCause.Push).Select(n => n.Device.DeviceName).ToList();
        Assert.Equal(50, pushes.Count);
        Assert.Equal(50, pushes.Distinct().Count());
        // The second engine re-sent the notices of tasks the first had pushed and not finished (the one awaiting its retry gets the retry).
        var resent = second.Gateway.Notices.Where(n => n.Cause != NoticeCause.Push).Select(n => n.Device.DeviceName).Order().ToList();
        Assert.Equal(pushedBefore.Select(n => n.Device.DeviceName).Except(devices.Take(5)).Order(), resent);
        var batch = await second.GetBatchAsync(batchId);
        Assert.Equal((50, 5, 55), (batch.Counts.Succeeded, batch.Counts.Queued, batch.Counts.Total));
    }

    [Fact]
    public async Task After_a_crash_devices_are_offline_until_they_connect()
    {
        using var database = new TestDatabase();
        string batchId;
        using (var crashed = new EngineHarness(database))
        {
            await crashed.ProductAsync();
            await crashed.DevicesAsync(5);
            var p = await crashed.PackageAsync();
            batchId = (await crashed.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
            // The process dies here: nothing marks its devices offline.
        }
        await using (var db = database.CreateDbContext())
            Assert.Equal(5, db.Devices.Count(d => d.IsOnline));

        await using var console = await ConsoleHost.StartAsync(folder: database.Folder);
        await using (var db = console.Db())
        {
            Assert.Equal(0, db.Devices.Count(d => d.IsOnline));
            Assert.All(db.Tasks.Where(t => t.BatchId == batchId).ToList(), t => Assert.Equal((OtaTaskStatus.Queued, QueueReason.Offline), (t.Status, t.QueueReason)));
        }
        var overview = await console.Services.GetRequiredService<Core.Queries.OverviewQueries>().GetAsync(Actor.System);
        Assert.Equal((5, 0), (overview.Devices, overview.DevicesOnline));

        // A device that connects is online again, and its task goes on.
        await console.Engine.ApplyDeviceEventsAsync([new DeviceConnected(EngineHarness.Key("dev-000"))]);
        await console.TaskReachesAsync(batchId, "dev-000", OtaTaskStatus.Notified);
    }
}
