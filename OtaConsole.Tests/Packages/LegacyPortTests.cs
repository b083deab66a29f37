using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Packages;

/// <summary>
/// Ota:Downloads:LegacyPort80 on the real web host, which then really listens on port 80 too (tests run as root).
/// Alibaba's C SDK 3.0.1 and Link SDK 4.1.0 cannot use a port in a link, so links carry none and are served on 80;
/// everything else stays on the console's main address. One class, so only one test at a time holds port 80.
/// </summary>
public sealed class LegacyPortTests
{
    private static Dictionary<string, string?> Legacy(string? publicBaseUrl = null)
    {
        var settings = ConsoleHost.ApiKeys();
        settings["Ota:Downloads:LegacyPort80"] = "true";
        if (publicBaseUrl is not null)
            settings["Ota:Downloads:PublicBaseUrl"] = publicBaseUrl;
        return settings;
    }

    [Fact]
    public async Task Links_carry_no_port_and_a_C_SDK_device_updates_through_port_80()
    {
        await using var c = await ConsoleHost.StartAsync(Legacy(), ownListeners: true);
        await c.ProductAsync();
        var spec = (await c.RegisterAsync(1, style: SimSdkStyle.CSdk3))[0];
        var device = await c.OnlineAsync(spec);
        var package = await c.PackageAsync();
        var batch = await c.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id });

        await c.TaskReachesAsync(batch.BatchId, "dev-000", OtaTaskStatus.Succeeded);

        var url = device.Received.Select(m => JsonDocument.Parse(m).RootElement)
            .Where(m => m.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("url", out _))
            .Select(m => m.GetProperty("data").GetProperty("url").GetString()!).Single();
        Assert.StartsWith("http://127.0.0.1/ota/download/", url);
        Assert.Equal(80, new Uri(url).Port);
        Assert.NotEqual(80, new Uri(c.BaseUrl).Port);

        // The operators' endpoints are on the main address only.
        foreach (var path in new[] { "/metrics", "/healthz", "/readyz" })
        {
            using var main = await c.Http.GetAsync(c.BaseUrl + path);
            Assert.Equal(HttpStatusCode.OK, main.StatusCode);
            using var legacy = await c.Http.GetAsync("http://127.0.0.1" + path);
            Assert.Equal(HttpStatusCode.NotFound, legacy.StatusCode);
        }
    }

    [Fact]
    public async Task With_a_port_80_download_address_the_upload_ticket_names_the_API_address_and_the_upload_works()
    {
        // The address an operator gives so that port-less SDKs can download: the port-80 listener, downloads only.
        await using var c = await ConsoleHost.StartAsync(Legacy("http://127.0.0.1:8080"), ownListeners: true);
        await c.ProductAsync();
        var api = c.Rpc();

        var ticket = (await api.PostAsync("GenerateOTAUploadURL", new { FileSuffix = "bin" })).Ok().Data;
        Assert.Equal(c.BaseUrl + "/api/uploads", ticket.GetProperty("Host").GetString());

        var (firmwareUrl, status) = await api.UploadAsync([1, 2, 3, 4]);
        Assert.Equal(200, status);
        (await api.PostAsync("CreateOTAFirmware", new { ProductKey = ConsoleHost.ProductKey, FirmwareName = "fw-legacy", DestVersion = "2.0.0", FirmwareUrl = firmwareUrl, NeedToVerify = false })).Ok();

        // Links leave the configured port out; the port-80 listener serves them and shows nothing else.
        var package = await c.PackageAsync();
        var f = package.Files[0];
        var link = c.Services.GetRequiredService<DownloadLinks>().For(package.Id, new NoticeFile(f.Index, f.Name, f.Size, f.Md5, f.Sha256, f.Sign));
        Assert.StartsWith("http://127.0.0.1/ota/download/", link);
        using var download = await c.Http.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        using var hidden = await c.Http.GetAsync("http://127.0.0.1/api/?Action=ListOTAFirmware");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }
}
