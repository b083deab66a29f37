using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OtaConsole.Core.Security;
using OtaConsole.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace OtaConsole.Tests.Browser;

/// <summary>Single sign-on against a real OpenID Connect provider (oidc-provider from npm), in Chromium, with role mapping.</summary>
public sealed class SingleSignOnTests(BrowserFixture browser) : IAsyncLifetime
{
    private OidcProviderProcess _provider = null!;
    private ConsoleHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _provider = await OidcProviderProcess.StartAsync();
        _host = await ConsoleHost.StartAsync(_provider.Settings(new Dictionary<string, string> { ["ota-operators"] = "Operator", ["ota-auditors"] = "Viewer" }), realTime: true);
        await _provider.ConfigureAsync(_host.BaseUrl, new()
        {
            ["alice"] = ("alice@sso.test", ["staff", "ota-operators"]),
            ["bob"] = ("bob@sso.test", ["staff"]),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _provider.DisposeAsync();
    }

    /// <summary>From the console's sign-in page through the provider's login and consent pages, and back.</summary>
    private static async Task SignInAtProviderAsync(IPage page, string login)
    {
        await page.ClickAsync("a.sign-in-sso");
        await page.Locator("input[name=login]").FillAsync(login);
        await page.Locator("input[name=password]").FillAsync("any password");
        await page.Locator("button[type=submit]").ClickAsync();
        // The provider asks once for consent to share the email and groups.
        await page.Locator("button[type=submit]").ClickAsync();
    }

    [Fact]
    public async Task An_operator_signs_in_with_the_provider_and_gets_the_role_their_group_maps_to()
    {
        await using var ui = await ConsolePage.OpenAsync(browser, _host, email: null);
        await ui.Page.GotoAsync(_host.BaseUrl + "/ota");
        await Expect(ui.Page.Locator("a.sign-in-sso")).ToContainTextAsync("Sign in with Test SSO");

        await SignInAtProviderAsync(ui.Page, "alice");

        await ui.ReadyAsync();
        await Expect(ui.Page).ToHaveURLAsync(_host.BaseUrl + "/ota");
        await Expect(ui.Page.Locator(".signed-in-as")).ToContainTextAsync("alice@sso.test · Operator");
        await Expect(ui.Page.Locator(".add-package")).ToBeVisibleAsync();
        await using var db = _host.Db();
        var account = await db.Users.SingleAsync(u => u.Email == "alice@sso.test");
        Assert.Equal("oidc", account.ExternalProvider);
        Assert.Null(account.PasswordHash);
        Assert.Equal(OperatorRole.Operator, (await _host.Services.GetRequiredService<OperatorDirectory>().ActorAsync(account.Id, null))!.Role);
        Assert.Contains(await db.AuditEntries.Where(a => a.Action == "operator.sign-in" && a.ActorName == "alice@sso.test").Select(a => a.Details).ToListAsync(),
            d => d!.Contains("single sign-on"));
    }

    [Fact]
    public async Task Someone_whose_groups_map_to_no_role_is_refused_and_gets_no_account()
    {
        await using var ui = await ConsolePage.OpenAsync(browser, _host, email: null);
        await ui.Page.GotoAsync(_host.BaseUrl + "/account/login");

        await SignInAtProviderAsync(ui.Page, "bob");

        await Expect(ui.Page.Locator(".sign-in-error")).ToContainTextAsync("no group that gives a role");
        await using var db = _host.Db();
        Assert.False(await db.Users.AnyAsync(u => u.Email == "bob@sso.test"));
        Assert.Contains(await db.AuditEntries.Where(a => !a.Succeeded).Select(a => a.Error).ToListAsync(), e => e!.Contains("norole"));
    }
}
