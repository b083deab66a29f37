using System.Globalization;
using OtaConsole.Core.Security;
using OtaConsole.Security;

namespace OtaConsole.Endpoints;

/// <summary>GET /audit.csv: the filtered audit log as CSV, for Admins (the core checks the role again).</summary>
public static class AuditExport
{
    public static IEndpointRouteBuilder MapOtaAuditExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/audit.csv", async (string? from, string? to, string? actor, string? action, string? targetId,
            OperatorDirectory directory, AuditQueries audit, HttpContext context, CancellationToken ct) =>
        {
            var who = await context.ActorAsync(directory, ct);
            if (who is null)
                return Results.Unauthorized();
            if (who.Role != OperatorRole.Admin || !who.SeesAllProducts)
                return Results.Forbid();
            var filter = new AuditFilter { From = Time(from), To = Time(to), Actor = actor, Action = action, TargetId = targetId };
            context.Response.Headers.ContentDisposition = "attachment; filename=\"audit-log.csv\"";
            var rows = audit.AllAsync(who, filter, ct);
            return Results.Stream(stream => CsvFiles.AuditLogAsync(rows, stream, ct), "text/csv; charset=utf-8");
        }).RequireAuthorization(OtaAuth.Administer).ExcludeFromDescription();
        return app;
    }

    /// <summary>The query string that carries a filter to the export.</summary>
    public static string Query(AuditFilter f)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
        }
        Add("from", f.From?.ToString("O", CultureInfo.InvariantCulture));
        Add("to", f.To?.ToString("O", CultureInfo.InvariantCulture));
        Add("actor", f.Actor);
        Add("action", f.Action);
        Add("targetId", f.TargetId);
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static DateTimeOffset? Time(string? s) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
