using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OtaConsole.Core.Diagnostics;

namespace OtaConsole.Endpoints;

/// <summary>
/// For operators' tools, on the console's main address (the port-80 download listener hides them): /metrics in
/// Prometheus text format (OpenTelemetry's exporter over the "OtaConsole" meter), /healthz (the process serves) and
/// /readyz (database and broker), 503 with the reason when not ready.
/// </summary>
public static class OpsEndpoints
{
    public const string MetricsPath = "/metrics", HealthPath = "/healthz", ReadyPath = "/readyz";
    private const string ReadyTag = "ready";

    public static void AddOtaOps(WebApplicationBuilder builder)
    {
        builder.Services.AddOtaMetrics();
        // The meter is enabled for OpenTelemetry's listener through the host's metrics rules, for this host's meter
        // factory only (MeterScope.Local), not with AddMeter, which listens to every meter of that name in the process:
        // several consoles in one process (as in the tests) must not export each other's figures.
        builder.Services.AddMetrics(m => m.EnableMetrics(OtaMetrics.MeterName, null, "OpenTelemetry", MeterScope.Local));
        // No response cache: a scrape answers what is true now (the costly figures are cached in RolloutFigures).
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseReadiness>("database", tags: [ReadyTag])
            .AddCheck<BrokerReadiness>("broker", tags: [ReadyTag]);
    }

    public static IEndpointRouteBuilder MapOtaOps(this WebApplication app)
    {
        app.Services.ObserveOtaFigures();
        app.MapPrometheusScrapingEndpoint(MetricsPath).RequireAuthorization(Security.OtaAuth.Scrape);
        // Load balancers and orchestrators probe without credentials; the answers hold nothing but ok or the reason.
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).AllowAnonymous();
        return app;
    }

    /// <summary>{"status":"Unhealthy","checks":{"database":"ok","broker":"the embedded MQTT broker is not listening"}}</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status == HealthStatus.Healthy ? "ok" : e.Value.Description ?? e.Value.Status.ToString());
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString(), checks }));
    }
}
