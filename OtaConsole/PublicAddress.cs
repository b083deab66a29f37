using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Packages;
using OtaConsole.Endpoints;

namespace OtaConsole;

/// <summary>
/// Download links must name an address devices can reach. Unless Ota:Downloads:PublicBaseUrl says otherwise,
/// it is the console's own listening address, with a wildcard host ("0.0.0.0", "[::]", "*") replaced by this
/// machine's name.
/// </summary>
public static class PublicAddress
{
    public static void UseListeningAddressWhenUnset(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DownloadOptions>>().Value;
        if (!string.IsNullOrWhiteSpace(options.PublicBaseUrl))
            return;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var first = addresses.Select(a => new Uri(a.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal)))
                .FirstOrDefault(u => u.Port != DownloadEndpoints.LegacyPort) ?? addresses.Select(a => new Uri(a)).FirstOrDefault();
            if (first is null)
                return;
            var host = first.Host is "0.0.0.0" or "[::]" or "::" ? Dns.GetHostName() : first.Host;
            // DownloadLinks reads this same options object.
            options.PublicBaseUrl = $"{first.Scheme}://{host}:{first.Port}";
        });
    }
}
