using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OtaConsole.Core;
using OtaConsole.Core.Packages;
using OtaConsole.Endpoints;

namespace OtaConsole;

/// <summary>
/// The addresses the console hands out must be ones others can reach. Unless configured (Ota:Downloads:PublicBaseUrl
/// for download links, Ota:PublicUrl for the API's upload tickets), each is the console's main listening address
/// (not the port-80 download listener), with a wildcard host ("0.0.0.0", "[::]", "*") replaced by this machine's
/// name. At start the console says where links point, and warns when devices on Alibaba's older SDKs cannot use them.
/// </summary>
public static class PublicAddress
{
    public static void FillInAtStart(WebApplication app)
    {
        var downloads = app.Services.GetRequiredService<IOptions<DownloadOptions>>().Value;
        var ota = app.Services.GetRequiredService<IOptions<OtaOptions>>().Value;
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PublicAddress));
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var main = MainAddress(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
            // DownloadLinks and UploadStore read these same options objects.
            if (string.IsNullOrWhiteSpace(downloads.PublicBaseUrl) && main is not null)
                downloads.PublicBaseUrl = main;
            if (string.IsNullOrWhiteSpace(ota.PublicUrl) && main is not null)
                ota.PublicUrl = main;
            log.LogInformation("Download links start with {DownloadBase}; upload tickets with {ApiBase}", downloads.BaseUrl, ota.BaseUrl);
            if (downloads.AddressProblem() is { } problem)
                log.LogWarning("{Problem}", problem);
        });
    }

    /// <summary>The first listening address that is not the legacy download port, as others reach it.</summary>
    internal static string? MainAddress(ICollection<string> addresses)
    {
        var uris = addresses.Select(a => new Uri(a.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal))).ToList();
        var first = uris.FirstOrDefault(u => u.Port != DownloadEndpoints.LegacyPort) ?? uris.FirstOrDefault();
        if (first is null)
            return null;
        var host = first.Host is "0.0.0.0" or "[::]" or "::" ? Dns.GetHostName() : first.Host;
        return $"{first.Scheme}://{host}:{first.Port}";
    }
}
