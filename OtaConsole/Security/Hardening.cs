using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using OtaConsole.Core.Api;

namespace OtaConsole.Security;

/// <summary>Ota:Limits: requests a minute before the console answers 429.</summary>
public sealed class LimitOptions
{
    public const string Section = "Ota:Limits";

    /// <summary>Sign-in and set-up form posts per client address.</summary>
    public int SignInPerMinute { get; set; } = 10;
    /// <summary>Signed API requests per access key (per address when a request names no key).</summary>
    public int ApiPerMinute { get; set; } = 1200;
    /// <summary>Uploads through GenerateOTAUploadURL's tickets per client address.</summary>
    public int UploadsPerMinute { get; set; } = 60;

    public string? Problem() =>
        SignInPerMinute < 1 || ApiPerMinute < 1 || UploadsPerMinute < 1 ? "Ota:Limits values are at least 1 a minute." : null;
}

/// <summary>
/// Rate limits on what can be guessed or flooded (sign-in, the API per key, uploads) and the security headers every
/// answer carries. The limits are per process: behind several nodes each node counts its own.
/// </summary>
public static class Hardening
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static void AddOtaHardening(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<LimitOptions>().BindConfiguration(LimitOptions.Section)
            .Validate(o => o.Problem() is null, "Ota:Limits has a value out of range (see the README's configuration table).").ValidateOnStart();
        builder.Services.AddRateLimiter(o =>
        {
            // The settings are read from the running host (a test's or a deployment's), not when the builder is made.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, Limits(context)));
            o.OnRejected = async (rejected, ct) =>
            {
                var limits = Limits(rejected.HttpContext);
                var response = rejected.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                response.Headers.RetryAfter = "60";
                var path = rejected.HttpContext.Request.Path;
                if (path.StartsWithSegments(ApiEndpointsPath) && !path.StartsWithSegments(Core.Packages.UploadStore.PathPrefix))
                {
                    // UNCONFIRMED: Alibaba's gateway answers a throttled caller with the code Throttling.User; its HTTP
                    // status is not documented in what we have, so the console uses 429, which scripts retry.
                    var answer = OtaApi.Refusal(new ApiException(429, "Throttling.User", $"Request was denied due to user flow control: more than {limits.ApiPerMinute} requests a minute for this key."));
                    response.ContentType = "application/json; charset=utf-8";
                    await response.WriteAsync(answer.ToJson(), ct);
                    return;
                }
                await response.WriteAsync("Too many requests: try again in a minute.", ct);
            };
        });
    }

    private const string ApiEndpointsPath = "/api";

    private static LimitOptions Limits(HttpContext context) =>
        context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitOptions>>().Value;

    private static RateLimitPartition<string> Partition(HttpContext context, LimitOptions limits)
    {
        var request = context.Request;
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (HttpMethods.IsPost(request.Method) && (request.Path.Equals(OtaAuth.LoginPath, StringComparison.OrdinalIgnoreCase) || request.Path.Equals(OtaAuth.SetupPath, StringComparison.OrdinalIgnoreCase)))
            return Fixed("sign-in:" + address, limits.SignInPerMinute);
        if (request.Path.StartsWithSegments(Core.Packages.UploadStore.PathPrefix, StringComparison.Ordinal))
            return Fixed("upload:" + address, limits.UploadsPerMinute);
        if (request.Path.StartsWithSegments(ApiEndpointsPath, StringComparison.Ordinal)) // "/api" and "/api/", as SDKs send it
        {
            // The key id of a GET is in the query; a POST's is in its form, read later, so a POST counts per address.
            var key = request.Query["AccessKeyId"].ToString();
            return Fixed("api:" + (key.Length is > 0 and <= 128 ? key : address), limits.ApiPerMinute);
        }
        return RateLimitPartition.GetNoLimiter("none");
    }

    private static RateLimitPartition<string> Fixed(string key, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = Window, QueueLimit = 0 });

    /// <summary>
    /// Headers for a Blazor Server console: no framing (clickjacking), no sniffing, no referrer to other sites, and a
    /// content security policy that lets scripts, styles and the hub come only from the console itself. Inline
    /// scripts and styles stay allowed: Blazor writes an inline import map and MudBlazor styles its components inline.
    /// </summary>
    public static void UseOtaSecurityHeaders(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var h = context.Response.Headers;
                h.XContentTypeOptions = "nosniff";
                h.XFrameOptions = "DENY";
                h["Referrer-Policy"] = "same-origin";
                h["Cross-Origin-Opener-Policy"] = "same-origin";
                h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                h.ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
                                          "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " +
                                          "base-uri 'self'; form-action 'self'; object-src 'none'";
                return Task.CompletedTask;
            });
            await next();
        });
        if (!app.Environment.IsDevelopment())
            app.UseHsts(); // only on HTTPS answers: a browser that reached the console over HTTPS keeps to it
    }
}
