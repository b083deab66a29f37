using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence.Postgres;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Persistence;

/// <summary>Pages on every node: what one console node commits reaches the change feed of another through PostgreSQL's NOTIFY.</summary>
public sealed class ChangeRelayTests
{
    [Fact]
    public void A_change_naming_many_ids_is_split_into_notifications_that_fit_and_add_up_to_it()
    {
        var batches = Enumerable.Range(0, 1_000).Select(i => $"batch-{i:D6}-ünï").ToHashSet();
        var change = new OtaChange(batches, new HashSet<string> { "pkg-1" }, DevicesChanged: true, CatalogChanged: false, TaskBatchIds: batches);

        var payloads = PostgresChangeRelay.Payloads("me", change);

        Assert.True(payloads.Count > 1);
        Assert.All(payloads, p => Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(p), 1, 7_999));
        var parsed = payloads.Select(p => PostgresChangeRelay.Parse(p)!.Value).ToList();
        Assert.All(parsed, p => Assert.Equal("me", p.Origin));
        var merged = parsed.Select(p => p.Change).Aggregate((a, b) => a.Merge(b));
        Assert.True(merged.BatchIds.SetEquals(batches));
        Assert.True(merged.TaskBatchIds.SetEquals(batches));
        Assert.Equal(["pkg-1"], merged.PackageIds);
        Assert.True(merged.DevicesChanged);
        Assert.False(merged.CatalogChanged);
    }

    [Fact]
    public void A_notification_that_is_not_ours_is_ignored()
    {
        Assert.Null(PostgresChangeRelay.Parse("not json"));
        Assert.Null(PostgresChangeRelay.Parse("null"));
    }

    [Fact]
    public async Task A_batch_created_on_one_node_reaches_the_change_feed_of_another()
    {
        Assert.SkipUnless(TestDatabase.IsPostgres, "several nodes share a PostgreSQL database (OTA_TEST_DATABASE=postgres)");
        await using var a = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Rollout:NodeId"] = "node-a" });
        await using var b = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Rollout:NodeId"] = "node-b" }, folder: a.Folder);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<OtaChange>();
        var arrived = new SemaphoreSlim(0);
        using var _ = b.Feed.Subscribe(c =>
        {
            seen.Enqueue(c);
            arrived.Release();
        });

        await a.ProductAsync();
        await WaitAsync(() => seen.Any(c => c.CatalogChanged));

        await a.ReportedDevicesAsync(3);
        var package = await a.PackageAsync();
        var batch = await a.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(60) });
        await WaitAsync(() => seen.Any(c => c.BatchIds.Contains(batch.BatchId)));

        async Task WaitAsync(Func<bool> done)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!done())
                Assert.True(await arrived.WaitAsync(deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero), "the other node's change never arrived");
        }
    }
}
