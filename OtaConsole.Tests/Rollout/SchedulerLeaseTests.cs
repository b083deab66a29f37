using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>
/// Two console nodes on one database, each ticking its scheduler: the lease lets one of them do the pushing, and
/// hands the work over when that one dies or stops. Fake time, shared by both nodes.
/// </summary>
public sealed class SchedulerLeaseTests : IDisposable
{
    private readonly TestDatabase _database = new();
    private readonly EngineHarness _a;
    private readonly EngineHarness _b;

    public SchedulerLeaseTests()
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

    private async Task<string> BatchAsync(int devices, int perMinute)
    {
        await _a.ProductAsync();
        await _a.DevicesAsync(devices);
        var package = await _a.PackageAsync();
        return (await _a.BatchAsync(package.Id, r => r with { PushRate = PushRate.Constant(perMinute) })).BatchId;
    }

    /// <summary>Each node ticks once a second, B half a second after A (so B would find pushes due if it pushed).</summary>
    private async Task TickBothAsync(int seconds, bool aAlive = true)
    {
        for (var i = 0; i < seconds; i++)
        {
            _a.Time.Advance(TimeSpan.FromMilliseconds(500));
            if (aAlive)
                await _a.TickAsync();
            _a.Time.Advance(TimeSpan.FromMilliseconds(500));
            await _b.TickAsync();
        }
    }

    private static List<string> Pushed(EngineHarness node) =>
        node.Gateway.Notices.Where(n => n.Cause == NoticeCause.Push).Select(n => n.Device.DeviceName).ToList();

    [Fact]
    public async Task Two_nodes_ticking_on_one_database_push_each_device_once_from_the_lease_holder()
    {
        var batchId = await BatchAsync(30, perMinute: 120);

        await TickBothAsync(40);

        var byA = Pushed(_a);
        Assert.Empty(Pushed(_b));
        Assert.Equal(30, byA.Count);
        Assert.Equal(30, byA.Distinct().Count());
        var batch = await _a.GetBatchAsync(batchId);
        Assert.Equal((30, 0), (batch.Counts.Notified, batch.Counts.Queued));
    }

    [Fact]
    public async Task A_dead_holders_work_moves_to_another_node_once_its_lease_has_expired_and_without_a_burst()
    {
        await BatchAsync(100, perMinute: 60);
        await TickBothAsync(5);
        var byA = Pushed(_a).Count;
        Assert.Equal(5, byA);

        // A dies: it stops ticking without releasing anything. B waits out what is left of the lease (A renews it
        // once half has passed, so between 5 and 10 s) and then pushes.
        var lease = new RolloutOptions().SchedulerLease;
        var died = _a.Now - TimeSpan.FromMilliseconds(500); // A's last tick
        DateTimeOffset? tookOver = null;
        for (var i = 0; i < 20 && tookOver is null; i++)
        {
            await TickBothAsync(1, aAlive: false);
            if (Pushed(_b).Count > 0)
                tookOver = _a.Now;
        }
        Assert.NotNull(tookOver);
        Assert.InRange(tookOver.Value - died, lease / 2, lease + TimeSpan.FromSeconds(1.5));
        // The debt of the seconds nobody pushed is not paid at once: pacing restarts from the takeover.
        Assert.Single(Pushed(_b));
        await TickBothAsync(10, aAlive: false);
        Assert.InRange(Pushed(_b).Count, 10, 12);
        Assert.Equal(byA, Pushed(_a).Count);
        Assert.Empty(Pushed(_a).Intersect(Pushed(_b)));
    }

    [Fact]
    public async Task A_clean_stop_hands_the_lease_over_at_the_next_tick()
    {
        await BatchAsync(20, perMinute: 60);
        await TickBothAsync(3);
        Assert.Equal(3, Pushed(_a).Count);

        await _a.Engine.ReleaseSchedulerAsync();
        await TickBothAsync(1, aAlive: false);

        Assert.Single(Pushed(_b));
    }

    [Fact]
    public async Task A_node_restarted_under_its_own_name_takes_its_lease_back_at_once()
    {
        await BatchAsync(20, perMinute: 60);
        await TickBothAsync(3);

        // A crashes and comes back at once with the same node id (a restart on the same machine).
        using var restarted = new EngineHarness(_database, _a.Time, new RolloutOptions { NodeId = "node-a" });
        restarted.Time.Advance(TimeSpan.FromMilliseconds(500));
        await restarted.TickAsync();
        restarted.Time.Advance(TimeSpan.FromMilliseconds(500));
        await _b.TickAsync();

        Assert.NotEmpty(Pushed(restarted));
        Assert.Empty(Pushed(_b));
    }

    [Fact]
    public async Task Ticks_racing_at_the_same_instant_never_both_push()
    {
        var batchId = await BatchAsync(40, perMinute: 240);

        // Both nodes tick at once, each in its own transaction: the lease row decides, whoever commits first.
        for (var i = 0; i < 20; i++)
        {
            _a.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAll(Task.Run(_a.TickAsync), Task.Run(_b.TickAsync));
        }

        var all = Pushed(_a).Concat(Pushed(_b)).ToList();
        Assert.True(Pushed(_a).Count == 0 || Pushed(_b).Count == 0, $"both nodes pushed: {Pushed(_a).Count} and {Pushed(_b).Count}");
        Assert.Equal(40, all.Count);
        Assert.Equal(40, all.Distinct().Count());
        Assert.Equal(40, (await _a.GetBatchAsync(batchId)).Counts.Notified);
    }
}
