using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;

namespace OtaConsole.Core.Api.Operations;

/// <summary>Per-device update tasks: list, cancel, update again, confirm; and a device's module versions.</summary>
internal static class TaskOperations
{
    private const string Group = "Device tasks";

    /// <summary>ListOTATaskByJob pages no deeper than this many tasks (Alibaba's limit).</summary>
    public const int MaxTaskDepth = 100_000;

    private static readonly IReadOnlyDictionary<string, OtaTaskStatus> Unfinished =
        ApiNames.TaskStatuses.Where(kv => Tasks.TaskStateMachine.IsUnfinished(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);

    public static IEnumerable<ApiOperation> All =>
    [
        new("ListOTATaskByJob", Group, Writes: false, "The tasks of a batch, a page at a time, by device name.",
        [
            new("JobId", "The batch.", Required: true),
            new("CurrentPage", "From 1; default 1."),
            new("PageSize", "1-100; default 10. CurrentPage × PageSize ≤ 100,000."),
            new("TaskStatus", "CONFIRM, QUEUED, NOTIFIED, IN_PROGRESS, SUCCEEDED, FAILED or CANCELED."),
            new("DeviceNames.N", "Only these devices (up to 100)."),
        ], ListByJobAsync),
        new("ListOTAUnfinishedTaskByDevice", Group, Writes: false, "A device's unfinished tasks.",
        [
            new("IotId", "The device; or ProductKey and DeviceName."),
            new("ProductKey", "With DeviceName."),
            new("DeviceName", "With ProductKey."),
            new("ModuleName", "Only this module's tasks."),
            new("TaskStatusList.N | TaskStatus", "One or more of CONFIRM, QUEUED, NOTIFIED, IN_PROGRESS (one of the two is required)."),
        ], ListUnfinishedAsync),
        new("CancelOTATaskByDevice", Group, Writes: true, "Cancels the unfinished tasks of a package on the devices named.",
        [
            new("ProductKey", "The devices' product.", Required: true),
            new("FirmwareId", "The package.", Required: true),
            new("DeviceName.N", "1-200 devices, each once.", Required: true),
            new("JobId", "Only this batch's tasks."),
        ], CancelByDeviceAsync),
        new("ReupgradeOTATask", Group, Writes: true, "Updates failed or cancelled tasks again.",
        [
            new("JobId", "The batch.", Required: true),
            new("TaskId.N", "1-10 tasks, failed or cancelled.", Required: true),
        ], async c =>
        {
            var job = await Lookups.JobAsync(c);
            await c.S.Engine.ReupgradeTasksAsync(c.Actor, job.Id, TaskIds(c), c.Ct);
            return OtaApi.Done;
        }),
        new("ConfirmOTATask", Group, Writes: true, "Confirms tasks waiting in CONFIRM (POST only).",
        [
            new("TaskId.N", "1-10 tasks.", Required: true),
        ], async c =>
        {
            await c.S.Engine.ConfirmTasksAsync(c.Actor, TaskIds(c), c.Ct);
            return OtaApi.Done;
        }) { PostOnly = true },
        new("ListOTAModuleVersionsByDevice", Group, Writes: false, "The version a device reported for each module.",
        [
            new("IotId", "The device; or ProductKey and DeviceName."),
            new("ProductKey", "With DeviceName."),
            new("DeviceName", "With ProductKey."),
            new("CurrentPage", "From 1.", Required: true),
            new("PageSize", "1-200.", Required: true),
        ], ModuleVersionsAsync),
    ];

    private static List<long> TaskIds(ApiCall c)
    {
        var items = c.P.List("TaskId", 10);
        if (items.Count == 0)
            throw ApiException.Missing("TaskId.N");
        return items.Select((t, i) => long.TryParse(t, out var id) && id > 0 ? id : throw ApiException.Invalid($"TaskId.{i + 1}", $"a task ID; got '{t}'.")).ToList();
    }

    private static async Task<object> ListByJobAsync(ApiCall c)
    {
        var job = await Lookups.JobAsync(c);
        var (page, size) = Lookups.Paging(c, maxPageSize: 100, required: false);
        if ((long)page * size > MaxTaskDepth)
            throw ApiException.Invalid("CurrentPage", $"CurrentPage × PageSize is at most {MaxTaskDepth:N0}; got {(long)page * size:N0}.");
        var names = c.P.List("DeviceNames", 100);
        var result = await c.S.Batches.TaskPageAsync(c.Actor, new DeviceListQuery(job.Id)
        {
            Status = c.P.Enum("TaskStatus", ApiNames.TaskStatuses),
            DeviceNames = names.Count == 0 ? null : names,
            // The console's own order, on the (BatchId, DeviceName) index: any page of a 100,000-task batch is cheap.
            Sort = TaskSort.DeviceName,
            Page = page - 1,
            PageSize = size,
        }, c.Ct);
        var productName = (await c.S.Catalog.FindProductAsync(c.Actor, job.ProductKey, c.Ct))?.Name;
        return Lookups.Paged(page, size, result.Total, new
        {
            SimpleOTATaskInfo = result.Items.Select(t => new
            {
                t.Task.DestVersion,
                t.Task.DeviceName,
                FirmwareId = t.Task.PackageId,
                t.IotId,
                JobId = t.Task.BatchId,
                t.Task.ProductKey,
                ProductName = productName,
                Progress = t.Task.Progress.ToString(System.Globalization.CultureInfo.InvariantCulture),
                t.Task.SrcVersion,
                TaskDesc = t.Task.FailureReason ?? "",
                TaskId = t.Task.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                TaskStatus = ApiNames.Task(t.Task.Status),
                Timeout = t.Task.TimeoutMinutes?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                UtcCreate = ApiNames.Utc(t.Task.CreatedAt),
                UtcModified = ApiNames.Utc(t.Task.ModifiedAt),
            }).ToList(),
        });
    }

    private static async Task<object> ListUnfinishedAsync(ApiCall c)
    {
        var device = await Lookups.DeviceAsync(c);
        var statuses = c.P.HasList("TaskStatusList")
            ? c.P.List("TaskStatusList", Unfinished.Count).Select((s, i) => Unfinished.TryGetValue(s, out var v) ? v
                : throw ApiException.Invalid($"TaskStatusList.{i + 1}", $"one of {string.Join(", ", Unfinished.Keys)}; got '{s}'.")).ToList()
            : c.P.Enum("TaskStatus", Unfinished) is { } one ? [one] : throw ApiException.Missing("TaskStatus");
        var tasks = await c.S.Batches.UnfinishedOfDeviceAsync(c.Actor, device.Id, c.P.Optional("ModuleName"), statuses, c.Ct);
        var productName = (await c.S.Catalog.FindProductAsync(c.Actor, device.ProductKey, c.Ct))?.Name;
        return new
        {
            Data = new
            {
                SimpleOTATaskInfo = tasks.Select(t => new
                {
                    t.DestVersion,
                    t.DeviceName,
                    FirmwareId = t.PackageId,
                    device.IotId,
                    JobId = t.BatchId,
                    t.ModuleName,
                    t.ProductKey,
                    ProductName = productName,
                    t.SrcVersion,
                    TaskId = t.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    TaskStatus = ApiNames.Task(t.Status),
                    UtcCreate = ApiNames.Utc(t.CreatedAt),
                    UtcModified = ApiNames.Utc(t.ModifiedAt),
                }).ToList(),
            },
        };
    }

    private static async Task<object> CancelByDeviceAsync(ApiCall c)
    {
        var package = await Lookups.FirmwareOfProductAsync(c);
        // The engine checks the list (1-200 names, each once), as it does for the console.
        var names = c.P.List("DeviceName", OtaConsole.Core.Rollout.OperatorCommands.MaxDevicesPerCancel);
        var jobId = c.P.Optional("JobId");
        if (jobId is not null)
            await Lookups.JobAsync(c);
        await c.S.Engine.CancelTasksByDeviceAsync(c.Actor, package.ProductKey, package.Id, names, jobId, c.Ct);
        return OtaApi.Done;
    }

    private static async Task<object> ModuleVersionsAsync(ApiCall c)
    {
        var device = await Lookups.DeviceAsync(c);
        var (page, size) = Lookups.Paging(c, maxPageSize: 200);
        var all = device.ModuleVersions.OrderBy(v => v.ModuleName, StringComparer.Ordinal).ToList();
        return Lookups.Paged(page, size, all.Count, new
        {
            SimpleOTAModuleInfo = all.Skip(Paging.Skip(page - 1, size)).Take(size).Select(v => new
            {
                device.DeviceName,
                device.IotId,
                v.ModuleName,
                ModuleVersion = v.Version,
                device.ProductKey,
            }).ToList(),
        });
    }
}
