using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core;
using OtaConsole.Core.Analytics;
using OtaConsole.Core.Api;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Security;

/// <summary>
/// An operator or key scoped to product A works as if product B did not exist: B is in no list, count, search,
/// export or API answer, and every command on it is answered "not found" (and audited as refused), by the services.
/// </summary>
public sealed class ProductScopeTests : IAsyncLifetime
{
    private const string A = ConsoleHost.ProductKey, B = "a1OtherProd";
    private ConsoleHost _c = null!;
    private UpdatePackage _packageA = null!, _packageB = null!;
    private string _batchA = "", _batchB = "";
    private Actor _scoped = null!;
    private string _scopedId = "";

    public async ValueTask InitializeAsync()
    {
        _c = await ConsoleHost.StartAsync();
        await _c.ProductAsync(A);
        await _c.ProductAsync(B);
        await _c.ReportedDevicesAsync(3, prefix: "alpha");
        Assert.Empty((await _c.Catalog.RegisterDevicesAsync(Actor.System, B, [new DeviceRegistration("beta-000"), new DeviceRegistration("beta-001")])).Rejected);
        await _c.Engine.ApplyDeviceEventsAsync([new DeviceConnected(new DeviceKey(B, "beta-000")), new VersionReported(new DeviceKey(B, "beta-000"), OtaModule.Default, "1.0.0")]);
        _packageA = await _c.PackageAsync();
        _packageB = await PackageOfBAsync("fw-of-b");
        _batchA = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = _packageA.Id })).BatchId;
        _batchB = (await _c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = _packageB.Id })).BatchId;
        await _c.DrainAsync();

        _scopedId = await _c.AddOperatorAsync("scoped@console.test", OperatorRole.Operator);
        await _c.Services.GetRequiredService<OperatorAdmin>().SetProductScopeAsync(_c.AdminActor(), _scopedId, [A]);
        _scoped = (await _c.Services.GetRequiredService<OperatorDirectory>().ActorAsync(_scopedId, "10.0.0.5"))!;
    }

    public async ValueTask DisposeAsync() => await _c.DisposeAsync();

    private Task<UpdatePackage> PackageOfBAsync(string name, Actor? actor = null) =>
        _c.Packages.CreateAsync(actor ?? Actor.System, new CreatePackageRequest
        {
            ProductKey = B, Name = name, DestVersion = "2.0.0", NeedToVerify = false,
            Files = [new PackageFileUpload("fw.bin", new MemoryStream([1, 2, 3]))],
        });

    [Fact]
    public void The_scope_is_read_from_the_account()
    {
        Assert.Equal([A], _scoped.Products);
        Assert.True(_scoped.Sees(A));
        Assert.False(_scoped.Sees(B));
    }

    [Fact]
    public async Task Lists_counts_and_searches_hold_only_the_operator_s_products()
    {
        var s = _c.Services;
        Assert.Equal([A], (await _c.Catalog.ListProductsAsync(_scoped)).Select(p => p.ProductKey));
        Assert.Equal(2, (await _c.Catalog.ListProductsAsync(Actor.System)).Count);

        var overview = await s.GetRequiredService<OverviewQueries>().GetAsync(_scoped);
        Assert.Equal((1, 3, 3, 1), (overview.Products, overview.Devices, overview.DevicesOnline, overview.Packages));
        Assert.Equal([_batchA], overview.Running.Select(r => r.Batch.Id));

        var packages = s.GetRequiredService<PackageQueries>();
        Assert.Equal([_packageA.Id], (await packages.ListAsync(_scoped, new PackageFilter())).Items.Select(p => p.Id));
        Assert.Equal(0, (await packages.ListAsync(_scoped, new PackageFilter { Search = "fw-of-b" })).Total);
        Assert.Equal(0, (await packages.ListAsync(_scoped, new PackageFilter { ProductKey = B })).Total);
        Assert.Equal(1, (await packages.ListAsync(Actor.System, new PackageFilter { Search = "fw-of-b" })).Total);
        Assert.Null(await packages.FindAsync(_scoped, _packageB.Id));
        Assert.Equal(0, (await packages.DevicesAsync(_scoped, _packageB.Id, null, 0, 20)).Total);
        Assert.Equal(0, (await packages.DeviceCountsAsync(_scoped, _packageB.Id)).Devices);

        var devices = s.GetRequiredService<DeviceQueries>();
        Assert.Equal(0, (await devices.ListAsync(_scoped, B, null, null, 0, 20)).Total);
        Assert.Equal(3, (await devices.ListAsync(_scoped, A, null, null, 0, 20)).Total);
        Assert.Empty(await devices.NamesAsync(_scoped, B, "beta", 20));
        Assert.Null(await _c.Catalog.FindDeviceAsync(_scoped, B, "beta-000"));
        Assert.Empty(await _c.Catalog.ListModulesAsync(_scoped, B));

        var batches = s.GetRequiredService<BatchQueries>();
        Assert.Null(await batches.FindAsync(_scoped, _batchB));
        Assert.NotNull(await batches.FindAsync(_scoped, _batchA));
        var list = await batches.DeviceListAsync(_scoped, new DeviceListQuery(_batchB));
        Assert.Equal((0, 0), (list.Items.Count, list.Total));
        Assert.Equal(0, (await batches.DeviceListAsync(_scoped, new DeviceListQuery(_batchB) { Search = "beta" })).Total);
        Assert.Empty(await batches.OfPackageAsync(_scoped, _packageB.Id));
        var taskB = await _c.TaskAsync(_batchB, "beta-000");
        Assert.Null(await batches.TimelineAsync(_scoped, taskB.Id));

        var analytics = s.GetRequiredService<AnalyticsService>();
        Assert.Empty(await analytics.VersionDistributionAsync(_scoped, B, OtaModule.Default));
        Assert.Equal(0, (await analytics.DeviceVersionsAsync(_scoped, B, OtaModule.Default, null, 0, 20)).Total);
        Assert.Empty(await analytics.SourceVersionsAsync(_scoped, _packageB.Id));

        var audit = s.GetRequiredService<AuditQueries>();
        Assert.Empty(await audit.BatchHistoryAsync(_scoped, _batchB));
    }

    [Fact]
    public async Task The_batch_export_of_another_product_is_not_found()
    {
        using var http = await _c.SignedInClientAsync("scoped@console.test", ConsoleHost.OperatorPassword);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/ota/batches/{_batchB}/devices.csv")).StatusCode);
        var own = await http.GetAsync($"/ota/batches/{_batchA}/devices.csv");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains("alpha-000", await own.Content.ReadAsStringAsync());

        // The whole audit log names every product: not for a scoped operator (nor its export, which is the Admins').
        await Assert.ThrowsAsync<OtaException>(() => _c.Services.GetRequiredService<AuditQueries>().ListAsync(_scoped, new AuditFilter()));
    }

    [Fact]
    public async Task Every_command_on_another_product_is_refused_as_not_found_and_audited_with_nothing_changed()
    {
        var taskB = await _c.TaskAsync(_batchB, "beta-000");
        Func<Task>[] commands =
        [
            () => _c.Engine.CreateBatchAsync(_scoped, new CreateBatchRequest { PackageId = _packageB.Id }),
            () => _c.Engine.PreviewBatchAsync(_scoped, new CreateBatchRequest { PackageId = _packageB.Id }),
            () => _c.Engine.CancelBatchAsync(_scoped, _batchB),
            () => _c.Engine.CancelTaskAsync(_scoped, taskB.Id),
            () => _c.Engine.UpdatePushRateAsync(_scoped, _batchB, PushRate.Constant(50)),
            () => _c.Engine.ReupgradeTasksAsync(_scoped, _batchB, [taskB.Id]),
            () => _c.Engine.CancelTasksByDeviceAsync(_scoped, B, _packageB.Id, ["beta-000"]),
            () => _c.Catalog.RegisterDevicesAsync(_scoped, B, [new DeviceRegistration("beta-new")]),
            () => _c.Catalog.CreateModuleAsync(_scoped, B, "WIFI"),
            () => _c.Catalog.SetDeviceGroupAsync(_scoped, B, "beta-000", null),
            () => PackageOfBAsync("scoped-fw", _scoped),
            () => _c.Packages.DeleteAsync(_scoped, _packageB.Id),
        ];
        foreach (var command in commands)
        {
            var e = await Assert.ThrowsAsync<OtaException>(command);
            Assert.Equal(OtaErrorKind.NotFound, e.Kind);
            Assert.DoesNotContain("fw-of-b", e.Message);
        }
        // What concerns every product is refused outright.
        Assert.Equal(OtaErrorKind.Forbidden, (await Assert.ThrowsAsync<OtaException>(() => _c.Catalog.CreateProductAsync(_scoped, "Mine"))).Kind);
        Assert.Equal(OtaErrorKind.Forbidden, (await Assert.ThrowsAsync<OtaException>(() => _c.Catalog.CreateGroupAsync(_scoped, "Mine"))).Kind);

        await using var db = _c.Db();
        var batch = await db.Batches.SingleAsync(b => b.Id == _batchB);
        Assert.Equal(BatchStatus.InProgress, batch.Status);
        Assert.Equal(PushRate.Default.PerMinute, batch.PushRate.PerMinute);
        Assert.Equal(1, await db.Batches.CountAsync(b => b.PackageId == _packageB.Id));
        Assert.Equal(2, await db.Devices.CountAsync(d => d.ProductKey == B));
        Assert.Equal(1, await db.Packages.CountAsync(p => p.ProductKey == B));
        var refusals = await db.AuditEntries.Where(a => a.ActorId == _scopedId).ToListAsync();
        // Every command but the preview (a read) left its refusal.
        Assert.Equal(commands.Length - 1 + 2, refusals.Count);
        Assert.All(refusals, a => Assert.False(a.Succeeded));

        // Its own product works as before.
        await _c.Engine.UpdatePushRateAsync(_scoped, _batchA, PushRate.Constant(50));
        Assert.Equal(50, (await db.Batches.AsNoTracking().SingleAsync(b => b.Id == _batchA)).PushRate.PerMinute);
    }

    [Fact]
    public async Task A_key_scoped_to_a_product_sees_and_touches_only_that_product_through_the_api()
    {
        var key = await _c.Services.GetRequiredService<ApiKeyStore>().CreateAsync(_c.AdminActor(), "line A", ApiRole.Full, [A]);
        var api = _c.Rpc(key.Id, key.Secret);

        var firmware = (await api.PostAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 100 })).Ok();
        Assert.Equal(1, firmware["Total"].GetInt32());
        Assert.DoesNotContain(_packageB.Id, firmware.Body);

        var job = await api.PostAsync("QueryOTAJob", new { JobId = _batchB });
        Assert.False(job.Success);
        Assert.Contains("NotFound", job.Code);
        Assert.True((await api.PostAsync("QueryOTAJob", new { JobId = _batchA })).Ok().Success);

        var devices = await api.PostAsync("QueryDevice", new { ProductKey = B, CurrentPage = 1, PageSize = 10 });
        Assert.False(devices.Success);
        Assert.DoesNotContain("beta-000", devices.Body);

        var cancel = await api.PostAsync("CancelOTAStrategyByJob", new { JobId = _batchB });
        Assert.False(cancel.Success);
        Assert.Contains("NotFound", cancel.Code);
        await using var db = _c.Db();
        Assert.Equal(BatchStatus.InProgress, (await db.Batches.SingleAsync(b => b.Id == _batchB)).Status);

        // The same request with an unscoped key sees both products.
        var everyProduct = await _c.Services.GetRequiredService<ApiKeyStore>().CreateAsync(_c.AdminActor(), "all lines", ApiRole.ReadOnly);
        Assert.Equal(2, (await _c.Rpc(everyProduct.Id, everyProduct.Secret).PostAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 100 })).Ok()["Total"].GetInt32());
    }

    [Fact]
    public async Task A_key_in_settings_is_scoped_by_its_products_list()
    {
        var settings = ConsoleHost.ApiKeys();
        settings["Ota:Api:AccessKeys:2:Id"] = "LTAI-line-b";
        settings["Ota:Api:AccessKeys:2:Secret"] = "line-b-secret";
        settings["Ota:Api:AccessKeys:2:Role"] = "ReadOnly";
        settings["Ota:Api:AccessKeys:2:Products:0"] = B;
        await using var host = await ConsoleHost.StartAsync(settings);
        await host.ProductAsync(A);
        await host.ProductAsync(B);
        await host.PackageAsync();

        var lineB = (await host.Rpc("LTAI-line-b", "line-b-secret").PostAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 100 })).Ok();
        Assert.Equal(0, lineB["Total"].GetInt32());
        Assert.Equal(1, (await host.Rpc().PostAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 100 })).Ok()["Total"].GetInt32());
    }

    [Fact]
    public async Task A_scope_names_existing_products_and_an_admin_is_never_scoped()
    {
        var admin = _c.Services.GetRequiredService<OperatorAdmin>();
        var e = await Assert.ThrowsAsync<OtaValidationException>(() => admin.SetProductScopeAsync(_c.AdminActor(), _scopedId, ["a1NoSuchOne"]));
        Assert.Contains("a1NoSuchOne", e.Message);
        var directory = _c.Services.GetRequiredService<OperatorDirectory>();
        Assert.Equal([A], (await directory.ActorAsync(_scopedId, null))!.Products);

        await admin.SetRoleAsync(_c.AdminActor(), _scopedId, OperatorRole.Admin);
        Assert.True((await directory.ActorAsync(_scopedId, null))!.SeesAllProducts);

        await admin.SetRoleAsync(_c.AdminActor(), _scopedId, OperatorRole.Viewer);
        await admin.SetProductScopeAsync(_c.AdminActor(), _scopedId, []);
        Assert.True((await directory.ActorAsync(_scopedId, null))!.SeesAllProducts);
    }
}
