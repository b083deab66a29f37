using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>
/// Two console nodes (two engines, each with its own writer) on one database, applying the same device's events
/// and the same operator's commands at the same moment: the outcome is one a single node would give, and the
/// batch's counters equal a recount of its tasks. On PostgreSQL the nodes' transactions truly overlap.
/// </summary>
public sealed class TwoNodeRaceTests : IDisposable
{
    private readonly TestDatabase _database = new();
    private readonly EngineHarness _a;
    private readonly EngineHarness _b;

    public TwoNodeRaceTests()
    {
        _a = new EngineHarness(_database, rollout: new RolloutOptions { NodeId = "node-a" });
        _b = new EngineHarness(_database, _a.Time, new RolloutOptions { NodeId = "node-b" });
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _database.Dispose();
    }

    private async Task<(string BatchId, List<string> Devices)> PushedBatchAsync(int devices)
    {
        await _a.ProductAsync();
        var names = await _a.DevicesAsync(devices);
        var package = await _a.PackageAsync();
        var batchId = (await _a.BatchAsync(package.Id, r => r with { PushRate = PushRate.Constant(10_000) })).BatchId;
        await _a.AdvanceAsync(TimeSpan.FromSeconds(2));
        return (batchId, names);
    }

    private async Task AssertCountersMatchTasksAsync(string batchId)
    {
        await using var db = _database.CreateDbContext();
        var batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId);
        var recount = await db.Tasks.Where(t => t.BatchId == batchId).GroupBy(t => t.Status).Select(g => new { g.Key, N = g.Count() }).ToListAsync();
        foreach (var status in Enum.GetValues<OtaTaskStatus>())
        {
            var tasks = recount.SingleOrDefault(r => r.Key == status)?.N ?? 0;
            Assert.True(tasks == batch.Counts[status], $"{status}: the counter says {batch.Counts[status]}, the tasks {tasks}");
        }
    }

    [Fact]
    public async Task The_same_devices_events_on_two_nodes_at_once_leave_counters_that_match_the_tasks()
    {
        var (batchId, devices) = await PushedBatchAsync(60);

        // Node A hears every device's progress while node B hears half of them finish: overlapping steps on one batch.
        for (var round = 0; round < 5; round++)
        {
            var progress = devices.Select(d => (DeviceEvent)new ProgressReported(EngineHarness.Key(d), null, 10 + round * 10, null)).ToList();
            var finished = devices.Skip(round * 6).Take(6).Select(d => (DeviceEvent)new VersionReported(EngineHarness.Key(d), OtaModule.Default, "2.0.0")).ToList();
            await Task.WhenAll(Task.Run(() => _a.Engine.ApplyDeviceEventsAsync(progress)), Task.Run(() => _b.Engine.ApplyDeviceEventsAsync(finished)));
        }

        await AssertCountersMatchTasksAsync(batchId);
        Assert.Equal(30, (await _a.GetBatchAsync(batchId)).Counts.Succeeded);
    }

    [Fact]
    public async Task An_operator_cancel_on_one_node_racing_device_reports_on_another_gives_a_single_nodes_outcome()
    {
        var (batchId, devices) = await PushedBatchAsync(60);
        var succeed = devices.Take(20).Select(d => (DeviceEvent)new VersionReported(EngineHarness.Key(d), OtaModule.Default, "2.0.0")).ToList();

        await Task.WhenAll(
            Task.Run(() => _a.Engine.CancelBatchAsync(Actor.System, batchId, alsoRunningTasks: true)),
            Task.Run(() => _b.Engine.ApplyDeviceEventsAsync(succeed)));

        await AssertCountersMatchTasksAsync(batchId);
        var batch = await _a.GetBatchAsync(batchId);
        Assert.Equal(BatchStatus.Canceled, batch.Status);
        // Whichever came first: every task either succeeded before the cancel or was cancelled, none both, none left.
        Assert.Equal(60, batch.Counts.Succeeded + batch.Counts.Canceled);
        Assert.InRange(batch.Counts.Succeeded, 0, 20);
    }
}
