using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OtaConsole.Tests.Browser;

/// <summary>Signing in, roles and a revoked session as an operator meets them in Chromium.</summary>
public sealed class AccessJourneyTests(BrowserFixture browser) : IAsyncLifetime
{
    private ConsoleHost _host = null!;

    public async ValueTask InitializeAsync() =>
        // Open pages re-check their operator every second here (every two minutes by default).
        _host = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Auth:RevalidateEvery"] = "00:00:01" }, realTime: true);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_browser_without_a_session_lands_on_the_sign_in_page_and_returns_where_it_was_going()
    {
        await using var ui = await ConsolePage.OpenAsync(browser, _host, email: null);
        await ui.Page.GotoAsync(_host.BaseUrl + "/ota");
        await Expect(ui.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login\\?ReturnUrl=%2Fota$"));
        await Expect(ui.Page.Locator("button.sign-in")).ToBeVisibleAsync();
        await ui.ScreenshotAsync("sign-in");

        await ui.Page.FillAsync("#email", ConsoleHost.AdminEmail);
        await ui.Page.FillAsync("#password", "not the password");
        await ui.Page.ClickAsync("button.sign-in");
        await Expect(ui.Page.Locator(".sign-in-error")).ToContainTextAsync("Wrong email or password.");

        await ui.Page.FillAsync("#email", ConsoleHost.AdminEmail);
        await ui.Page.FillAsync("#password", ConsoleHost.AdminPassword);
        await ui.Page.ClickAsync("button.sign-in");
        await ui.ReadyAsync();
        await Expect(ui.Page).ToHaveURLAsync(_host.BaseUrl + "/ota");
        await Expect(ui.Page.Locator(".signed-in-as")).ToContainTextAsync($"{ConsoleHost.AdminEmail} · Admin");
    }

    [Fact]
    public async Task A_viewer_watches_a_batch_without_its_buttons_and_loses_the_page_when_an_admin_disables_the_account()
    {
        await _host.ProductAsync();
        await _host.ReportedDevicesAsync(3);
        var package = await _host.PackageAsync();
        var batch = await _host.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = Core.Model.PushRate.Constant(10) });
        var viewerId = await _host.AddOperatorAsync("viewer@console.test", OperatorRole.Viewer);

        await using var ui = await ConsolePage.OpenAsync(browser, _host, "viewer@console.test", ConsoleHost.OperatorPassword);
        await ui.GoAsync($"/ota/batches/{batch.BatchId}");
        await Expect(ui.Page.Locator(".tasks-table tbody tr")).ToHaveCountAsync(3);
        await Expect(ui.Page.Locator("button.cancel-batch")).ToHaveCountAsync(0);
        await Expect(ui.Page.Locator("button.cancel-task")).ToHaveCountAsync(0);
        await Expect(ui.Page.Locator("button.view-task")).ToHaveCountAsync(3);
        await Expect(ui.Page.Locator(".signed-in-as")).ToContainTextAsync("viewer@console.test · Viewer");
        // A page only Operators may use says so instead of showing its form.
        await ui.GoAsync($"/ota/packages/{package.Id}/batch");
        await Expect(ui.Page.Locator(".not-allowed")).ToBeVisibleAsync();
        await Expect(ui.Page.Locator("button.start-batch")).ToHaveCountAsync(0);

        await ui.GoAsync($"/ota/batches/{batch.BatchId}");
        await Expect(ui.Page.Locator(".tasks-table tbody tr")).ToHaveCountAsync(3);
        await _host.Services.GetRequiredService<OperatorAdmin>().SetDisabledAsync(_host.AdminActor(), viewerId, true);

        // The open page closes by itself at its next check: the browser is sent to sign in.
        await Expect(ui.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"), new() { Timeout = 15_000 });
    }

    [Fact]
    public async Task An_operator_scoped_to_one_product_finds_nothing_of_another_in_the_browser()
    {
        await _host.ProductAsync();
        await _host.ProductAsync("a1OtherProd");
        await _host.ReportedDevicesAsync(2);
        var own = await _host.PackageAsync();
        var other = await _host.Packages.CreateAsync(Actor.System, new Core.Packages.CreatePackageRequest
        {
            ProductKey = "a1OtherProd", Name = "fw-of-other", DestVersion = "2.0.0", NeedToVerify = false,
            Files = [new Core.Packages.PackageFileUpload("fw.bin", new MemoryStream([1, 2, 3]))],
        });
        var id = await _host.AddOperatorAsync("line-a@console.test", OperatorRole.Operator);

        // An Admin limits the operator to the first product on the Operators page.
        await using (var admin = await ConsolePage.OpenAsync(browser, _host))
        {
            await admin.GoAsync("/operators");
            var row = admin.Page.Locator(".operators-table tbody tr", new() { HasText = "line-a@console.test" });
            await row.Locator(".operator-products").ClickAsync();
            await admin.Page.Locator(".mud-popover-open .mud-list-item", new() { HasText = ConsoleHost.ProductKey }).ClickAsync();
            await Expect(admin.Page.Locator(".mud-snackbar")).ToContainTextAsync($"works on {ConsoleHost.ProductKey} only");
        }
        Assert.Equal([ConsoleHost.ProductKey], (await _host.Services.GetRequiredService<OperatorDirectory>().ActorAsync(id, null))!.Products);

        await using var ui = await ConsolePage.OpenAsync(browser, _host, "line-a@console.test", ConsoleHost.OperatorPassword);
        await ui.GoAsync("/ota");
        await Expect(ui.Page.Locator(".package-name")).ToHaveCountAsync(1);
        await Expect(ui.Page.Locator(".package-name")).ToHaveTextAsync(own.Name);
        await ui.GoAsync($"/ota/packages/{other.Id}");
        await Expect(ui.Page.GetByText($"Update package {other.Id} does not exist.")).ToBeVisibleAsync();
        await Expect(ui.Page.GetByText("fw-of-other")).ToHaveCountAsync(0);
        await ui.GoAsync("/");
        await Expect(ui.Page.Locator(".stat-products")).ToHaveTextAsync("1");
    }

    [Fact]
    public async Task An_admin_adds_an_operator_and_the_audit_log_shows_it()
    {
        await using var ui = await ConsolePage.OpenAsync(browser, _host);
        await ui.GoAsync("/operators");
        await ui.Page.Locator(".new-email input").FillAsync("ops@console.test");
        await ui.Page.Locator(".new-password input").FillAsync("Ops-password-12");
        await ui.Page.ClickAsync("button.add-operator");
        await Expect(ui.Page.Locator(".operators-table")).ToContainTextAsync("ops@console.test");

        await ui.GoAsync("/audit");
        await Expect(ui.Page.Locator(".audit-table tbody")).ToContainTextAsync("operator.create");
        await Expect(ui.Page.Locator(".audit-table tbody")).ToContainTextAsync("ops@console.test");
        await ui.ScreenshotAsync("audit-log");
    }
}
