using System.Net;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Security;

/// <summary>Rate limits on sign-in and the API, and the security headers of every answer.</summary>
public sealed class HardeningTests
{
    [Fact]
    public async Task Sign_in_attempts_past_the_limit_are_answered_429_before_any_password_is_checked()
    {
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Auth:MaxFailedSignIns"] = "100" });
        using var http = host.NewClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
            statuses.Add((await ConsoleHost.SignInAsync(http, ConsoleHost.AdminEmail, "Wrong-password-1")).StatusCode);

        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[10]);
        // The right password is refused too while the window lasts: the limit is on attempts, not on failures.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ConsoleHost.SignInAsync(http, ConsoleHost.AdminEmail, ConsoleHost.AdminPassword)).StatusCode);
    }

    [Fact]
    public async Task API_requests_past_a_key_s_limit_get_Alibaba_s_throttling_code()
    {
        var settings = ConsoleHost.ApiKeys();
        settings["Ota:Limits:ApiPerMinute"] = "3";
        await using var host = await ConsoleHost.StartAsync(settings);
        var api = host.Rpc();

        for (var i = 0; i < 3; i++)
            (await api.GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 10 })).Ok();
        (await api.GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 10 })).Refused(429, "Throttling.User");
        // Another key has its own allowance.
        (await host.Rpc(ConsoleHost.ReadOnlyKeyId, ConsoleHost.ReadOnlyKeySecret).GetAsync("ListOTAFirmware", new { CurrentPage = 1, PageSize = 10 })).Ok();
    }

    [Fact]
    public async Task Every_answer_carries_the_security_headers()
    {
        await using var host = await ConsoleHost.StartAsync();
        using var http = await host.SignedInClientAsync();

        foreach (var path in new[] { "/", "/account/login", "/healthz" })
        {
            var response = await http.GetAsync(path);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Contains("connect-src 'self'", csp);
            Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        }
        // The session cookie is out of scripts' reach and not sent with other sites' posts.
        using var fresh = host.NewClient();
        var signedIn = await ConsoleHost.SignInAsync(fresh, ConsoleHost.AdminEmail, ConsoleHost.AdminPassword);
        var session = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("OtaConsole.Session=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", session);
        Assert.Contains("samesite=lax", session);
    }
}
