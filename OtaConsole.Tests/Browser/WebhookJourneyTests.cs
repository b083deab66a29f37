using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OtaConsole.Tests.Browser;

/// <summary>An Admin sets up a webhook in Chromium and tests it against a real receiver that checks the signature.</summary>
public sealed class WebhookJourneyTests(BrowserFixture browser) : IAsyncLifetime
{
    private ConsoleHost _host = null!;
    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await ConsoleHost.StartAsync(realTime: true);
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task An_admin_adds_a_subscription_tests_it_reads_its_deliveries_and_turns_it_off()
    {
        await using var ui = await ConsolePage.OpenAsync(browser, _host);
        await ui.GoAsync("/webhooks");
        // A secret too short is refused at its field, and nothing is added.
        await ui.Page.Locator(".hook-name input").FillAsync("ops-chat");
        await ui.Page.Locator(".hook-url input").FillAsync(_receiver.Url);
        await ui.Page.Locator(".hook-secret input").FillAsync("short");
        await ui.Page.ClickAsync("button.create-hook");
        await Expect(ui.Page.Locator(".hook-secret")).ToContainTextAsync("16");
        await Expect(ui.Page.Locator(".hooks-table tbody tr.mud-table-row")).ToHaveCountAsync(0);

        await ui.Page.Locator(".hook-secret input").FillAsync(_receiver.Secret);
        await ui.Page.ClickAsync(".hook-device-events input");
        await ui.Page.ClickAsync("button.create-hook");
        var row = ui.Page.Locator(".hooks-table tbody tr", new() { HasText = "ops-chat" });
        await Expect(row).ToContainTextAsync("+ device events");
        await Expect(row.Locator(".hook-state")).ToHaveTextAsync("on");

        await row.Locator("button.ping-hook").ClickAsync();
        await Expect(ui.Page.Locator(".ping-result")).ToContainTextAsync("HTTP 200");
        var ping = Assert.Single(_receiver.Requests);
        Assert.True(ping.SignatureValid);
        Assert.Equal("io.otaconsole.ping", ping.Events.Single().GetProperty("type").GetString());

        await row.Locator("button.show-deliveries").ClickAsync();
        var delivery = ui.Page.Locator(".deliveries-table tbody tr.mud-table-row");
        await Expect(delivery).ToHaveCountAsync(1);
        await Expect(delivery).ToContainTextAsync(ping.DeliveryId[..8]);
        await Expect(delivery.Locator(".delivery-status")).ToHaveTextAsync("Delivered");
        await delivery.ClickAsync();
        await Expect(ui.Page.Locator(".attempts-table tbody tr")).ToContainTextAsync("HTTP 200");

        await row.Locator("button.toggle-hook").ClickAsync();
        await Expect(row.Locator(".hook-state")).ToHaveTextAsync("off");
        await ui.ScreenshotAsync("webhooks");
    }

    [Fact]
    public async Task An_operator_who_is_not_an_admin_cannot_open_the_page()
    {
        await _host.AddOperatorAsync("op@console.test", OperatorRole.Operator);
        await using var ui = await ConsolePage.OpenAsync(browser, _host, "op@console.test", ConsoleHost.OperatorPassword);
        await ui.GoAsync("/webhooks");
        await Expect(ui.Page.Locator(".not-allowed")).ToBeVisibleAsync();
        await Expect(ui.Page.Locator(".hook-url")).ToHaveCountAsync(0);
    }
}
