using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Cluster;

/// <summary>
/// Three console nodes on one PostgreSQL and one mosquitto (MQTT 5 shared subscriptions), a 2,000-device fleet
/// on real MQTT connections, and a rollout during which the node holding the scheduler lease is killed without
/// warning and later started again. Node A runs in this process (a browser watches its batch page); B and C are
/// processes of their own, so B can die as a machine would. Downloads go to A's address, as they would go to a
/// load balancer's.
/// </summary>
public sealed class SeveralNodesTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Devices = 2000;
    private static readonly TimeSpan RolloutLimit = TimeSpan.FromMinutes(4);

    private Mosquitto _broker = null!;
    private readonly string _folder = Directory.CreateTempSubdirectory("ota-cluster-").FullName;
    private string _connectionString = "";
    private readonly List<SimulatedDevice> _devices = [];
    private readonly HttpClient _downloads = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 });

    public async ValueTask InitializeAsync()
    {
        if (!TestDatabase.IsPostgres)
            return;
        _broker = await Mosquitto.StartAsync();
        _connectionString = PostgresServer.Instance.ConnectionString(PostgresServer.Instance.CreateDatabase());
    }

    public async ValueTask DisposeAsync()
    {
        await Parallel.ForEachAsync(_devices, async (d, _) => await d.DisposeAsync());
        _downloads.Dispose();
        if (_broker is not null)
            await _broker.DisposeAsync();
        Directory.Delete(_folder, true);
    }

    private Dictionary<string, string> NodeSettings(string nodeId, int downloadPort) =>
        ClusterNodes.Settings(nodeId, _folder, _connectionString, _broker.Port, downloadPort, "00:00:10", ConsoleHost.AdminEmail, ConsoleHost.AdminPassword);

    [Fact]
    public async Task A_rollout_survives_the_death_of_the_node_that_schedules_it()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "several nodes share a PostgreSQL database (OTA_TEST_DATABASE=postgres)");
        var portA = FreePorts.Next();

        // B starts first and so holds the scheduler lease; C and A join it.
        var b = await ConsoleProcess.StartAsync(NodeSettings("node-b", portA));
        await using var c = await ConsoleProcess.StartAsync(NodeSettings("node-c", portA));
        var settingsA = NodeSettings("node-a", portA).ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        settingsA["Urls"] = $"http://127.0.0.1:{portA}";
        await using var a = await ConsoleHost.StartAsync(settingsA, realTime: true, ownListeners: true, folder: _folder);
        ConsoleProcess? restarted = null;
        try
        {
            Assert.Equal("node-b", await LeaseHolderAsync(a));

            await a.ProductAsync();
            var specs = await a.RegisterAsync(Devices, style: SimSdkStyle.CSdk3);
            _devices.AddRange(specs.Select(s => new SimulatedDevice(s, SimulatedDevice.MqttLink(s, "127.0.0.1", _broker.Port), _downloads, TimeSpan.FromMilliseconds(300))));
            await Parallel.ForEachAsync(_devices, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (d, ct) => Assert.True(await d.ConnectAsync(ct), $"{d.Key} could not connect"));
            await UntilDbAsync(a, db => db.DeviceVersions.CountAsync(v => v.Version == "1.0.0"), n => n == Devices, "every device's version report, through the three nodes", TimeSpan.FromMinutes(2));

            var package = await a.PackageAsync();
            await using var ui = await ConsolePage.OpenAsync(browser, a);
            var batchId = (await a.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(3000) })).BatchId;
            var rollout = Stopwatch.StartNew();
            await ui.GoAsync($"/ota/batches/{batchId}");
            using var stopWatching = new CancellationTokenSource();
            var seen = WatchSucceededAsync(ui.Page, stopWatching.Token);

            // Half-way through the pushes, the scheduling node dies.
            await UntilDbAsync(a, db => db.Tasks.CountAsync(t => t.BatchId == batchId && t.PushedAt != null), n => n >= Devices / 2, "half of the pushes", TimeSpan.FromMinutes(1));
            b.Kill();
            var killed = Stopwatch.StartNew();
            var killedAt = DateTimeOffset.UtcNow;
            var pushedAtKill = await CountAsync(a, db => db.Tasks.CountAsync(t => t.BatchId == batchId && t.PushedAt != null));
            var holder = await UntilAsync(a, LeaseHolderAsync, h => h is "node-a" or "node-c", "another node to take the scheduler over", TimeSpan.FromSeconds(30));
            var failover = killed.Elapsed;
            await UntilDbAsync(a, db => db.Tasks.CountAsync(t => t.BatchId == batchId && t.PushedAt != null), n => n > pushedAtKill, "pushes after the takeover", TimeSpan.FromSeconds(30));

            // The dead node comes back under its own name and joins without taking the lease back.
            restarted = await ConsoleProcess.StartAsync(NodeSettings("node-b", portA));
            await UntilDbAsync(a, db => db.Tasks.CountAsync(t => t.BatchId == batchId && t.Status == OtaTaskStatus.Succeeded), n => n == Devices, "every task to succeed", RolloutLimit);
            rollout.Stop();
            Assert.Equal(holder, await LeaseHolderAsync(a));

            // The page followed it all without a reload, also after the kill.
            await Assertions.Expect(ui.Page.Locator(".count-Succeeded b")).ToHaveTextAsync(Labels(Devices), new() { Timeout = 10_000 });
            stopWatching.Cancel();
            var samples = await seen;
            Assert.True(samples.Count(s => s.At > killedAt) >= 3, $"the page showed {samples.Count(s => s.At > killedAt)} new counts after the kill");

            await using var db = a.Db();
            var tasks = await db.Tasks.AsNoTracking().Where(t => t.BatchId == batchId).Select(t => new { t.Id, t.DeviceName, t.Status }).ToListAsync();
            Assert.All(tasks, t => Assert.Equal(OtaTaskStatus.Succeeded, t.Status));
            var batch = await db.Batches.AsNoTracking().SingleAsync(x => x.Id == batchId);
            foreach (var status in Enum.GetValues<OtaTaskStatus>())
                Assert.True(batch.Counts[status] == tasks.Count(t => t.Status == status), $"{status}: the counter says {batch.Counts[status]}, the tasks {tasks.Count(t => t.Status == status)}");

            // Each device got one notice per task, plus the re-sends its timeline records (a notice its node
            // committed but died before sending, a report lost with the node).
            var resends = await ClusterNodes.ResendsByDeviceAsync(db);
            var pushedTwice = _devices.Count(d => d.UpgradeNotices > 1 + resends.GetValueOrDefault(d.Key.DeviceName));
            var resent = resends.Values.Sum();
            output.WriteLine($"several nodes: {Devices} devices, failover {failover.TotalSeconds:F1} s to {holder}, {pushedAtKill} pushed at the kill, " +
                             $"{resent} re-sends recorded, pushed_twice {pushedTwice}, rollout {rollout.Elapsed.TotalSeconds:F1} s, {samples.Count} page updates seen ({samples.Count(s => s.At > killedAt)} after the kill)");
            Assert.Equal(0, pushedTwice);
            Assert.True(failover <= TimeSpan.FromSeconds(15), $"the takeover took {failover.TotalSeconds:F1} s");
        }
        catch (Exception)
        {
            output.WriteLine("node C said:\n" + c.Output);
            if (restarted is not null)
                output.WriteLine("node B (restarted) said:\n" + restarted.Output);
            throw;
        }
        finally
        {
            await b.DisposeAsync();
            if (restarted is not null)
                await restarted.DisposeAsync();
        }
    }

    private static string Labels(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Every change of the page's Succeeded count, with when it was seen.</summary>
    private static async Task<List<(DateTimeOffset At, string Text)>> WatchSucceededAsync(IPage page, CancellationToken ct)
    {
        var samples = new List<(DateTimeOffset, string)>();
        var last = "";
        while (!ct.IsCancellationRequested)
        {
            var text = await page.EvaluateAsync<string>("() => document.querySelector('.count-Succeeded b')?.textContent ?? ''");
            if (text != last)
                samples.Add((DateTimeOffset.UtcNow, last = text));
            try
            {
                await Task.Delay(200, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return samples;
    }

    private static async Task<string> LeaseHolderAsync(ConsoleHost a)
    {
        await using var db = a.Db();
        var lease = await db.SchedulerLeases.AsNoTracking().SingleAsync(l => l.Name == Core.Model.SchedulerLease.SchedulerName);
        return lease.ExpiresAt > DateTimeOffset.UtcNow ? lease.Holder : "";
    }

    private static async Task<T> CountAsync<T>(ConsoleHost a, Func<Core.Persistence.OtaDbContext, Task<T>> read)
    {
        await using var db = a.Db();
        return await read(db);
    }

    private static Task<T> UntilDbAsync<T>(ConsoleHost a, Func<Core.Persistence.OtaDbContext, Task<T>> read, Func<T, bool> done, string what, TimeSpan limit) =>
        UntilAsync(a, _ => CountAsync(a, read), done, what, limit);

    /// <summary>Polls real processes until a condition holds (they run on real time; nothing here can drive their clocks).</summary>
    private static async Task<T> UntilAsync<T>(ConsoleHost a, Func<ConsoleHost, Task<T>> read, Func<T, bool> done, string what, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var value = await read(a);
            if (done(value))
                return value;
            if (deadline.Elapsed > limit)
                throw new TimeoutException($"waited {limit} for {what}; last seen: {value}");
            await Task.Delay(100);
        }
    }
}
