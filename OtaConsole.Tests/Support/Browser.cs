using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(OtaConsole.Tests.Support.BrowserFixture))]

namespace OtaConsole.Tests.Support;

/// <summary>
/// One headless Debian Chromium for every browser test (each test has its own context). Never a downloaded
/// browser: test.sh installs Debian's <c>chromium</c>.
/// </summary>
public sealed class BrowserFixture : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private readonly SemaphoreSlim _start = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Started on first use, so a run without browser tests never pays for it.</summary>
    public async Task<IBrowser> BrowserAsync()
    {
        await _start.WaitAsync();
        try
        {
            if (_browser is null)
            {
                if (!File.Exists(ChromiumPath))
                    throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (test.sh does).");
                _playwright = await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new()
                {
                    ExecutablePath = ChromiumPath,
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
                });
            }
            return _browser;
        }
        finally
        {
            _start.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>A page of the console in the browser, with the waits every step needs.</summary>
public sealed class ConsolePage(IPage page, string baseUrl) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    /// <summary>A new browser context (its own cookies), signed in as the console's administrator unless told otherwise.</summary>
    public static async Task<ConsolePage> OpenAsync(BrowserFixture fixture, ConsoleHost host, string? email = ConsoleHost.AdminEmail, string password = ConsoleHost.AdminPassword, string? timeZone = null)
    {
        var browser = await fixture.BrowserAsync();
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 }, TimezoneId = timeZone });
        context.SetDefaultTimeout(20_000);
        var page = new ConsolePage(await context.NewPageAsync(), host.BaseUrl);
        if (email is not null)
            await page.SignInAsync(email, password);
        return page;
    }

    /// <summary>Signs in through the sign-in page and waits for the Overview's circuit.</summary>
    public async Task SignInAsync(string email, string password)
    {
        await Page.GotoAsync(baseUrl + "/account/login");
        await Page.FillAsync("#email", email);
        await Page.FillAsync("#password", password);
        await Page.ClickAsync("button.sign-in");
        await ReadyAsync();
    }

    /// <summary>Opens a page and waits for its interactive circuit: clicks before it is up are lost.</summary>
    public async Task GoAsync(string path)
    {
        await Page.GotoAsync(baseUrl + path);
        await ReadyAsync();
    }

    public Task ReadyAsync() => Page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>Picks an item of a MudSelect found by its class.</summary>
    public Task SelectAsync(string selectClass, string itemText) => ChooseAsync(Page.Locator($".{selectClass}"), itemText);

    /// <summary>
    /// Picks an item of one MudSelect and waits for its list to close: a list still closing keeps its open class for
    /// a moment, and the next select's pick would otherwise land on this one's items.
    /// </summary>
    public async Task ChooseAsync(ILocator select, string itemText)
    {
        await select.Locator(".mud-input-control-input-container").ClickAsync();
        await Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = itemText }).First.ClickAsync();
        await Assertions.Expect(Page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
    }

    /// <summary>
    /// Keeps a screenshot: in the test output, or, with OTA_SCREENSHOTS set (to docs/screenshots, say), where the README shows it.
    /// </summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var folder = Environment.GetEnvironmentVariable("OTA_SCREENSHOTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        // Passing messages are left out: the picture is of the page.
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true, Style = "#mud-snackbar-container, .mud-snackbar { display: none !important; }" });
        return path;
    }

    public async ValueTask DisposeAsync() => await Page.Context.DisposeAsync();
}
