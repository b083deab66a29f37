using Microsoft.Extensions.Configuration;
using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Security;

/// <summary>
/// Every route the console maps, read from its endpoint data source (so a new one cannot be forgotten): without a
/// session a page redirects to the sign-in page and anything else answers 401, except the few that devices,
/// scripts and probes reach with their own credentials.
/// </summary>
public sealed class RouteAccessTests
{
    // What may be reached without a session, and why: each checks its own credential (or has nothing to protect).
    private static readonly HashSet<string> Anonymous =
    [
        "/account/login", "/account/setup",            // signing in
        "/account/login-code",                         // the second step, for the account whose password was right
        "/account/sso", "/account/sso-done",           // single sign-on: off (404) without a provider, its own proof with one
        "/api", "/api/uploads",                        // signed with an access key or an upload ticket
        "/ota/download/{packageId}/{index:int}/{name}", // signed, expiring download links
        "/mqtt/emqx/authenticate", "/mqtt/emqx/authorize", // EMQX's hooks: off (404) without a token, its bearer token with one
        "/healthz", "/readyz",                         // probes: ok or the reason, nothing else
    ];

    [Fact]
    public async Task Without_a_session_every_route_but_the_device_and_script_ones_is_closed()
    {
        await using var host = await ConsoleHost.StartAsync();
        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !IsStaticFile(e)).ToList();
        Assert.NotEmpty(endpoints);

        var open = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.RoutePattern.RawText!).ToHashSet();
        Assert.Equal(Anonymous.Order(), open.Order());

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(host.BaseUrl) };
        var checkedRoutes = 0;
        foreach (var e in endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null))
        {
            if (e.RoutePattern.RawText == "/metrics")
            {
                // Prometheus cannot sign in: a scrape from this machine (as here) is let in; the rule has its own test.
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);
                continue;
            }
            var path = Concrete(e.RoutePattern.RawText!);
            var methods = e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods.Where(m => m is "GET" or "POST"))
            {
                var page = IsPage(e);
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                request.Headers.Accept.ParseAdd(page && method == "GET" ? "text/html" : "application/json");
                using var response = await http.SendAsync(request);
                if (page && method == "GET")
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{method} {path}: {response.StatusCode}, not a redirect to sign in");
                    Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery.StartsWith('/') ? response.Headers.Location.PathAndQuery : response.Headers.Location.ToString()[host.BaseUrl.Length..]);
                }
                else
                {
                    Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest,
                        $"{method} {path}: {response.StatusCode} without a session");
                    // A POST without an antiforgery token may be refused as a bad request before authorization;
                    // nothing of the console is in the answer either way.
                    Assert.DoesNotContain("OtaConsole", await response.Content.ReadAsStringAsync());
                }
                checkedRoutes++;
            }
        }
        // Pages, the Blazor hub, exports, metrics and sign-out at least.
        Assert.True(checkedRoutes >= 10, $"only {checkedRoutes} routes checked");
    }

    [Fact]
    public async Task The_device_and_script_routes_still_work_with_their_own_credentials()
    {
        await using var host = await ConsoleHost.StartAsync(ConsoleHost.ApiKeys());
        await host.ProductAsync();
        var package = await host.PackageAsync();

        // The signed API, with a key and no session.
        (await host.Rpc().PostAsync("QueryOTAFirmware", new { FirmwareId = package.Id })).Ok();
        // A signed download link.
        await using var db = host.Db();
        var file = db.PackageFiles.Single(f => f.PackageId == package.Id);
        var link = host.Services.GetRequiredService<Core.Packages.DownloadLinks>().For(package.Id, Core.Rollout.NoticeFile.From(file));
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync(link)).StatusCode);
        // Probes.
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync(host.BaseUrl + "/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync(host.BaseUrl + "/readyz")).StatusCode);
    }

    [Fact]
    public void Metrics_are_scraped_from_this_machine_or_with_the_configured_token_only()
    {
        var withToken = Services(new Dictionary<string, string?> { ["Ota:Ops:MetricsToken"] = "s3cret-scrape" });
        var noToken = Services(new Dictionary<string, string?>());

        Assert.True(OtaConsole.Security.OtaAuth.MayScrape(Request(noToken, IPAddress.Loopback, null)));
        Assert.False(OtaConsole.Security.OtaAuth.MayScrape(Request(noToken, IPAddress.Parse("192.0.2.1"), null)));
        Assert.False(OtaConsole.Security.OtaAuth.MayScrape(Request(noToken, IPAddress.Parse("192.0.2.1"), "Bearer ")));
        Assert.True(OtaConsole.Security.OtaAuth.MayScrape(Request(withToken, IPAddress.Parse("192.0.2.1"), "Bearer s3cret-scrape")));

        // Signed in from elsewhere: an Admin reads the metrics, an Operator (who may be scoped to some products) does not.
        System.Security.Claims.ClaimsPrincipal As(string role) => new(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, role)], "Identity.Application"));
        Assert.True(OtaConsole.Security.OtaAuth.MayReadMetrics(As("Admin"), Request(noToken, IPAddress.Parse("192.0.2.1"), null)));
        Assert.False(OtaConsole.Security.OtaAuth.MayReadMetrics(As("Operator"), Request(noToken, IPAddress.Parse("192.0.2.1"), null)));
        Assert.False(OtaConsole.Security.OtaAuth.MayReadMetrics(As("Viewer"), Request(noToken, IPAddress.Parse("192.0.2.1"), null)));
        Assert.False(OtaConsole.Security.OtaAuth.MayScrape(Request(withToken, IPAddress.Parse("192.0.2.1"), "Bearer wrong")));
        Assert.False(OtaConsole.Security.OtaAuth.MayScrape(Request(withToken, IPAddress.Parse("192.0.2.1"), null)));
    }

    private static IServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection().AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();

    private static Microsoft.AspNetCore.Http.HttpContext Request(IServiceProvider services, IPAddress from, string? authorization)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = services };
        context.Connection.RemoteIpAddress = from;
        if (authorization is not null)
            context.Request.Headers.Authorization = authorization;
        return context;
    }

    private static bool IsPage(RouteEndpoint e) => e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null;

    // MapStaticAssets maps one endpoint per file (the framework's scripts, MudBlazor's styles, the favicon).
    private static bool IsStaticFile(RouteEndpoint e) =>
        e.Metadata.Any(m => m.GetType().FullName?.StartsWith("Microsoft.AspNetCore.StaticAssets", StringComparison.Ordinal) == true);

    /// <summary>A route with sample values for its parameters.</summary>
    private static string Concrete(string pattern) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(pattern.TrimStart('/'), "\\{\\*?\\*?([^}:=?]+)[^}]*\\}", m => m.Groups[1].Value == "index" ? "0" : "x1");
}
