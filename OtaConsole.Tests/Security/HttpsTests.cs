using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Security;

/// <summary>
/// HTTPS for the console, the API and the downloads with Kestrel's own certificate settings (as the README shows):
/// links follow the scheme, the session cookie is Secure, and HSTS is sent outside Development.
/// </summary>
public sealed class HttpsTests
{
    [Fact]
    public async Task Over_HTTPS_links_are_https_the_session_cookie_is_Secure_and_HSTS_is_sent()
    {
        var folder = Directory.CreateTempSubdirectory("ota-https-").FullName;
        using var cert = TestCertificates.SelfSigned("CN=127.0.0.1");
        var (certPath, keyPath) = await TestCertificates.WritePemAsync(cert, folder, "console");
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?>
        {
            ["Urls"] = "https://127.0.0.1:0",
            ["Kestrel:Certificates:Default:Path"] = certPath,
            ["Kestrel:Certificates:Default:KeyPath"] = keyPath,
            ["environment"] = "Production",
        }, ownListeners: true);
        Assert.StartsWith("https://127.0.0.1:", host.BaseUrl);

        using var handler = new HttpClientHandler
        {
            CookieContainer = new CookieContainer(),
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, c, _, _) => c is not null && c.Thumbprint == cert.Thumbprint,
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(host.BaseUrl) };

        // HSTS is never sent to localhost or 127.0.0.1 (ASP.NET Core's rule): asked by a name, as a browser would.
        using var byName = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        byName.Headers.Host = "console.example";
        var health = await http.SendAsync(byName);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("max-age=", health.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.False((await http.GetAsync("/healthz")).Headers.Contains("Strict-Transport-Security"));

        var signedIn = await ConsoleHost.SignInAsync(http, ConsoleHost.AdminEmail, ConsoleHost.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Contains("secure", signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("OtaConsole.Session=", StringComparison.Ordinal)).ToLowerInvariant());

        await host.ProductAsync();
        var package = await host.PackageAsync();
        await using var db = host.Db();
        var file = db.PackageFiles.Single(f => f.PackageId == package.Id);
        var link = host.Services.GetRequiredService<DownloadLinks>().For(package.Id, NoticeFile.From(file));
        Assert.StartsWith(host.BaseUrl + "/", link);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(link)).StatusCode);
        Directory.Delete(folder, true);
    }
}
