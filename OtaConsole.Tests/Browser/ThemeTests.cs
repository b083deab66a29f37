using Microsoft.Playwright;
using OtaConsole.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OtaConsole.Tests.Browser;

/// <summary>The theme follows the system's preference until the operator chooses one, and the choice stays in the browser.</summary>
public sealed class ThemeTests(BrowserFixture browser) : IAsyncLifetime
{
    private ConsoleHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await ConsoleHost.StartAsync(realTime: true);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_theme_follows_the_system_until_chosen_then_keeps_the_choice_on_reload_and_in_a_new_tab()
    {
        await using var ui = await ConsolePage.OpenAsync(browser, _host);
        await ui.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await ui.GoAsync("/");
        await Expect(ui.Page.Locator(".mud-layout.theme-dark")).ToBeVisibleAsync();

        // The system turns light: the page follows, for nothing was chosen yet.
        await ui.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await Expect(ui.Page.Locator(".mud-layout.theme-light")).ToBeVisibleAsync();

        // The operator chooses dark; it stays after a reload, in a new tab, and whatever the system says.
        await ui.Page.ClickAsync("button.toggle-theme");
        await Expect(ui.Page.Locator(".mud-layout.theme-dark")).ToBeVisibleAsync();
        await ui.GoAsync("/ota");
        await Expect(ui.Page.Locator(".mud-layout.theme-dark")).ToBeVisibleAsync();
        var tab = await ui.Page.Context.NewPageAsync();
        await tab.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await tab.GotoAsync(_host.BaseUrl + "/");
        await Expect(tab.Locator(".mud-layout.theme-dark")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Times_are_shown_in_the_browsers_time_zone_with_the_zone_named()
    {
        await _host.ProductAsync();
        await _host.PackageAsync();
        await using var ui = await ConsolePage.OpenAsync(browser, _host, timeZone: "Asia/Kolkata");

        await ui.GoAsync("/ota");

        await Expect(ui.Page.Locator(".packages-table tbody tr").First).ToContainTextAsync("UTC+5:30");
    }
}
