using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Demo;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Mqtt;

public sealed class FleetAndDemoTests
{
    [Fact]
    public async Task An_in_process_fleet_updates_through_the_same_bridge_as_devices_on_the_broker()
    {
        await using var c = await ConsoleHost.StartAsync();
        await c.ProductAsync();
        var specs = FleetSimulator.WithMixes(await c.RegisterAsync(20), versionMix: [("1.0.0", 3), ("0.9.0", 1)], failureMix: [(SimFailure.DownloadFailed, 1), (SimFailure.None, 3)], seed: 4);
        var fleet = new FleetSimulator(specs, new FleetOptions { InProcess = true, DownloadTime = TimeSpan.Zero }, c.Time, NullLogger.Instance,
            FleetSimulator.InProcessLinks(c.Services.GetRequiredService<UplinkHandler>(), c.Services.GetRequiredService<InProcessDevices>(), c.Queue));
        await using var _ = fleet;
        await fleet.StartAsync();
        await c.DrainAsync();
        var package = await c.PackageAsync();

        var batchId = (await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, SrcVersions = ["1.0.0"] })).BatchId;
        var batch = await c.UntilAsync(async () => await c.Db().Batches.AsNoTracking().SingleAsync(b => b.Id == batchId), b => b.Counts.Unfinished == 0, "the batch to finish");

        var onSource = specs.Where(s => s.Versions[OtaModule.Default] == "1.0.0").ToList();
        Assert.Equal(onSource.Count, batch.Counts.Total);
        Assert.Equal(onSource.Count(s => s.Failure == SimFailure.None), batch.Counts.Succeeded);
        Assert.Equal(onSource.Count(s => s.Failure == SimFailure.DownloadFailed), batch.Counts.Failed);
        Assert.InRange(onSource.Count(s => s.Failure == SimFailure.DownloadFailed), 1, onSource.Count - 1);
        Assert.Equal(0, c.Stats.ConnectsAccepted); // no socket was used
    }

    [Fact]
    public async Task The_first_run_seeds_a_demo_whose_rollout_is_moving()
    {
        await using var c = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Demo:Devices"] = "20", ["Ota:Demo:DownloadSeconds"] = "0" });

        var succeeded = await c.UntilAsync(async () =>
        {
            await using var db = c.Db();
            return await db.Tasks.CountAsync(t => t.Status == OtaTaskStatus.Succeeded);
        }, n => n >= 3, "demo devices to update");

        Assert.True(succeeded >= 3);
        await using var db = c.Db();
        Assert.Equal(20, await db.Devices.CountAsync(d => d.ProductKey == DemoFleet.ProductKey));
        Assert.Equal(3, await db.Packages.CountAsync());
        Assert.Equal(1, await db.Batches.CountAsync());
        Assert.True(c.Stats.ConnectsAccepted >= 15);
    }

    [Fact]
    public void The_console_flags_set_the_demo_size()
    {
        Assert.Equal(["--Ota:Demo:Devices=0", "--urls", "x"], ConsoleApp.TranslateFlags(["--no-demo", "--urls", "x"]));
        Assert.Equal(["--Ota:Demo:Devices=5000"], ConsoleApp.TranslateFlags(["--simulate", "5000"]));
        Assert.Equal(["--Ota:Demo:Devices=7"], ConsoleApp.TranslateFlags(["--simulate=7"]));
    }
}
