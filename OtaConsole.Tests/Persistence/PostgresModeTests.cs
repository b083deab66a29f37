using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Persistence;

/// <summary>What changes when the console runs on PostgreSQL, where several nodes may start on one database.</summary>
public sealed class PostgresModeTests
{
    [Fact]
    public async Task No_node_seeds_or_simulates_the_demo_on_PostgreSQL()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "the PostgreSQL mode (OTA_TEST_DATABASE=postgres)");
        await using var a = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Demo:Devices"] = "5", ["Ota:Rollout:NodeId"] = "node-a" });

        await a.WaitForAsync(() => Task.FromResult(a.Logs.Lines.Any(l => l.Message.Contains("No demo fleet on PostgreSQL"))), advanceClock: false, what: "the demo's decision");
        Assert.Null(await a.Catalog.FindProductAsync(Actor.System, OtaConsole.Demo.DemoFleet.ProductKey));
    }
}
