using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;
using static Microsoft.Playwright.Assertions;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Browser;

/// <summary>
/// The console in Debian's Chromium against the real app: embedded broker, SQLite file, and a simulated fleet of
/// devices speaking the Alibaba protocol over MQTT, on the real clock.
/// </summary>
public sealed class OperatorJourneyTests(BrowserFixture browser) : IAsyncLifetime
{
    private ConsoleHost _host = null!;
    private ConsolePage _ui = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await ConsoleHost.StartAsync(realTime: true);
        await _host.ProductAsync();
        _ui = await ConsolePage.OpenAsync(browser, _host);
    }

    public async ValueTask DisposeAsync()
    {
        await _ui.DisposeAsync();
        await _host.DisposeAsync();
    }

    private async Task<List<SimDeviceSpec>> FleetAsync(int online, int offline = 0)
    {
        var specs = await _host.RegisterAsync(online + offline);
        foreach (var spec in specs.Take(online))
        {
            var d = _host.Device(spec, downloadTime: TimeSpan.FromMilliseconds(300));
            Assert.True(await d.ConnectAsync());
        }
        await _host.WaitForAsync(async () => (await _host.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, specs[online - 1].Key.DeviceName))!.ModuleVersions.Count > 0, what: "the fleet's version reports");
        return specs;
    }

    [Fact]
    public async Task An_operator_uploads_verifies_and_rolls_out_a_package_and_watches_it_land()
    {
        await FleetAsync(online: 6);
        var page = _ui.Page;

        // Upload a package that needs verifying.
        await _ui.GoAsync("/ota");
        await page.Locator("button.add-package").ClickAsync();
        await _ui.SelectAsync("package-product", ConsoleHost.ProductKey);
        await page.Locator(".package-name input").FillAsync("sensor-fw");
        await page.Locator(".package-version input").FillAsync("2.0.0");
        await page.Locator(".package-verify input").CheckAsync();
        var file = Path.Combine(_host.Folder, "sensor-fw-2.0.0.bin");
        await File.WriteAllBytesAsync(file, Enumerable.Range(0, 64 * 1024).Select(i => (byte)i).ToArray());
        await page.Locator(".package-files input[type=file]").SetInputFilesAsync(file);
        await Expect(page.Locator(".package-file")).ToContainTextAsync("sensor-fw-2.0.0.bin");
        await page.Locator("button.upload").ClickAsync();
        await Expect(page.Locator(".uploaded-files")).ToContainTextAsync("64 KB");
        // The snackbar saying so covers none of the dialog's buttons.
        await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Package uploaded");
        var snack = await page.Locator(".mud-snackbar").First.BoundingBoxAsync();
        foreach (var button in await page.Locator(".mud-dialog button").AllAsync())
            Assert.False(Overlaps(snack!, (await button.BoundingBoxAsync())!), "the snackbar covers a dialog button");
        await page.Locator("button.done").ClickAsync();
        var row = page.Locator(".packages-table tbody tr").Filter(new() { HasText = "sensor-fw" });
        await Expect(row.Locator(".package-status")).ToHaveTextAsync("Unverified");

        // Verify it on one device; the device really downloads and installs it.
        await row.Locator("button.verify").ClickAsync();
        await page.Locator(".verify-device input").FillAsync("dev-000");
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "dev-000" }).ClickAsync();
        await Expect(page.Locator(".verify-devices")).ToContainTextAsync("dev-000");
        await page.Locator("button.start-verify").ClickAsync();
        await Expect(row.Locator(".package-status")).ToHaveTextAsync("Verified", new() { Timeout = 60_000 });
        await _ui.ScreenshotAsync("update-packages");

        // Data analysis before the rollout: one device on 2.0.0, five on 1.0.0.
        await row.Locator("a.view").ClickAsync();
        await page.Locator(".mud-tab").Filter(new() { HasText = "Data analysis" }).ClickAsync();
        await Expect(DevicesOn("2.0.0")).ToHaveTextAsync("1");
        await Expect(DevicesOn("1.0.0")).ToHaveTextAsync("5");

        // A batch update to all devices: the preview says what it will do, then it starts.
        await page.Locator("a.batch-update").ClickAsync();
        await page.Locator("button.preview-button").ClickAsync();
        await Expect(page.Locator(".preview")).ToContainTextAsync("already on the destination version");
        await _ui.ScreenshotAsync("new-batch-preview");
        await page.Locator("button.start-batch").ClickAsync();
        await Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Push 2.0.0 to 5 devices at 10,000 a minute");
        await _ui.ScreenshotAsync("start-confirmation");
        await page.Locator(".mud-dialog button").Filter(new() { HasText = "Start" }).ClickAsync();
        await Expect(page.Locator(".batch-status")).ToBeVisibleAsync();
        Assert.Contains("/ota/batches/", page.Url);
        await Expect(page.Locator(".filter-Succeeded")).ToHaveTextAsync("Updated: 5", new() { Timeout = 60_000 });
        await Expect(page.Locator(".batch-status")).ToHaveTextAsync("Completed");
        await _ui.ScreenshotAsync("batch-details");

        // The distribution has moved, live from the devices' reports.
        await page.Locator(".mud-breadcrumbs a").Filter(new() { HasText = "sensor-fw" }).ClickAsync();
        await page.Locator(".mud-tab").Filter(new() { HasText = "Data analysis" }).ClickAsync();
        await Expect(DevicesOn("2.0.0")).ToHaveTextAsync("6");
        await Expect(DevicesOn("1.0.0")).ToHaveCountAsync(0);
        await Expect(page.Locator(".success-rate")).ToContainTextAsync("100");
        await _ui.ScreenshotAsync("data-analysis");

        await _ui.GoAsync("/");
        await Expect(page.Locator(".stat-online")).ToHaveTextAsync("6 / 6");
        await _ui.ScreenshotAsync("overview");
    }

    [Fact]
    public async Task A_running_batch_gets_a_new_push_rate_and_tags_and_is_cancelled()
    {
        var specs = await FleetAsync(online: 3, offline: 2);
        var package = await _host.PackageAsync();
        var batch = await _host.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest
        {
            PackageId = package.Id,
            Name = "night-rollout",
            Target = TargetSelection.All,
            PushRate = PushRate.Constant(1000),
            Tags = [new BatchTag { Key = "channel", Value = "beta" }],
        });
        var page = _ui.Page;

        await _ui.GoAsync($"/ota/batches/{batch.BatchId}");
        await Expect(page.Locator(".filter-Succeeded")).ToHaveTextAsync("Updated: 3", new() { Timeout = 60_000 });
        await Expect(Row(specs[4].Key.DeviceName)).ToContainTextAsync("To Be Pushed (Device Offline)");
        await Expect(page.Locator(".batch-status")).ToHaveTextAsync("In upgrade");

        await page.Locator(".mud-tab").Filter(new() { HasText = "Batch information" }).ClickAsync();
        await page.Locator("button.edit-rate").ClickAsync();
        await page.Locator(".rate-per-minute input").FillAsync("500");
        await page.Locator(".tag-value input").First.FillAsync("stable");
        await page.Locator("button.save-batch").ClickAsync();
        await Expect(page.Locator(".batch-rate")).ToHaveTextAsync("500/min");
        await Expect(page.Locator(".batch-tags")).ToContainTextAsync("stable");
        var saved = (await _host.Services.GetRequiredService<BatchQueries>().FindAsync(Actor.System, batch.BatchId))!;
        Assert.Equal(500, saved.PushRate.PerMinute);
        Assert.Equal("stable", saved.Tags.Single().Value);

        await page.Locator("button.cancel-batch").ClickAsync();
        await Expect(page.Locator(".cancel-explanation").First).ToContainTextAsync("To Be Pushed");
        await page.Locator("button.confirm-cancel").ClickAsync();
        await Expect(page.Locator(".batch-status")).ToHaveTextAsync("Canceled");
        await page.Locator(".mud-tab").Filter(new() { HasText = "Device List" }).ClickAsync();
        await Expect(page.Locator(".filter-Canceled")).ToHaveTextAsync("Canceled: 2");

        // A cancelled device that comes online is not pushed.
        var late = _host.Device(specs[4]);
        Assert.True(await late.ConnectAsync());
        await _host.DrainAsync();
        Assert.Equal(OtaTaskStatus.Canceled, (await _host.TaskAsync(batch.BatchId, specs[4].Key.DeviceName)).Status);
    }

    [Fact]
    public async Task An_operator_rolls_out_in_three_waves_approves_the_second_sees_the_pause_when_failures_come_and_resumes()
    {
        // Wave 1: two healthy devices; wave 2: four, on approval; wave 3: the rest, whose first three fail with -3.
        var specs = await _host.RegisterAsync(16);
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = i is >= 6 and < 9 ? specs[i] with { Failure = OtaConsole.Core.Simulation.SimFailure.VerifyFailed } : specs[i];
            Assert.True(await _host.Device(spec, downloadTime: TimeSpan.FromMilliseconds(200)).ConnectAsync());
        }
        await _host.WaitForAsync(async () => (await _host.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, specs[^1].Key.DeviceName))!.ModuleVersions.Count > 0, what: "the fleet's version reports");
        var package = await _host.PackageAsync();
        var page = _ui.Page;

        await _ui.GoAsync($"/ota/packages/{package.Id}/batch");
        await page.Locator(".rate-per-minute input").FillAsync("60");
        await page.Locator(".waves input").CheckAsync();
        for (var (row, size) = (0, "2"); row < 2; (row, size) = (row + 1, "4"))
        {
            await _ui.ChooseAsync(page.Locator(".wave-size-kind").Nth(row), "Devices");
            await page.Locator(".wave-size input").Nth(row).FillAsync(size);
            await page.Locator(".wave-success input").Nth(row).FillAsync("100");
            await page.Locator(".wave-soak input").Nth(row).FillAsync("0");
        }
        await page.Locator(".wave-approval input").Nth(0).CheckAsync();
        await page.Locator(".auto-pause input").CheckAsync();
        await _ui.SelectAsync("rule-scope", "Each wave");
        await page.Locator(".rule-threshold input").FillAsync("30");
        await page.Locator(".rule-min-ended input").FillAsync("3");
        await Expect(page.Locator(".preview-waves")).ToHaveTextAsync("2 · 4 · 10");
        await _ui.ScreenshotAsync("new-batch-waves");
        await page.Locator("button.start-batch").ClickAsync();
        await Expect(page.Locator(".mud-dialog")).ToContainTextAsync("In 3 waves of 2, 4, 10 devices");
        await page.Locator(".mud-dialog button").Filter(new() { HasText = "Start" }).ClickAsync();

        // The first wave passes; the second waits for the operator.
        await Expect(page.Locator(".wave-1 .wave-state")).ToHaveTextAsync("Passed", new() { Timeout = 60_000 });
        await Expect(page.Locator(".wave-2 .wave-state")).ToHaveTextAsync("Awaiting approval");
        await Expect(page.Locator(".wave-3 .wave-state")).ToHaveTextAsync("Waiting");
        await _ui.ScreenshotAsync("batch-waves");
        await page.Locator("button.start-next-wave").ClickAsync();
        await page.Locator(".mud-dialog button").Filter(new() { HasText = "Start" }).ClickAsync();

        // The second passes, the third starts by itself, and its failures pause the batch.
        await Expect(page.Locator(".pause-banner")).ToContainTextAsync("met in wave 3: ", new() { Timeout = 60_000 });
        await Expect(page.Locator(".batch-status")).ToHaveTextAsync("Paused");
        await Expect(page.Locator(".wave-2 .wave-state")).ToHaveTextAsync("Passed");
        await _ui.ScreenshotAsync("batch-paused");
        var batchId = page.Url.Split('/')[^1].Split('?')[0];
        var paused = (await _host.Services.GetRequiredService<BatchQueries>().FindAsync(Actor.System, batchId))!;
        Assert.True(paused.Counts.Queued > 0, "the pause held devices back");

        // The operator resumes: the rules count afresh and the healthy rest updates.
        await page.Locator("button.resume-batch").ClickAsync();
        await Expect(page.Locator(".filter-Succeeded")).ToHaveTextAsync("Updated: 13", new() { Timeout = 60_000 });
        await Expect(page.Locator(".batch-status")).ToHaveTextAsync("Completed, 3 of 16 failed");
        await Expect(page.Locator(".filter-Failed")).ToHaveTextAsync("Update Failed: 3");
    }

    /// <summary>The "Total devices" cell of a version in the Data analysis table.</summary>
    private ILocator DevicesOn(string version) =>
        _ui.Page.Locator(".versions-table tbody tr")
            .Filter(new() { Has = _ui.Page.Locator("td:first-child", new() { HasTextRegex = new($"^{System.Text.RegularExpressions.Regex.Escape(version)}$") }) })
            .Locator("td:nth-child(2)");

    private ILocator Row(string device) => _ui.Page.Locator(".tasks-table tbody tr").Filter(new() { HasText = device });

    private static bool Overlaps(Microsoft.Playwright.LocatorBoundingBoxResult a, Microsoft.Playwright.LocatorBoundingBoxResult b) =>
        a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height;
}
