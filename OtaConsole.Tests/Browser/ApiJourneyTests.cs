using OtaConsole.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OtaConsole.Tests.Browser;

/// <summary>The API as an operator meets it in Chromium: the API page, and a script's batch showing live in the console.</summary>
public sealed class ApiJourneyTests(BrowserFixture browser) : IAsyncLifetime
{
    private ConsoleHost _host = null!;
    private ConsolePage _ui = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await ConsoleHost.StartAsync(ConsoleHost.ApiKeys(), realTime: true);
        await _host.ProductAsync();
        _ui = await ConsolePage.OpenAsync(browser, _host);
    }

    public async ValueTask DisposeAsync()
    {
        await _ui.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task The_API_page_shows_the_keys_and_operations_and_a_scripts_batch_appears_in_the_console()
    {
        var page = _ui.Page;
        await _ui.GoAsync("/api-reference");
        await Expect(page.Locator(".api-on")).ToContainTextAsync($"{ConsoleHost.ReadOnlyKeyId} · ReadOnly");
        await Expect(page.Locator(".api-endpoint")).ToHaveTextAsync(_host.BaseUrl + "/api");
        await page.Locator(".api-filter input").FillAsync("ListOTATaskByJob");
        await Expect(page.Locator(".api-operation")).ToHaveCountAsync(1);
        await page.Locator(".api-operation .mud-expand-panel-header").ClickAsync();
        await Expect(page.Locator(".api-parameters")).ToContainTextAsync("CurrentPage × PageSize ≤ 100,000");
        await Expect(page.Locator(".api-operation")).ToContainTextAsync("Any key");
        // The panel opens with a transition; the picture waits for its end.
        await Expect(page.Locator(".api-operation .mud-collapse-entered")).ToHaveCountAsync(1);
        await _ui.ScreenshotAsync("api");

        // A script starts a batch; the operator watches it on the batch's page.
        await _host.ReportedDevicesAsync(3);
        var package = await _host.PackageAsync();
        var jobId = (await _host.Rpc().PostAsync("CreateOTAStaticUpgradeJob", new
        {
            FirmwareId = package.Id, ProductKey = ConsoleHost.ProductKey, TargetSelection = "ALL", Tag = new[] { new { Key = "from", Value = "script" } },
        })).Ok().Data.GetProperty("JobId").GetString();
        await _ui.GoAsync($"/ota/batches/{jobId}");
        await Expect(page.Locator(".batch-status")).ToHaveTextAsync("In upgrade");
        await Expect(page.Locator(".tasks-table tbody tr")).ToHaveCountAsync(3);
    }
}
