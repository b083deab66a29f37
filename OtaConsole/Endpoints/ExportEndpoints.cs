using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Security;
using OtaConsole.Security;

namespace OtaConsole.Endpoints;

/// <summary>The Device List's CSV export (the filtered tasks of a batch, every page, streamed) and a batch's names that were not devices.</summary>
public static class ExportEndpoints
{
    public static IEndpointRouteBuilder MapOtaExports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ota/batches/{batchId}/devices.csv", async (string batchId, string? status, string? search, string? sort, string? dir, BatchQueries batches, OperatorDirectory directory, HttpContext context, CancellationToken ct) =>
        {
            if (await context.ActorAsync(directory, ct) is not { } actor)
                return Results.Unauthorized();
            // A batch of a product outside the operator's scope is answered as a missing one.
            if (await batches.FindAsync(actor, batchId, ct) is null)
                return Results.NotFound();
            // The rows of the Device List as it is shown (filter, search, order), every page.
            var view = OtaConsole.Components.Ota.TaskView.From(status, search, sort, dir, null, null);
            var query = new DeviceListQuery(batchId) { Status = view.Status, Search = view.Search, Sort = view.Sort, Direction = view.Direction };
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"batch-{batchId}-devices.csv\"";
            return Results.Stream(stream => CsvFiles.DeviceListAsync(batches.AllRowsAsync(actor, query, ct), stream, ct), "text/csv; charset=utf-8");
        }).ExcludeFromDescription();
        app.MapGet("/ota/batches/{batchId}/unknown-devices.csv", async (string batchId, BatchQueries batches, OperatorDirectory directory, HttpContext context, CancellationToken ct) =>
        {
            if (await context.ActorAsync(directory, ct) is not { } actor)
                return Results.Unauthorized();
            if (await batches.FindAsync(actor, batchId, ct) is null)
                return Results.NotFound();
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"batch-{batchId}-unknown-devices.csv\"";
            return Results.Stream(stream => CsvFiles.NamesAsync(batches.AllUnknownDevicesAsync(actor, batchId, ct), stream, ct), "text/csv; charset=utf-8");
        }).ExcludeFromDescription();
        return app;
    }
}
