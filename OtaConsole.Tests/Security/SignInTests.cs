using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Security;
using OtaConsole.Security;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Security;

/// <summary>Local accounts through the real sign-in page, lockout, disabled accounts, and the first administrator.</summary>
public sealed class SignInTests
{
    [Fact]
    public async Task An_operator_signs_in_and_out_and_both_are_audited()
    {
        await using var host = await ConsoleHost.StartAsync();
        using var http = await host.SignedInClientAsync();

        var home = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var html = await home.Content.ReadAsStringAsync();
        Assert.Contains("sign-out", html);

        var signOut = await http.PostAsync(OtaAuth.LogoutPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Token(html),
            ["returnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHost.PageAsync(http, "/")).StatusCode);

        await using var db = host.Db();
        var rows = await db.AuditEntries.Where(a => a.Action.StartsWith("operator.sign")).OrderBy(a => a.Id).Select(a => new { a.Action, a.ActorName, a.Succeeded }).ToListAsync();
        Assert.Equal([("operator.sign-in", ConsoleHost.AdminEmail, true), ("operator.sign-out", ConsoleHost.AdminEmail, true)], rows.Select(r => (r.Action, r.ActorName, r.Succeeded)));
    }

    [Fact]
    public async Task A_sign_out_from_another_site_without_the_form_s_token_is_refused()
    {
        await using var host = await ConsoleHost.StartAsync();
        using var http = await host.SignedInClientAsync();

        var forged = await http.PostAsync(OtaAuth.LogoutPath, new FormUrlEncodedContent(new Dictionary<string, string> { ["returnUrl"] = "/" }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_are_refused_and_repeated_ones_lock_the_account()
    {
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Auth:MaxFailedSignIns"] = "3" });
        using var http = host.NewClient();

        for (var i = 0; i < 3; i++)
        {
            var refused = await ConsoleHost.SignInAsync(http, ConsoleHost.AdminEmail, "Wrong-password-1");
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains(i < 2 ? "Wrong email or password." : "locked", await refused.Content.ReadAsStringAsync());
        }
        // Locked: the right password no longer works for a while.
        var locked = await ConsoleHost.SignInAsync(http, ConsoleHost.AdminEmail, ConsoleHost.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync());
        // An email that names nobody gets the same words as a wrong password.
        Assert.Contains("Wrong email or password.", await (await ConsoleHost.SignInAsync(http, "nobody@console.test", "Whatever-1x")).Content.ReadAsStringAsync());

        await using var db = host.Db();
        var refusals = await db.AuditEntries.Where(a => a.Action == "operator.sign-in").OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(5, refusals.Count);
        Assert.All(refusals, r => Assert.False(r.Succeeded));
        Assert.Equal(["wrong password", "wrong password", "locked out", "locked out", "no such account"], refusals.Select(r => r.Error));
        Assert.Equal("nobody@console.test", refusals[^1].ActorName);
    }

    [Fact]
    public async Task A_disabled_operator_cannot_sign_in_and_loses_the_session_they_had()
    {
        await using var host = await ConsoleHost.StartAsync();
        var id = await host.AddOperatorAsync("ops@console.test", OperatorRole.Operator);
        using var ops = await host.SignedInClientAsync("ops@console.test", ConsoleHost.OperatorPassword);
        Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync("/")).StatusCode);

        await host.Services.GetRequiredService<OperatorAdmin>().SetDisabledAsync(host.AdminActor(), id, true);
        // The session's stamp is checked on every request issued after the cookie (a second on the console's clock).
        host.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHost.PageAsync(ops, "/")).StatusCode);
        var again = await ConsoleHost.SignInAsync(host.NewClient(), "ops@console.test", ConsoleHost.OperatorPassword);
        Assert.Contains("disabled", await again.Content.ReadAsStringAsync());
        Assert.Null(await host.Services.GetRequiredService<OperatorDirectory>().ActorAsync(id, null));
    }

    [Fact]
    public async Task With_no_operator_yet_the_first_administrator_is_created_once_from_this_machine()
    {
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Auth:InitialAdmin:Email"] = "", ["Ota:Auth:InitialAdmin:Password"] = "" });
        Assert.Contains(host.Logs.Lines, l => l.Message.Contains("/account/setup") && l.Message.Contains("set-up code"));
        using var http = host.NewClient();
        // Every page still sends the browser to sign in; the sign-in page offers the set-up.
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHost.PageAsync(http, "/")).StatusCode);
        Assert.Contains("setup-offer", await http.GetStringAsync(OtaAuth.LoginPath));

        var form = await http.GetStringAsync(OtaAuth.SetupPath);
        Assert.DoesNotContain("id=\"code\"", form); // from this machine no code is needed
        var created = await http.PostAsync(OtaAuth.SetupPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = Token(form),
            ["Input.Email"] = "first@console.test",
            ["Input.Password"] = "First-admin-pw1",
        }));
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ConsoleHost.PageAsync(http, "/")).StatusCode);

        // Once there is an administrator the page is closed, and a second attempt makes nobody.
        using var other = host.NewClient();
        var closed = await other.GetStringAsync(OtaAuth.SetupPath);
        Assert.Contains("setup-closed", closed);
        await Assert.ThrowsAsync<Core.OtaException>(() => host.Services.GetRequiredService<OperatorAdmin>().CreateFirstAdminAsync("second@console.test", "Second-admin-pw1", null));
        await using var db = host.Db();
        var admin = await db.Users.SingleAsync();
        Assert.Equal("first@console.test", admin.Email);
        Assert.Equal(OperatorRole.Admin, (await host.Services.GetRequiredService<OperatorDirectory>().ActorAsync(admin.Id, null))!.Role);
    }

    [Fact]
    public async Task From_another_machine_the_set_up_needs_the_code_from_the_log()
    {
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Auth:InitialAdmin:Email"] = "" });
        var line = host.Logs.Lines.Single(l => l.Message.Contains("set-up code")).Message;
        var code = Regex.Match(line, "set-up code ([0-9A-F]{12})").Groups[1].Value;
        var first = host.Services.GetRequiredService<FirstAdmin>();
        var remote = IPAddress.Parse("192.0.2.10");

        Assert.False(first.Allows(remote, null));
        Assert.False(first.Allows(remote, "000000000000"));
        Assert.True(first.Allows(remote, code));
        Assert.True(first.Allows(remote, code.ToLowerInvariant()));
        Assert.True(first.Allows(IPAddress.Loopback, null));
        Assert.True(first.Allows(IPAddress.IPv6Loopback, null));
    }

    [Fact]
    public async Task The_initial_administrator_comes_from_settings_and_the_log_says_how_to_sign_in()
    {
        await using var host = await ConsoleHost.StartAsync();
        Assert.Contains(host.Logs.Lines, l => l.Message.Contains(ConsoleHost.AdminEmail) && l.Message.Contains("Sign in"));
        Assert.False(host.Services.GetRequiredService<FirstAdmin>().Open);
        Assert.DoesNotContain("setup-offer", await host.NewClient().GetStringAsync(OtaAuth.LoginPath));
    }

    [Fact]
    public async Task With_local_accounts_off_only_single_sign_on_is_offered_and_a_password_post_is_refused()
    {
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?>
        {
            ["Ota:Auth:LocalAccounts"] = "false",
            ["Ota:Auth:Oidc:Authority"] = "http://127.0.0.1:1", // never reached: nobody follows the link here
            ["Ota:Auth:Oidc:ClientId"] = "otaconsole",
        });
        using var http = host.NewClient();

        var page = await http.GetStringAsync(OtaAuth.LoginPath);
        Assert.Contains("sign-in-sso", page);
        Assert.DoesNotContain("id=\"password\"", page);
        var posted = await http.PostAsync(OtaAuth.LoginPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["Input.Email"] = ConsoleHost.AdminEmail,
            ["Input.Password"] = ConsoleHost.AdminPassword,
        }));
        // No form, so no token for it either: the post is refused and nobody is signed in.
        Assert.NotEqual(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleHost.PageAsync(http, "/")).StatusCode);
        Assert.DoesNotContain("setup-offer", page);
        // A refused single sign-on is told in the console's own words, whatever the link carries.
        Assert.Contains("no group that gives a role", await http.GetStringAsync(OtaAuth.LoginPath + "?sso=norole"));
        Assert.DoesNotContain("<b>injected</b>", await http.GetStringAsync(OtaAuth.LoginPath + "?sso=%3Cb%3Einjected%3C/b%3E"));
    }

    [Fact]
    public void A_sign_in_link_never_sends_the_operator_to_another_site()
    {
        Assert.Equal("/ota", Components.Account.Login.LocalOnly("/ota"));
        Assert.Equal("/", Components.Account.Login.LocalOnly("https://evil.example/"));
        Assert.Equal("/", Components.Account.Login.LocalOnly("//evil.example/"));
        Assert.Equal("/", Components.Account.Login.LocalOnly("/\\evil.example/"));
        Assert.Equal("/", Components.Account.Login.LocalOnly(null));
    }



    private static string Token(string html) => ConsoleHost.AntiforgeryToken(html);
}
