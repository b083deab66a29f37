using Microsoft.EntityFrameworkCore;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Security;

/// <summary>
/// Roles are enforced by the core services themselves (a page only hides the buttons), and every command by an
/// operator or a key leaves exactly one audit row: the change, or the refusal and no change.
/// </summary>
public sealed class RoleAndAuditTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private static readonly Actor Viewer = new(ActorKind.Operator, "viewer-id", "viewer@console.test", OperatorRole.Viewer, "10.0.0.7");
    private static readonly Actor Ops = new(ActorKind.Operator, "operator-id", "ops@console.test", OperatorRole.Operator, "10.0.0.8");
    private static readonly Actor ScriptKey = new(ActorKind.ApiKey, "LTAI-script", "LTAI-script", OperatorRole.Operator, "10.0.0.9");

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task A_viewer_is_refused_every_command_by_the_services_and_nothing_changes()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var package = await _h.PackageAsync();
        var batch = await _h.BatchAsync(package.Id);
        var task = await _h.TaskAsync(batch.BatchId, "dev-000");

        Func<Task>[] commands =
        [
            () => _h.Engine.CreateBatchAsync(Viewer, new CreateBatchRequest { PackageId = package.Id }),
            () => _h.Engine.CancelBatchAsync(Viewer, batch.BatchId),
            () => _h.Engine.CancelTaskAsync(Viewer, task.Id),
            () => _h.Engine.UpdatePushRateAsync(Viewer, batch.BatchId, PushRate.Constant(50)),
            () => _h.Engine.UpdateTagsAsync(Viewer, batch.BatchId, [new BatchTag { Key = "k", Value = "v" }]),
            () => _h.Engine.ReupgradeTasksAsync(Viewer, batch.BatchId, [task.Id]),
            () => _h.Engine.ConfirmTasksAsync(Viewer, [task.Id]),
            () => _h.Catalog.CreateProductAsync(Viewer, "Another product"),
            () => _h.Catalog.RegisterDevicesAsync(Viewer, EngineHarness.ProductKey, [new DeviceRegistration("dev-new")]),
            () => _h.Catalog.CreateModuleAsync(Viewer, EngineHarness.ProductKey, "WIFI"),
            () => _h.Packages.CreateAsync(Viewer, new CreatePackageRequest
            {
                ProductKey = EngineHarness.ProductKey, Name = "viewer-fw", DestVersion = "3.0.0", NeedToVerify = false,
                Files = [new PackageFileUpload("fw.bin", new MemoryStream([1, 2, 3]))],
            }),
            () => _h.Packages.DeleteAsync(Viewer, package.Id),
        ];
        foreach (var command in commands)
        {
            var e = await Assert.ThrowsAsync<OtaException>(command);
            Assert.Equal(OtaErrorKind.Forbidden, e.Kind);
            Assert.Contains("Viewer", e.Message);
        }

        await using var db = _h.Database.CreateDbContext();
        Assert.Equal(1, await db.Batches.CountAsync());
        Assert.Equal(1, await db.Products.CountAsync());
        Assert.Equal(2, await db.Devices.CountAsync());
        Assert.Equal(1, await db.Packages.CountAsync());
        Assert.Equal(2, (await _h.GetBatchAsync(batch.BatchId)).Counts.Total);
        // One refusal per command, with who and from where.
        var rows = await db.AuditEntries.OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(commands.Length, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.False(r.Succeeded);
            Assert.Equal("viewer@console.test", r.ActorName);
            Assert.Equal("10.0.0.7", r.Address);
            Assert.Contains("Viewer", r.Error);
        });
    }

    [Fact]
    public async Task Each_command_by_an_operator_or_a_key_leaves_exactly_one_audit_row_with_its_actor()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3);

        var steps = new List<(string Action, Actor Actor, Func<Task> Run)>();
        UpdatePackage? package = null;
        string? batchId = null;
        steps.Add(("product.create", Ops, () => _h.Catalog.CreateProductAsync(Ops, "Second product", "a1second")));
        steps.Add(("module.create", ScriptKey, () => _h.Catalog.CreateModuleAsync(ScriptKey, EngineHarness.ProductKey, "WIFI")));
        steps.Add(("device.register", Ops, () => _h.Catalog.RegisterDevicesAsync(Ops, EngineHarness.ProductKey, [new DeviceRegistration("dev-new")])));
        steps.Add(("package.create", ScriptKey, async () =>
        {
            package = await _h.Packages.CreateAsync(ScriptKey, new CreatePackageRequest
            {
                ProductKey = EngineHarness.ProductKey, Name = "audited-fw", DestVersion = "2.0.0", NeedToVerify = false,
                Files = [new PackageFileUpload("fw.bin", new MemoryStream([1, 2, 3]))],
            });
        }));
        steps.Add(("batch.create", Ops, async () => { batchId = (await _h.Engine.CreateBatchAsync(Ops, new CreateBatchRequest { PackageId = package!.Id })).BatchId; }));
        steps.Add(("batch.edit-rate", ScriptKey, () => _h.Engine.UpdatePushRateAsync(ScriptKey, batchId!, PushRate.Constant(77))));
        steps.Add(("batch.edit-tags", Ops, () => _h.Engine.UpdateTagsAsync(Ops, batchId!, [new BatchTag { Key = "ring", Value = "canary" }])));
        steps.Add(("task.cancel", Ops, async () => { await _h.Engine.CancelTaskAsync(Ops, (await _h.TaskAsync(batchId!, "dev-000")).Id); }));
        steps.Add(("batch.cancel", ScriptKey, () => _h.Engine.CancelBatchAsync(ScriptKey, batchId!)));

        foreach (var (action, actor, run) in steps)
        {
            var before = await AuditCountAsync();
            await run();
            await using var db = _h.Database.CreateDbContext();
            var rows = await db.AuditEntries.OrderBy(a => a.Id).Skip(before).ToListAsync();
            var row = Assert.Single(rows);
            Assert.Equal(action, row.Action);
            Assert.True(row.Succeeded, row.Error);
            Assert.Equal(actor.Kind, row.ActorKind);
            Assert.Equal(actor.Name, row.ActorName);
            Assert.Equal(actor.Address, row.Address);
        }

        await using var check = _h.Database.CreateDbContext();
        var created = await check.AuditEntries.SingleAsync(a => a.Action == "batch.create");
        Assert.Equal(("batch", batchId), (created.TargetType, created.TargetId));
        var rate = await check.AuditEntries.SingleAsync(a => a.Action == "batch.edit-rate");
        Assert.Contains("77/min", rate.Details);
        // Secrets are issued, never written down.
        var registered = await check.AuditEntries.SingleAsync(a => a.Action == "device.register");
        var secret = (await check.Devices.SingleAsync(d => d.DeviceName == "dev-new")).DeviceSecret;
        Assert.DoesNotContain(secret, registered.Details);
        Assert.Contains("dev-new", registered.Details);
    }

    [Fact]
    public async Task A_refused_command_leaves_its_refusal_and_no_change()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var package = await _h.PackageAsync();
        var batch = await _h.BatchAsync(package.Id);

        await Assert.ThrowsAsync<OtaValidationException>(() => _h.Engine.UpdatePushRateAsync(Ops, batch.BatchId, PushRate.Constant(0)));
        await Assert.ThrowsAnyAsync<OtaException>(() => _h.Catalog.CreateProductAsync(Ops, "Test product again", EngineHarness.ProductKey));

        await using var db = _h.Database.CreateDbContext();
        var rows = await db.AuditEntries.OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(["batch.edit-rate", "product.create"], rows.Select(r => r.Action));
        Assert.All(rows, r => Assert.False(r.Succeeded));
        Assert.Contains("MaximumPerMinute", rows[0].Error + rows[0].Details, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(PushRate.Default.PerMinute, (await _h.GetBatchAsync(batch.BatchId)).PushRate.PerMinute);
        Assert.Equal(1, await db.Products.CountAsync());
    }

    [Fact]
    public async Task The_console_s_own_work_is_not_an_operator_s_and_is_not_audited()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(2);
        var package = await _h.PackageAsync();
        await _h.BatchAsync(package.Id);
        await _h.AdvanceAsync(TimeSpan.FromSeconds(3));

        await using var db = _h.Database.CreateDbContext();
        Assert.Equal(0, await db.AuditEntries.CountAsync());
    }

    private async Task<int> AuditCountAsync()
    {
        await using var db = _h.Database.CreateDbContext();
        return await db.AuditEntries.CountAsync();
    }
}
