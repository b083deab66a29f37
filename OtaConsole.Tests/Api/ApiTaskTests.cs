using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Api;

/// <summary>Per-device tasks through the API: list with Alibaba's paging limits, cancel, update again, confirm; module versions.</summary>
public sealed class ApiTaskTests : ApiTestBase
{
    private UpdatePackage _package = null!;

    protected override async Task SetUpAsync()
    {
        await C.ProductAsync();
        await C.ReportedDevicesAsync(25);
        _package = await C.PackageAsync();
    }

    private async Task<string> JobAsync(bool needConfirm = false) =>
        (await Api.PostAsync("CreateOTAStaticUpgradeJob", new
        {
            FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, TargetSelection = "ALL", NeedConfirm = needConfirm, OverwriteMode = 2,
        })).Ok().Data.GetProperty("JobId").GetString()!;

    private async Task<List<UpdateTask>> TasksAsync(string batchId)
    {
        await using var db = C.Db();
        return await db.Tasks.AsNoTracking().Where(t => t.BatchId == batchId).OrderBy(t => t.DeviceName).ToListAsync();
    }

    private static List<JsonElement> Items(RpcAnswer a) => a.Data.GetProperty("SimpleOTATaskInfo").EnumerateArray().ToList();

    [Fact]
    public async Task ListOTATaskByJob_pages_through_every_task_once_with_the_engines_values()
    {
        var jobId = await JobAsync();
        var tasks = await TasksAsync(jobId);
        var seen = new List<JsonElement>();
        RpcAnswer page;
        var n = 0;
        do
        {
            page = (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, CurrentPage = ++n, PageSize = 10 })).Ok();
            seen.AddRange(Items(page));
        }
        while (n < page["PageCount"].GetInt32());

        Assert.Equal(3, n);
        Assert.Equal(25, page["Total"].GetInt32());
        Assert.Equal(tasks.Select(t => t.Id.ToString()), seen.Select(t => t.GetProperty("TaskId").GetString()));
        var first = seen[0];
        var task = tasks[0];
        var device = (await C.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, task.DeviceName))!;
        Assert.Equal(task.DeviceName, first.GetProperty("DeviceName").GetString());
        Assert.Equal(device.IotId, first.GetProperty("IotId").GetString());
        Assert.Equal(jobId, first.GetProperty("JobId").GetString());
        Assert.Equal(_package.Id, first.GetProperty("FirmwareId").GetString());
        Assert.Equal("1.0.0", first.GetProperty("SrcVersion").GetString());
        Assert.Equal("2.0.0", first.GetProperty("DestVersion").GetString());
        Assert.Equal(Core.Api.ApiNames.Task(task.Status), first.GetProperty("TaskStatus").GetString());
        Assert.Equal(task.Progress.ToString(), first.GetProperty("Progress").GetString());
        Assert.Equal("Test product", first.GetProperty("ProductName").GetString());
        Assert.Equal(Core.Api.ApiNames.Utc(task.ModifiedAt), first.GetProperty("UtcModified").GetString());
    }

    [Fact]
    public async Task ListOTATaskByJob_filters_by_status_and_by_device_names()
    {
        var jobId = await JobAsync(needConfirm: true);
        var confirmed = await TasksAsync(jobId);
        (await Api.PostAsync("ConfirmOTATask", new { TaskId = confirmed.Take(3).Select(t => t.Id.ToString()).ToArray() })).Ok();

        var waiting = (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, TaskStatus = "CONFIRM", PageSize = 100 })).Ok();
        var named = (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, DeviceNames = new[] { "dev-004", "dev-020", "nobody" } })).Ok();

        Assert.Equal(22, waiting["Total"].GetInt32());
        Assert.All(Items(waiting), t => Assert.Equal("CONFIRM", t.GetProperty("TaskStatus").GetString()));
        Assert.Equal(2, named["Total"].GetInt32());
        Assert.Equal(["dev-004", "dev-020"], Items(named).Select(t => t.GetProperty("DeviceName").GetString()));
        (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, TaskStatus = "DONE" })).Refused(400, "InvalidTaskStatus");
    }

    [Fact]
    public async Task ListOTATaskByJob_keeps_Alibabas_paging_limits()
    {
        var jobId = await JobAsync();

        (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, PageSize = 101 })).Refused(400, "InvalidPageSize");
        (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, PageSize = 0 })).Refused(400, "InvalidPageSize");
        (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, CurrentPage = 0 })).Refused(400, "InvalidCurrentPage");
        (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, CurrentPage = 1001, PageSize = 100 })).Refused(400, "InvalidCurrentPage");
        var deepest = (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId, CurrentPage = 1000, PageSize = 100 })).Ok();
        var defaults = (await Api.GetAsync("ListOTATaskByJob", new { JobId = jobId })).Ok();

        Assert.Empty(Items(deepest));
        Assert.Equal(25, deepest["Total"].GetInt32());
        Assert.Equal(10, defaults["PageSize"].GetInt32());
        Assert.Equal(1, defaults["CurrentPage"].GetInt32());
        Assert.Equal(10, Items(defaults).Count);
        (await Api.GetAsync("ListOTATaskByJob")).Refused(400, "MissingJobId");
        (await Api.GetAsync("ListOTATaskByJob", new { JobId = "no-such-job" })).Refused(404, "JobNotFound");
    }

    [Fact]
    public async Task ListOTAUnfinishedTaskByDevice_lists_a_devices_tasks_in_the_statuses_asked_for()
    {
        var jobId = await JobAsync(needConfirm: true);
        var device = (await C.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-007"))!;

        var byList = (await Api.GetAsync("ListOTAUnfinishedTaskByDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-007", TaskStatusList = new[] { "CONFIRM", "QUEUED" } })).Ok();
        var byIotId = (await Api.GetAsync("ListOTAUnfinishedTaskByDevice", new { device.IotId, TaskStatus = "CONFIRM", ModuleName = "default" })).Ok();
        var otherStatus = (await Api.GetAsync("ListOTAUnfinishedTaskByDevice", new { device.IotId, TaskStatus = "IN_PROGRESS" })).Ok();

        var task = Assert.Single(Items(byList));
        Assert.Equal(jobId, task.GetProperty("JobId").GetString());
        Assert.Equal("CONFIRM", task.GetProperty("TaskStatus").GetString());
        Assert.Equal("default", task.GetProperty("ModuleName").GetString());
        Assert.Single(Items(byIotId));
        Assert.Empty(Items(otherStatus));
        (await Api.GetAsync("ListOTAUnfinishedTaskByDevice", new { device.IotId })).Refused(400, "MissingTaskStatus");
        (await Api.GetAsync("ListOTAUnfinishedTaskByDevice", new { device.IotId, TaskStatus = "SUCCEEDED" })).Refused(400, "InvalidTaskStatus");
    }

    [Fact]
    public async Task CancelOTATaskByDevice_cancels_the_named_devices_tasks_and_no_others()
    {
        var jobId = await JobAsync();

        (await Api.PostAsync("CancelOTATaskByDevice", new { ProductKey = ConsoleHost.ProductKey, FirmwareId = _package.Id, DeviceName = new[] { "dev-001", "dev-002" } })).Ok();
        (await Api.PostAsync("CancelOTATaskByDevice", new { ProductKey = ConsoleHost.ProductKey, FirmwareId = _package.Id, DeviceName = new[] { "dev-003", "dev-003" } })).Refused(400, "InvalidDeviceName");

        var tasks = await TasksAsync(jobId);
        Assert.Equal(["dev-001", "dev-002"], tasks.Where(t => t.Status == OtaTaskStatus.Canceled).Select(t => t.DeviceName));
        (await Api.PostAsync("CancelOTATaskByDevice", new { ProductKey = ConsoleHost.ProductKey, FirmwareId = _package.Id })).Refused(400, "MissingDeviceName");
    }

    [Fact]
    public async Task ReupgradeOTATask_updates_a_cancelled_task_again()
    {
        var jobId = await JobAsync();
        var task = (await TasksAsync(jobId))[0];
        await C.Engine.CancelTaskAsync(Actor.System, task.Id);

        (await Api.PostAsync("ReupgradeOTATask", new { JobId = jobId, TaskId = new[] { task.Id.ToString() } })).Ok();

        var again = (await TasksAsync(jobId)).Where(t => t.DeviceName == task.DeviceName).ToList();
        Assert.Contains(again, t => t.Status is OtaTaskStatus.Queued or OtaTaskStatus.Notified);
        (await Api.PostAsync("ReupgradeOTATask", new { JobId = jobId, TaskId = Enumerable.Range(1, 11).Select(i => i.ToString()).ToArray() })).Refused(400, "InvalidTaskId");
        (await Api.PostAsync("ReupgradeOTATask", new { JobId = jobId, TaskId = new[] { "x" } })).Refused(400, "InvalidTaskId");
    }

    [Fact]
    public async Task ConfirmOTATask_lets_confirmed_tasks_go_on_and_leaves_the_rest_waiting()
    {
        var jobId = await JobAsync(needConfirm: true);
        var tasks = await TasksAsync(jobId);

        (await Api.PostAsync("ConfirmOTATask", new { TaskId = new[] { tasks[0].Id.ToString(), tasks[1].Id.ToString() } })).Ok();

        var after = await TasksAsync(jobId);
        Assert.All(after.Take(2), t => Assert.NotEqual(OtaTaskStatus.Confirm, t.Status));
        Assert.All(after.Skip(2), t => Assert.Equal(OtaTaskStatus.Confirm, t.Status));
        (await Api.PostAsync("ConfirmOTATask", new { TaskId = new[] { "999999" } })).Refused(404, "TaskNotFound");
    }

    [Fact]
    public async Task ListOTAModuleVersionsByDevice_lists_what_the_device_reported_for_each_module()
    {
        var key = new DeviceKey(ConsoleHost.ProductKey, "dev-000");
        await C.Engine.ApplyDeviceEventsAsync([new VersionReported(key, "MCU", "7.1"), new VersionReported(key, "wifi", "3.2")]);

        var page = (await Api.GetAsync("ListOTAModuleVersionsByDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-000", CurrentPage = 1, PageSize = 2 })).Ok();
        var rest = (await Api.GetAsync("ListOTAModuleVersionsByDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-000", CurrentPage = 2, PageSize = 2 })).Ok();

        Assert.Equal(3, page["Total"].GetInt32());
        var modules = page.Data.GetProperty("SimpleOTAModuleInfo").EnumerateArray().Concat(rest.Data.GetProperty("SimpleOTAModuleInfo").EnumerateArray())
            .Select(m => m.GetProperty("ModuleName").GetString() + "=" + m.GetProperty("ModuleVersion").GetString());
        Assert.Equal(["MCU=7.1", "default=1.0.0", "wifi=3.2"], modules);
        (await Api.GetAsync("ListOTAModuleVersionsByDevice", new { ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-000", CurrentPage = 1, PageSize = 201 })).Refused(400, "InvalidPageSize");
    }
}
