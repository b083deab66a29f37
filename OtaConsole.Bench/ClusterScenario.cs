using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Bench;

/// <summary>
/// <c>fleet-e2e --nodes N --db postgres</c>: the 10,000-device fleet through mosquitto (MQTT 5 shared
/// subscriptions) to N console nodes on one durable PostgreSQL. One node runs in this process; the others are
/// processes of their own, started first so that one of them holds the scheduler lease, and that node is killed
/// (SIGKILL) once half the devices have been pushed. The same fleet on one node of the same kind (PostgreSQL,
/// mosquitto) is measured first, in the same run.
/// </summary>
internal static class ClusterScenario
{
    private const int Devices = 10_000;
    private const int PerMinute = 10_000;
    private const string ProductKey = "a1BenchNodes";
    private static readonly TimeSpan DeviceTime = TimeSpan.FromSeconds(2);
    // A report lost with the killed node is made up by a re-sent notice after this long (the default is 5 min).
    private const string RenoticeAfter = "00:00:15";

    public static int Nodes { get; set; } = 1;

    public static async Task<object> FleetNodesAsync(int runs)
    {
        if (Nodes < 2)
            throw new InvalidOperationException("--nodes takes 2 or more");
        await using var broker = await Mosquitto.StartAsync();
        var one = await RunAsync(broker, nodes: 1, kill: false);
        var several = await RunAsync(broker, Nodes, kill: true);
        var ideal = Devices / (double)PerMinute * 60 + DeviceTime.TotalSeconds;
        return new
        {
            scenario = "fleet-e2e",
            db = "Postgres",
            nodes = Nodes,
            devices = Devices,
            broker = "mosquitto, MQTT 5 shared subscription, devices subscribing themselves (C SDK 3.x style)",
            succeeded = several.Succeeded,
            lost = Devices - several.Succeeded,
            pushed_twice = several.PushedTwice,
            resends = several.Resends,
            failover_s = Math.Round(several.FailoverSeconds, 1),
            pushed_at_kill = several.PushedAtKill,
            seconds = Math.Round(several.Seconds, 2),
            ideal_seconds = ideal,
            time_ratio = Math.Round(several.Seconds / ideal, 3),
            one_node = new { seconds = Math.Round(one.Seconds, 2), succeeded = one.Succeeded, lost = Devices - one.Succeeded, pushed_twice = one.PushedTwice, time_ratio = Math.Round(one.Seconds / ideal, 3) },
            time_ratio_vs_one_node = Math.Round(several.Seconds / one.Seconds, 3),
            settings = $"Ota:Rollout:RenoticeAfter={RenoticeAfter}, scheduler lease 10 s (default), {PerMinute}/min, {DeviceTime.TotalSeconds} s per device",
            reference = "ideal: devices ÷ rate + device time; and the same fleet on one node (PostgreSQL, mosquitto) in the same run",
            target = "lost == 0, pushed_twice == 0, failover_s <= 15, time_ratio <= 1.3 (including the failover)",
        };
    }

    private sealed record Outcome(double Seconds, int Succeeded, int PushedTwice, int Resends, double FailoverSeconds, int PushedAtKill);

    private static async Task<Outcome> RunAsync(Mosquitto broker, int nodes, bool kill)
    {
        var server = PostgresServer.Durable;
        var database = server.CreateDatabase();
        var folder = Directory.CreateTempSubdirectory("ota-bench-nodes-").FullName;
        var portA = FreePorts.Next();
        Dictionary<string, string> Settings(string nodeId) => new(ClusterNodes.Settings(nodeId, folder, server.ConnectionString(database), broker.Port, portA,
            RenoticeAfter, PageBrowser.AdminEmail, PageBrowser.AdminPassword)) { ["Logging:LogLevel:Default"] = "Warning" };

        // The other nodes start first: the first of them takes the scheduler lease and is the one killed.
        var others = new List<ConsoleProcess>();
        for (var i = 1; i < nodes; i++)
            others.Add(await ConsoleProcess.StartAsync(Settings($"node-{(char)('a' + i)}")));
        var a = ConsoleApp.Build([.. Settings("node-a").Select(kv => $"--{kv.Key}={kv.Value}"), $"--Urls=http://127.0.0.1:{portA}", "--environment=Production",
            "--Logging:LogLevel:Microsoft.AspNetCore=Error"]);
        await a.StartAsync();
        try
        {
            var specs = await SeedAsync(a.Services);
            await using var fleet = FleetProcess.Start();
            var file = Path.Combine(folder, "fleet.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(specs));
            var answer = await fleet.AskAsync($"connect 127.0.0.1 {broker.Port} {file} None {(int)DeviceTime.TotalMilliseconds} 64 CSdk3", TimeSpan.FromMinutes(10));
            if (answer[2] != "0")
                throw new InvalidOperationException($"{answer[2]} simulated devices could not sign in");
            await WaitAsync(a.Services, async db => await db.DeviceVersions.CountAsync(v => v.Version == "1.0.0") == Devices, TimeSpan.FromMinutes(5));

            var package = await PackageAsync(a.Services);
            var sw = Stopwatch.StartNew();
            var batchId = (await a.Services.GetRequiredService<RolloutEngine>().CreateBatchAsync(Actor.System,
                new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(PerMinute) })).BatchId;
            double failover = 0;
            var pushedAtKill = 0;
            if (kill)
            {
                await WaitAsync(a.Services, async db => await db.Tasks.CountAsync(t => t.BatchId == batchId && t.PushedAt != null) >= Devices / 2, TimeSpan.FromMinutes(5));
                var holder = await HolderAsync(a.Services);
                if (holder != "node-b")
                    throw new InvalidOperationException($"the lease was with {holder}, not the node to be killed");
                others[0].Kill();
                var killed = Stopwatch.StartNew();
                pushedAtKill = await CountAsync(a.Services, db => db.Tasks.CountAsync(t => t.BatchId == batchId && t.PushedAt != null));
                await WaitAsync(a.Services, async _ => await HolderAsync(a.Services) is not ("" or "node-b"), TimeSpan.FromMinutes(1));
                failover = killed.Elapsed.TotalSeconds;
            }
            Batch batch = null!;
            await WaitAsync(a.Services, async db => (batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId)).Counts.Unfinished == 0, TimeSpan.FromMinutes(15));
            var seconds = sw.Elapsed.TotalSeconds;

            // A device's notices beyond its first count only where its task's timeline records the re-send.
            var received = (await fleet.AskAsync("notices", TimeSpan.FromMinutes(1))).Skip(1).FirstOrDefault() ?? "";
            var resends = await CountAsync(a.Services, ClusterNodes.ResendsByDeviceAsync);
            var pushedTwice = received.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(x => x.Split(':')).Count(x => int.Parse(x[1], System.Globalization.CultureInfo.InvariantCulture) > 1 + resends.GetValueOrDefault(x[0]));
            return new Outcome(seconds, batch.Counts.Succeeded, pushedTwice, resends.Values.Sum(), failover, pushedAtKill);
        }
        finally
        {
            foreach (var node in others)
                await node.DisposeAsync();
            await a.StopAsync();
            await a.DisposeAsync();
            server.DropDatabase(database);
            Directory.Delete(folder, true);
        }
    }

    private static async Task<List<FleetDevice>> SeedAsync(IServiceProvider services)
    {
        var catalog = services.GetRequiredService<CatalogService>();
        await catalog.CreateProductAsync(Actor.System, "Bench nodes", ProductKey);
        var registered = await catalog.RegisterDevicesAsync(Actor.System, ProductKey, Enumerable.Range(0, Devices).Select(i => new DeviceRegistration($"node-dev-{i:D5}")).ToList());
        return registered.Registered.Select(d => new FleetDevice(ProductKey, d.DeviceName, d.DeviceSecret, "1.0.0")).ToList();
    }

    private static Task<UpdatePackage> PackageAsync(IServiceProvider services) => services.GetRequiredService<PackageService>().CreateAsync(Actor.System, new CreatePackageRequest
    {
        ProductKey = ProductKey,
        Name = "bench-nodes-2_0_0",
        DestVersion = "2.0.0",
        NeedToVerify = false,
        Files = [new PackageFileUpload("fw.bin", new MemoryStream(RandomNumberGenerator.GetBytes(64 * 1024)))],
    });

    private static async Task<string> HolderAsync(IServiceProvider services)
    {
        var lease = await CountAsync(services, db => db.SchedulerLeases.AsNoTracking().SingleAsync(l => l.Name == Core.Model.SchedulerLease.SchedulerName));
        return lease.ExpiresAt > DateTimeOffset.UtcNow ? lease.Holder : "";
    }

    private static async Task<T> CountAsync<T>(IServiceProvider services, Func<OtaDbContext, Task<T>> read)
    {
        await using var db = services.GetRequiredService<IDbContextFactory<OtaDbContext>>().CreateDbContext();
        return await read(db);
    }

    private static async Task WaitAsync(IServiceProvider services, Func<OtaDbContext, Task<bool>> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!await CountAsync(services, condition))
        {
            if (sw.Elapsed > timeout)
                throw new TimeoutException("the bench waited too long");
            await Task.Delay(100);
        }
    }
}
