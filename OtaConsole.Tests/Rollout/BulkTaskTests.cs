using Microsoft.EntityFrameworkCore;
using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

public sealed class BulkTaskTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static readonly Actor Operator = new(ActorKind.Operator, "op@console.test", "op@console.test", OperatorRole.Operator);

    [Fact]
    public async Task Cancelling_all_matching_goes_in_chunks_each_one_audited_and_leaves_the_rest()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(450);
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id, r => r with { PushRate = PushRate.Constant(10) })).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(6)); // a few pushed; the rest To Be Pushed
        var queued = (await _h.TasksAsync(id)).Count(t => t.Status == OtaTaskStatus.Queued);

        var result = await _h.Engine.BulkAsync(Operator, id, BulkTaskAction.Cancel, null, new DeviceListQuery(id) { Status = OtaTaskStatus.Queued });

        Assert.Equal((queued, 0), (result.Done, result.SkippedCount));
        var tasks = await _h.TasksAsync(id);
        Assert.Equal(queued, tasks.Count(t => t.Status == OtaTaskStatus.Canceled));
        Assert.Equal(450 - queued, tasks.Count(t => t.Status == OtaTaskStatus.Notified));
        await using var db = _h.Database.CreateDbContext();
        Assert.Equal((queued + BulkTaskCommands.Chunk - 1) / BulkTaskCommands.Chunk, await db.AuditEntries.CountAsync(a => a.Action == "task.bulk-cancel" && a.Succeeded));
    }

    [Fact]
    public async Task Selected_rows_that_may_not_take_the_action_are_skipped_and_counted_with_why()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(4);
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.VersionAsync("dev-000", "2.0.0");
        var ids = (await _h.TasksAsync(id)).Select(t => t.Id).ToList();

        var result = await _h.Engine.BulkAsync(Operator, id, BulkTaskAction.Cancel, [.. ids, 999_999], null);

        Assert.Equal(3, result.Done);
        Assert.Equal(new Dictionary<string, int> { ["already ended"] = 1, ["no longer in the batch"] = 1 }, result.Skipped);
        Assert.Equal(OtaTaskStatus.Succeeded, (await _h.TaskAsync(id, "dev-000")).Status);
    }

    [Fact]
    public async Task Retrying_all_failed_updates_them_again_except_a_device_busy_with_another_batch()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(4);
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        foreach (var d in new[] { "dev-000", "dev-001", "dev-002" })
            await _h.ProgressAsync(d, -1);
        await _h.VersionAsync("dev-003", "2.0.0");
        var other = await _h.PackageAsync("3.0.0");
        await _h.BatchAsync(other.Id, r => r with { Target = TargetSelection.Specific, DeviceNames = ["dev-002"] });

        var result = await _h.Engine.BulkAsync(Operator, id, BulkTaskAction.Reupgrade, null, new DeviceListQuery(id) { Status = OtaTaskStatus.Failed });

        Assert.Equal(2, result.Done);
        Assert.Equal(new Dictionary<string, int> { ["busy with another update"] = 1 }, result.Skipped);
        Assert.Equal(OtaTaskStatus.Failed, (await _h.TaskAsync(id, "dev-002")).Status);
        Assert.NotEqual(OtaTaskStatus.Failed, (await _h.TaskAsync(id, "dev-000")).Status);
        Assert.Equal(BatchStatus.InProgress, (await _h.GetBatchAsync(id)).Status);
    }

    [Fact]
    public async Task Confirming_all_pending_confirmation_queues_them_and_a_viewer_or_another_product_may_not()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3);
        var p = await _h.PackageAsync();
        var id = (await _h.BatchAsync(p.Id, r => r with { NeedConfirm = true })).BatchId;

        var result = await _h.Engine.BulkAsync(Operator, id, BulkTaskAction.Confirm, null, new DeviceListQuery(id) { Status = OtaTaskStatus.Confirm });

        Assert.Equal(3, result.Done);
        Assert.DoesNotContain(await _h.TasksAsync(id), t => t.Status == OtaTaskStatus.Confirm);
        var viewer = Operator with { Role = OperatorRole.Viewer };
        await Assert.ThrowsAsync<OtaException>(() => _h.Engine.BulkAsync(viewer, id, BulkTaskAction.Cancel, null, new DeviceListQuery(id)));
        var elsewhere = Operator with { Products = ["a1OtherProd"] };
        Assert.Equal("JobNotFound", (await Assert.ThrowsAsync<OtaException>(() => _h.Engine.BulkAsync(elsewhere, id, BulkTaskAction.Cancel, null, new DeviceListQuery(id)))).Code);
        Assert.DoesNotContain(await _h.TasksAsync(id), t => t.Status == OtaTaskStatus.Canceled);
    }
}
