using OtaConsole.Core.Security;
using Microsoft.Extensions.Options;
using OtaConsole.Core.Packages;

namespace OtaConsole.Endpoints;

/// <summary>
/// Firmware downloads for devices: GET /ota/download/{package}/{file}/{name}?expires=…&amp;sig=…, HTTP/1.1 with
/// Content-Length and Range (206) so a device can resume. An expired or altered link gets 403 and no bytes.
/// </summary>
public static class DownloadEndpoints
{
    public const int LegacyPort = 80;

    public static IEndpointRouteBuilder MapOtaDownloads(this IEndpointRouteBuilder app)
    {
        // Devices download with the link's own signature and expiry, not a session.
        app.MapGet(DownloadLinks.PathPrefix + "{packageId}/{index:int}/{name}", DownloadAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> DownloadAsync(string packageId, int index, string? expires, string? sig,
        DownloadLinks links, PackageService packages, PackageFileStore store, HttpContext context, CancellationToken ct)
    {
        // A device gets a bare status, never the console's error page.
        ApiEndpoints.PlainAnswers(context);
        if (!links.IsValid(packageId, index, expires, sig))
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        // The signed link is the device's credential: no operator is involved.
        var file = await packages.FindFileAsync(Actor.System, packageId, index, ct);
        var path = file is null ? null : store.FullPath(file.StoragePath);
        if (path is null || !File.Exists(path))
            return Results.NotFound();
        return TypedResults.PhysicalFile(path, "application/octet-stream", enableRangeProcessing: true);
    }

    /// <summary>
    /// With Ota:Downloads:LegacyPort80, the console also listens on port 80, for downloads only, and links carry no
    /// port (<see cref="DownloadOptions.PortlessLinks"/>): Alibaba's C SDK 3.0.1 and Link SDK 4.1.0 cannot use a port
    /// in a link (they take "host:port" for the host name and fail to resolve it).
    /// </summary>
    public static void AddLegacyListener(WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>($"{DownloadOptions.Section}:LegacyPort80"))
            return;
        var urls = builder.Configuration["urls"] ?? builder.Configuration["Urls"] ?? "http://localhost:5080";
        builder.WebHost.UseUrls([.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries), $"http://*:{LegacyPort}"]);
    }

    /// <summary>On the legacy port, everything but downloads is hidden.</summary>
    public static IApplicationBuilder UseLegacyPortFilter(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Connection.LocalPort == LegacyPort && !context.Request.Path.StartsWithSegments(DownloadLinks.PathPrefix.TrimEnd('/'), StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await next();
    });
}
