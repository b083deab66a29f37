using OtaConsole.Core.Devices;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Api;

/// <summary>A parameter as the API page lists it.</summary>
public sealed record ApiParam(string Name, string Description, bool Required = false);

/// <summary>
/// One API operation: its Action name, whether it changes anything (a read-only key may not call it), what the
/// API page says of it, and what it does. The table of these is both the dispatcher and the documentation.
/// </summary>
public sealed record ApiOperation(string Action, string Group, bool Writes, string Summary, IReadOnlyList<ApiParam> Parameters, Func<ApiCall, Task<object>> Run)
{
    /// <summary>Alibaba takes some operations by POST only (ConfirmOTATask).</summary>
    public bool PostOnly { get; init; }
}

/// <summary>What an operation works with: its parameters and the core services, the same ones the console's pages call.</summary>
/// <summary>One request: its parameters, the services, and the key that signed it as the core's actor.</summary>
public sealed record ApiCall(ApiParameters P, ApiServices S, Security.Actor Actor, CancellationToken Ct);

public sealed class ApiServices(CatalogService catalog, PackageService packages, RolloutEngine engine, BatchQueries batches,
    PackageQueries packageQueries, DeviceQueries devices, UploadStore uploads, DownloadLinks links)
{
    public CatalogService Catalog { get; } = catalog;
    public PackageService Packages { get; } = packages;
    public RolloutEngine Engine { get; } = engine;
    public BatchQueries Batches { get; } = batches;
    public PackageQueries PackageQueries { get; } = packageQueries;
    public DeviceQueries Devices { get; } = devices;
    public UploadStore Uploads { get; } = uploads;
    public DownloadLinks Links { get; } = links;
}
