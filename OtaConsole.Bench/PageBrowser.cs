using Microsoft.Playwright;

namespace OtaConsole.Bench;

/// <summary>
/// One headless Debian Chromium (never a downloaded browser), as the browser tests use, holding live console
/// pages: each page is a Blazor circuit on its own SignalR connection.
/// </summary>
internal sealed class PageBrowser : IAsyncDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";
    /// <summary>The administrator the bench's consoles are started with (Ota:Auth:InitialAdmin).</summary>
    public const string AdminEmail = "bench@console.test", AdminPassword = "Bench-password-1";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private PageBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<PageBrowser> StartAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return new PageBrowser(playwright, browser);
    }

    /// <summary>Opens the pages in one context and waits until every one's circuit is interactive.</summary>
    public async Task<OpenPages> OpenAsync(string baseUrl, IEnumerable<string> paths)
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
        context.SetDefaultTimeout(120_000);
        // One sign-in for the context: every page shares its session cookie, as an operator's tabs do.
        var signIn = await context.NewPageAsync();
        await signIn.GotoAsync(baseUrl + "/account/login");
        await signIn.FillAsync("#email", AdminEmail);
        await signIn.FillAsync("#password", AdminPassword);
        await signIn.ClickAsync("button.sign-in");
        await signIn.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await signIn.CloseAsync();
        var pages = new List<IPage>();
        foreach (var path in paths)
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(baseUrl + path);
            // MainLayout renders this only once the circuit is up (RendererInfo.IsInteractive).
            await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            pages.Add(page);
        }
        Console.Error.WriteLine($"# {pages.Count} pages connected");
        return new OpenPages(context, pages);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    internal sealed class OpenPages(IBrowserContext context, List<IPage> pages) : IAsyncDisposable
    {
        private List<string> _before = [];

        public IReadOnlyList<IPage> Pages => pages;

        /// <summary>Keeps each page's HTML, to tell afterwards which pages the burst re-rendered.</summary>
        public async Task SnapshotAsync() => _before = [.. await Task.WhenAll(pages.Select(p => p.ContentAsync()))];

        /// <summary>How many pages' HTML changed since <see cref="SnapshotAsync"/>: live updates reached the browser.</summary>
        public async Task<int> ChangedAsync()
        {
            var after = await Task.WhenAll(pages.Select(p => p.ContentAsync()));
            return after.Where((html, i) => html != _before[i]).Count();
        }

        /// <summary>Every page still has its circuit (Blazor shows #blazor-error-ui or a reconnect modal otherwise).</summary>
        public async Task CheckAliveAsync()
        {
            foreach (var page in pages)
            {
                if (await page.Locator("#console-ready").CountAsync() != 1 || await page.Locator("#blazor-error-ui").IsVisibleAsync())
                    throw new InvalidOperationException($"the page {page.Url} lost its circuit during the burst");
            }
        }

        public async ValueTask DisposeAsync() => await context.DisposeAsync();
    }
}
