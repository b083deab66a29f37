using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Components.Pages;
using OtaConsole.Components.Shared;
using OtaConsole.Core;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Console;

/// <summary>What each role sees, what a page does when its operator loses the right to act, and how live pages follow a burst.</summary>
public sealed class RolePagesTests : ConsoleTestContext
{
    private async Task<string> RunningBatchAsync()
    {
        await H.ProductAsync();
        await H.DevicesAsync(3);
        var p = await H.PackageAsync();
        var batch = await H.BatchAsync(p.Id);
        await H.AdvanceAsync(TimeSpan.FromSeconds(1));
        return batch.BatchId;
    }

    [Fact]
    public async Task A_viewer_sees_the_batch_but_no_button_that_changes_it()
    {
        var batchId = await RunningBatchAsync();

        SignIn.As(OperatorRole.Viewer);
        var viewer = RenderInHost<BatchDetails>(x => x.Add(b => b.BatchId, batchId));

        viewer.WaitForAssertion(() => Assert.Equal(3, viewer.FindAll(".tasks-table tbody tr").Count));
        Assert.Empty(viewer.FindAll("button.cancel-batch"));
        Assert.Empty(viewer.FindAll("button.cancel-task"));
        Assert.NotEmpty(viewer.FindAll("button.view-task")); // the timeline is for everyone
    }

    [Fact]
    public async Task An_operator_sees_the_buttons_a_viewer_does_not()
    {
        var batchId = await RunningBatchAsync();

        var ops = RenderInHost<BatchDetails>(x => x.Add(b => b.BatchId, batchId));

        ops.WaitForAssertion(() => Assert.Equal(3, ops.FindAll("button.cancel-task").Count));
        Assert.Single(ops.FindAll("button.cancel-batch"));
    }

    /// <summary>Product A's running batch, product B with a package, and an Operator scoped to A signed in.</summary>
    private async Task<(string BatchA, UpdatePackage PackageB)> ScopedToOneProductAsync()
    {
        var batchA = await RunningBatchAsync();
        const string other = "a1OtherProd";
        await H.Catalog.CreateProductAsync(Actor.System, "Other product", other);
        var packageB = await H.Packages.CreateAsync(Actor.System, new Core.Packages.CreatePackageRequest
        {
            ProductKey = other, Name = "fw-of-other", DestVersion = "2.0.0", NeedToVerify = false,
            Files = [new Core.Packages.PackageFileUpload("fw.bin", new MemoryStream([1, 2, 3]))],
        });
        var id = SignIn.As(OperatorRole.Operator, "line-a@console.test");
        await using var db = H.Database.CreateDbContext();
        await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ExecuteUpdateAsync(db.Users.Where(u => u.Id == id),
            u => u.SetProperty(x => x.ProductScope, EngineHarness.ProductKey));
        return (batchA, packageB);
    }

    [Fact]
    public async Task A_scoped_operator_s_overview_counts_only_their_product()
    {
        await ScopedToOneProductAsync();
        var home = RenderInHost<Home>();
        home.WaitForAssertion(() => Assert.Equal("1", home.Find(".stat-products").TextContent));
        Assert.Equal("1", home.Find(".stat-packages").TextContent);
    }

    [Fact]
    public async Task A_scoped_operator_s_package_list_holds_only_their_product()
    {
        await ScopedToOneProductAsync();
        var packages = RenderInHost<OtaUpdate>();
        packages.WaitForAssertion(() => Assert.Single(packages.FindAll(".package-name")));
        Assert.DoesNotContain("fw-of-other", packages.Markup);
    }

    [Fact]
    public async Task Another_product_s_package_does_not_exist_for_a_scoped_operator()
    {
        var (_, packageB) = await ScopedToOneProductAsync();
        var missing = RenderInHost<PackageDetails>(x => x.Add(p => p.PackageId, packageB.Id));
        missing.WaitForAssertion(() => Assert.Contains("does not exist", missing.Markup));
        Assert.DoesNotContain("fw-of-other", missing.Markup);
    }

    [Fact]
    public async Task A_viewer_sees_the_packages_but_cannot_add_verify_or_roll_one_out()
    {
        await RunningBatchAsync();
        SignIn.As(OperatorRole.Viewer);

        var packages = RenderInHost<OtaUpdate>();

        packages.WaitForAssertion(() => Assert.NotEmpty(packages.FindAll(".view")));
        Assert.Empty(packages.FindAll(".add-package"));
        Assert.Empty(packages.FindAll(".batch-update"));
    }

    [Fact]
    public async Task A_viewer_s_action_is_refused_by_the_engine_even_when_a_page_offers_it()
    {
        var batchId = await RunningBatchAsync();
        SignIn.As(OperatorRole.Viewer);
        var run = Services.GetRequiredService<Operator>();

        Assert.False(await run.RunAsync(a => H.Engine.CancelBatchAsync(a, batchId)));

        Assert.Equal(BatchStatus.InProgress, (await H.GetBatchAsync(batchId)).Status);
    }

    [Fact]
    public async Task An_operator_disabled_meanwhile_loses_the_page_at_the_next_action_and_it_is_not_done()
    {
        var batchId = await RunningBatchAsync();
        var id = SignIn.As(OperatorRole.Operator);
        await using (var db = H.Database.CreateDbContext())
        {
            var account = db.Users.Single(u => u.Id == id);
            account.DisabledAt = H.Now;
            await db.SaveChangesAsync();
        }
        var run = Services.GetRequiredService<Operator>();

        Assert.False(await run.RunAsync(a => H.Engine.CancelBatchAsync(a, batchId)));

        Assert.Contains("/account/login", Services.GetRequiredService<NavigationManager>().Uri);
        Assert.Equal(BatchStatus.InProgress, (await H.GetBatchAsync(batchId)).Status);
    }

    [Fact]
    public void The_Overview_does_not_re_query_the_fleet_for_progress_alone()
    {
        var none = new HashSet<string>();
        Assert.False(Home.Follows(new OtaChange(none, none, false, TaskBatchIds: new HashSet<string> { "b1" })));
        Assert.True(Home.Follows(new OtaChange(new HashSet<string> { "b1" }, none, false)));
        Assert.True(Home.Follows(new OtaChange(none, none, DevicesChanged: true)));
        Assert.True(Home.Follows(new OtaChange(none, none, false, CatalogChanged: true)));
    }

    [Fact]
    public async Task Batch_Details_follows_progress_in_its_rows_and_a_status_change_in_its_counters()
    {
        var batchId = await RunningBatchAsync();
        await H.ProgressAsync("dev-000", 10);
        var host = RenderInHost<BatchDetails>(x => x.Add(b => b.BatchId, batchId));
        host.WaitForAssertion(() => Assert.Contains("10 %", host.FindAll(".tasks-table tbody tr")[0].TextContent));

        // Progress alone refreshes the rows (the page's header and counters are left as they are)...
        await H.ProgressAsync("dev-000", 40);
        host.WaitForAssertion(() => Assert.Contains("40 %", host.FindAll(".tasks-table tbody tr")[0].TextContent));
        // ...and a status change the counters too.
        await H.VersionAsync("dev-000", "2.0.0");
        host.WaitForAssertion(() => Assert.Contains("Updated: 1", host.Find(".status-filter").TextContent));
        host.WaitForAssertion(() => Assert.Contains("Updated", host.FindAll(".tasks-table tbody tr")[0].TextContent));
    }
}
