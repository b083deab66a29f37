using OtaConsole.Core.Security;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Api;

/// <summary>Batches ("jobs") through the API, each answer checked against the batch and tasks the engine holds.</summary>
public sealed class ApiJobTests : ApiTestBase
{
    private UpdatePackage _package = null!;

    protected override async Task SetUpAsync()
    {
        await C.ProductAsync();
        await C.ReportedDevicesAsync(6);
        _package = await C.PackageAsync();
    }

    private Task<Batch?> BatchAsync(string id) => C.Services.GetRequiredService<BatchQueries>().FindAsync(Actor.System, id);

    private async Task<List<UpdateTask>> TasksAsync(string batchId)
    {
        await using var db = C.Db();
        return await db.Tasks.AsNoTracking().Where(t => t.BatchId == batchId).OrderBy(t => t.DeviceName).ToListAsync();
    }

    private Task<RpcAnswer> CreateStaticAsync(object? extra) =>
        Api.PostAsync("CreateOTAStaticUpgradeJob", AlibabaRpc.With(new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, TargetSelection = "ALL" }, extra));

    private async Task<string> StaticJobAsync(object? extra = null) =>
        (await CreateStaticAsync(extra)).Ok().Data.GetProperty("JobId").GetString()!;

    [Fact]
    public async Task A_safety_rule_is_set_on_creation_and_PauseOTAJob_and_ResumeOTAJob_stop_and_start_pushing()
    {
        var jobId = await StaticJobAsync(new
        {
            MaximumPerMinute = 10,
            SafetyRule = new[] { new { Failures = "UPDATE_FAILED", ThresholdPercent = "5", MinEnded = 100 } },
        });
        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        var rule = job.GetProperty("SafetyRules").GetProperty("SafetyRule")[0];
        Assert.Equal(("UPDATE_FAILED", 5m, 100), (rule.GetProperty("Failures").GetString(), rule.GetProperty("ThresholdPercent").GetDecimal(), rule.GetProperty("MinEnded").GetInt32()));
        Assert.False(job.TryGetProperty("PauseReason", out _));

        (await Api.PostAsync("PauseOTAJob", new { JobId = jobId })).Ok();
        job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal("PAUSED", job.GetProperty("JobStatus").GetString());
        Assert.StartsWith("paused by ", job.GetProperty("PauseReason").GetString());
        (await Api.PostAsync("PauseOTAJob", new { JobId = jobId })).Refused(400, "JobNotPausable");

        (await Api.PostAsync("ResumeOTAJob", new { JobId = jobId })).Ok();
        Assert.Equal("IN_PROGRESS", (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data.GetProperty("JobStatus").GetString());
        (await Api.PostAsync("ResumeOTAJob", new { JobId = jobId })).Refused(400, "JobNotPaused");

        // The rules change while it runs, and go.
        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, SafetyRule = new[] { new { Failures = "TIMED_OUT", ThresholdPercent = "20", MinEnded = 5, Action = "CANCEL" } } })).Ok();
        var changed = (await BatchAsync(jobId))!.FailureRules.Single();
        Assert.Equal((FailureKind.TimedOut, 20m, 5, RuleAction.Cancel), (changed.Failures, changed.ThresholdPercent, changed.MinEnded, changed.Action));
        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, ClearSafetyRules = true })).Ok();
        Assert.Empty((await BatchAsync(jobId))!.FailureRules);
    }

    [Fact]
    public async Task Waves_are_set_on_creation_reported_with_their_progress_and_StartNextOTAJobWave_approves_the_next()
    {
        var jobId = await StaticJobAsync(new Dictionary<string, object?>
        {
            ["Wave.1.Size"] = "50%", ["Wave.1.SuccessPercent"] = "100",
            ["Wave.2.Size"] = "REST", ["Wave.2.Approval"] = "true",
            ["SafetyRule.1.ThresholdPercent"] = "50", ["SafetyRule.1.MinEnded"] = "2", ["SafetyRule.1.Scope"] = "WAVE",
        });
        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        var waves = job.GetProperty("Waves").GetProperty("Wave");
        Assert.Equal(("50%", 3, "PUSHING"), (waves[0].GetProperty("Size").GetString(), waves[0].GetProperty("Total").GetInt32(), waves[0].GetProperty("Status").GetString()));
        Assert.Equal(("REST", true, "WAITING"), (waves[1].GetProperty("Size").GetString(), waves[1].GetProperty("Approval").GetBoolean(), waves[1].GetProperty("Status").GetString()));
        Assert.Equal(1, job.GetProperty("CurrentWave").GetInt32());
        Assert.Equal("WAVE", job.GetProperty("SafetyRules").GetProperty("SafetyRule")[0].GetProperty("Scope").GetString());
        (await Api.PostAsync("StartNextOTAJobWave", new { JobId = jobId })).Refused(400, "JobWaveNotReady");

        var first = (await TasksAsync(jobId)).Where(t => t.Wave == 1).ToList();
        await C.WaitForAsync(async () => (await TasksAsync(jobId)).Count(t => t.Status == OtaTaskStatus.Notified) == 3, what: "the first wave's pushes");
        await C.Engine.ApplyDeviceEventsAsync(first.Select(t => (OtaConsole.Core.Devices.DeviceEvent)new OtaConsole.Core.Devices.VersionReported(new(ConsoleHost.ProductKey, t.DeviceName), OtaModule.Default, "2.0.0")).ToList());
        await C.WaitForAsync(async () => (await BatchAsync(jobId))!.CanStartNextWave, what: "the first wave to pass");
        var listed = (await Api.GetAsync("ListOTAJobByFirmware", new { FirmwareId = _package.Id, CurrentPage = 1, PageSize = 10 })).Ok().Data.GetProperty("SimpleOTAJobInfo")[0];
        Assert.Equal("AWAITING_APPROVAL", listed.GetProperty("Waves").GetProperty("Wave")[1].GetProperty("Status").GetString());

        Assert.Equal(2, (await Api.PostAsync("StartNextOTAJobWave", new { JobId = jobId })).Ok().Data.GetProperty("Wave").GetInt32());
        Assert.Equal(2, (await BatchAsync(jobId))!.CurrentWave);

        // The gates change while it runs; a size does not, and a bad gate changes nothing.
        (await Api.PostAsync("UpdateOTAJob", new Dictionary<string, object?> { ["JobId"] = jobId, ["Wave.1.SoakMinutes"] = "5" })).Ok();
        Assert.Equal(5, (await BatchAsync(jobId))!.Waves[0].SoakMinutes);
        (await Api.PostAsync("UpdateOTAJob", new Dictionary<string, object?> { ["JobId"] = jobId, ["Wave.2.SuccessPercent"] = "101" })).Refused(400, "InvalidWaveSuccessPercent");
        Assert.Equal(100, (await BatchAsync(jobId))!.Waves[1].SuccessPercent);
    }

    [Theory]
    [InlineData("Wave.1.Size", "ten", "InvalidWaveSize")]
    [InlineData("Wave.1.Size", "0%", "InvalidWavePercent")]
    [InlineData("Wave.3.Size", "REST", "InvalidWaveSize")]
    public async Task A_bad_wave_is_refused_by_its_parameter_name_and_nothing_is_created(string name, string value, string code)
    {
        var extra = new Dictionary<string, object?> { [name] = value, ["Wave.2.Size"] = "REST" };
        (await CreateStaticAsync(extra)).Refused(400, code);
        await using var db = C.Db();
        Assert.Equal(0, await db.Batches.CountAsync());
    }

    [Fact]
    public async Task A_maintenance_window_is_set_on_creation_and_reported_and_a_bad_one_refused()
    {
        var jobId = await StaticJobAsync(new Dictionary<string, object?> { ["MaintenanceWindow.TimeZone"] = "Europe/Berlin", ["MaintenanceWindow.Days"] = "MON,FRI", ["MaintenanceWindow.Start"] = "22:00", ["MaintenanceWindow.End"] = "04:00" });

        var window = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data.GetProperty("MaintenanceWindow");
        Assert.Equal(("Europe/Berlin", "MON,FRI", "22:00", "04:00"), (window.GetProperty("TimeZone").GetString(), window.GetProperty("Days").GetString(), window.GetProperty("Start").GetString(), window.GetProperty("End").GetString()));
        (await CreateStaticAsync(new Dictionary<string, object?> { ["MaintenanceWindow.TimeZone"] = "Mars/Olympus", ["MaintenanceWindow.Days"] = "ALL", ["MaintenanceWindow.Start"] = "22:00", ["MaintenanceWindow.End"] = "04:00" })).Refused(400, "InvalidMaintenanceWindowTimeZone");
        (await CreateStaticAsync(new Dictionary<string, object?> { ["MaintenanceWindow.Days"] = "FUNDAY", ["MaintenanceWindow.Start"] = "22:00", ["MaintenanceWindow.End"] = "04:00" })).Refused(400, "InvalidMaintenanceWindowDays");
        (await CreateStaticAsync(new Dictionary<string, object?> { ["MaintenanceWindow.Days"] = "ALL", ["MaintenanceWindow.Start"] = "25:00", ["MaintenanceWindow.End"] = "04:00" })).Refused(400, "InvalidMaintenanceWindowStart");
    }

    [Fact]
    public async Task RollbackOTAJob_starts_a_batch_per_version_that_has_a_package()
    {
        var jobId = await StaticJobAsync();
        await C.WaitForAsync(async () => (await TasksAsync(jobId)).All(t => t.Status == OtaTaskStatus.Notified), what: "the pushes");
        await C.Engine.ApplyDeviceEventsAsync([new OtaConsole.Core.Devices.VersionReported(new(ConsoleHost.ProductKey, "dev-000"), OtaModule.Default, "2.0.0")]);
        // No package of 1.0.0: nothing is started, and the answer says which version lacks one.
        var answer = (await Api.PostAsync("RollbackOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal(0, answer.GetProperty("RollbackJobs").GetProperty("RollbackJob").GetArrayLength());
        Assert.Equal("1.0.0", answer.GetProperty("VersionsWithoutFirmware").GetProperty("Version")[0].GetString());

        var back = await C.PackageAsync("1.0.0");
        var started = (await Api.PostAsync("RollbackOTAJob", new { JobId = jobId, MaximumPerMinute = 100 })).Ok().Data.GetProperty("RollbackJobs").GetProperty("RollbackJob")[0];
        var rollback = (await BatchAsync(started.GetProperty("JobId").GetString()!))!;
        Assert.Equal((jobId, back.Id, 100, "1.0.0"), (rollback.RollbackOf, rollback.PackageId, rollback.PushRate.PerMinute, started.GetProperty("SrcVersion").GetString()));
    }

    [Fact]
    public async Task A_safety_rule_out_of_range_is_refused_by_its_parameter_name()
    {
        var answer = await CreateStaticAsync(new { SafetyRule = new[] { new { Failures = "ALL", ThresholdPercent = "150", MinEnded = 10 } } });

        answer.Refused(400, "InvalidSafetyRuleThresholdPercent");
        Assert.Contains("SafetyRule.1.ThresholdPercent", answer.Message);
    }

    [Fact]
    public async Task A_static_job_takes_every_option_and_QueryOTAJob_answers_them_in_Alibabas_shape()
    {
        var jobId = await StaticJobAsync(new
        {
            TargetSelection = "GRAY",
            GrayPercent = "50",
            SrcVersion = new[] { "1.0.0" },
            MaximumPerMinute = 50,
            RetryInterval = 10,
            RetryCount = 2,
            TimeoutInMinutes = 30,
            OverwriteMode = 2,
            NeedConfirm = false,
            DownloadProtocol = "MQTT",
            Tag = new[] { new { Key = "region", Value = "eu" }, new { Key = "ring", Value = "1" } },
        });

        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        var batch = (await BatchAsync(jobId))!;

        Assert.Equal(3, (await TasksAsync(jobId)).Count);
        Assert.Equal(_package.Id, job.GetProperty("FirmwareId").GetString());
        Assert.Equal("GRAY", job.GetProperty("TargetSelection").GetString());
        Assert.Equal("50", job.GetProperty("GrayPercent").GetString());
        Assert.Equal("STATIC", job.GetProperty("SelectionType").GetString());
        Assert.Equal("UPGRADE_FIRMWARE", job.GetProperty("JobType").GetString());
        Assert.Equal("IN_PROGRESS", job.GetProperty("JobStatus").GetString());
        Assert.Equal("MQTT", job.GetProperty("DownloadProtocol").GetString());
        Assert.Equal(50, job.GetProperty("MaximumPerMinute").GetInt32());
        Assert.Equal(10, job.GetProperty("RetryInterval").GetInt32());
        Assert.Equal(2, job.GetProperty("RetryCount").GetInt32());
        Assert.Equal(30, job.GetProperty("TimeoutInMinutes").GetInt32());
        Assert.Equal(2, job.GetProperty("OverwriteMode").GetInt32());
        Assert.Equal(["1.0.0"], job.GetProperty("SrcVersions").GetProperty("SrcVersion").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["region=eu", "ring=1"], job.GetProperty("Tags").GetProperty("OtaTagDTO").EnumerateArray()
            .Select(t => t.GetProperty("Key").GetString() + "=" + t.GetProperty("Value").GetString()));
        Assert.Equal(Core.Api.ApiNames.Utc(batch.CreatedAt), job.GetProperty("UtcCreate").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", job.GetProperty("UtcStartTime").GetString());
        Assert.False(job.TryGetProperty("UtcEndTime", out _));
        Assert.Equal(50, batch.PushRate.PerMinute);
        Assert.Equal(DownloadProtocol.Mqtt, batch.DownloadProtocol);
    }

    [Fact]
    public async Task A_job_with_an_option_out_of_range_is_refused_with_the_parameters_name_and_nothing_is_created()
    {
        async Task RefusedAsync(object extra, string code) => (await CreateStaticAsync(extra)).Refused(400, code);

        await RefusedAsync(new { MaximumPerMinute = 9 }, "InvalidMaximumPerMinute");
        await RefusedAsync(new { MaximumPerMinute = 100_001 }, "InvalidMaximumPerMinute");
        await RefusedAsync(new { TimeoutInMinutes = 1441 }, "InvalidTimeoutInMinutes");
        await RefusedAsync(new { RetryInterval = 15 }, "InvalidRetryInterval");
        await RefusedAsync(new { TargetSelection = "SOME" }, "InvalidTargetSelection");
        await RefusedAsync(new { TargetSelection = "GRAY", GrayPercent = "0" }, "InvalidGrayPercent");
        await RefusedAsync(new { SrcVersion = Enumerable.Range(0, 11).Select(i => $"1.{i}").ToArray() }, "InvalidSrcVersion");
        await RefusedAsync(new { TargetSelection = "SPECIFIC", TargetDeviceName = Enumerable.Range(0, 201).Select(i => $"d{i}").ToArray() }, "InvalidTargetDeviceName");
        await RefusedAsync(new { Tag = new[] { new { Key = "bad key!", Value = "v" } } }, "InvalidTagKey");
        await RefusedAsync(new { DnListFileUrl = "http://example.com/list.csv" }, "InvalidDnListFileUrl");
        (await Api.PostAsync("CreateOTAStaticUpgradeJob", new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey })).Refused(400, "MissingTargetSelection");
        (await Api.PostAsync("CreateOTAStaticUpgradeJob", new { FirmwareId = _package.Id, ProductKey = "other", TargetSelection = "ALL" })).Refused(400, "InvalidProductKey");

        Assert.Equal(0, (await C.Services.GetRequiredService<BatchQueries>().PageOfPackageAsync(Actor.System, _package.Id, 0, 10)).Total);
    }

    [Fact]
    public async Task A_verify_job_names_up_to_10_devices_and_is_reported_as_Alibaba_spells_it()
    {
        var jobId = (await Api.PostAsync("CreateOTAVerifyJob", new
        {
            FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, TargetDeviceName = new[] { "dev-000" }, TimeoutInMinutes = 5,
        })).Ok().Data.GetProperty("JobId").GetString()!;

        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal("VERFIY_FIRMWARE", job.GetProperty("JobType").GetString());
        Assert.Equal(["dev-000"], (await TasksAsync(jobId)).Select(t => t.DeviceName));
        (await Api.PostAsync("CreateOTAVerifyJob", new
        {
            FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, TargetDeviceName = Enumerable.Range(0, 11).Select(i => $"dev-{i:D3}").ToArray(),
        })).Refused(400, "InvalidTargetDeviceName");
        (await Api.PostAsync("CreateOTAVerifyJob", new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey })).Refused(400, "MissingTargetDeviceName");
    }

    [Fact]
    public async Task A_dynamic_job_follows_its_source_versions_and_CancelOTAStrategyByJob_ends_it()
    {
        var jobId = (await Api.PostAsync("CreateOTADynamicUpgradeJob", new
        {
            FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, SrcVersion = new[] { "1.0.0" }, DynamicMode = 1,
        })).Ok().Data.GetProperty("JobId").GetString()!;

        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal("DYNAMIC", job.GetProperty("SelectionType").GetString());
        Assert.Equal(1, job.GetProperty("DynamicMode").GetInt32());
        Assert.Equal(6, (await TasksAsync(jobId)).Count);
        // One dynamic job per package, as at Alibaba.
        Assert.Equal(400, (await Api.PostAsync("CreateOTADynamicUpgradeJob", new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, SrcVersion = new[] { "1.0.0" } })).Status);

        (await Api.PostAsync("CancelOTAStrategyByJob", new { JobId = jobId })).Ok();
        Assert.Equal(BatchStatus.Canceled, (await BatchAsync(jobId))!.Status);
        var staticJob = await StaticJobAsync(new { OverwriteMode = 2 });
        (await Api.PostAsync("CancelOTAStrategyByJob", new { JobId = staticJob })).Refused(400, "InvalidJobId");
    }

    [Fact]
    public async Task UpdateOTAJob_changes_the_push_rate_and_tags_of_a_running_job()
    {
        var jobId = await StaticJobAsync(new { MaximumPerMinute = 100 });

        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, MaximumPerMinute = 500, Tags = new[] { new { Key = "wave", Value = "2" } } })).Ok();

        var batch = (await BatchAsync(jobId))!;
        Assert.Equal(PushRate.Constant(500), batch.PushRate);
        Assert.Equal([("wave", "2")], batch.Tags.Select(t => (t.Key, t.Value)));
    }

    [Fact]
    public async Task UpdateOTAJob_changes_a_dynamic_jobs_source_versions_and_timeout()
    {
        var jobId = (await Api.PostAsync("CreateOTADynamicUpgradeJob", new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, SrcVersion = new[] { "1.0.0" } }))
            .Ok().Data.GetProperty("JobId").GetString()!;

        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, SrcVersionList = new[] { "1.0.0", "1.1.0" }, TimeoutInMinutes = 90 })).Ok();
        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, TimeoutInMinutes = 1441 })).Refused(400, "InvalidTimeoutInMinutes");

        var batch = (await BatchAsync(jobId))!;
        Assert.Equal(["1.0.0", "1.1.0"], batch.SrcVersions);
        Assert.Equal(90, batch.TimeoutMinutes);
        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal(["1.0.0", "1.1.0"], job.GetProperty("SrcVersions").GetProperty("SrcVersion").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task UpdateOTAJob_takes_a_variable_rate_and_QueryOTAJob_reports_it()
    {
        var jobId = await StaticJobAsync();

        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, BaseRatePerMinute = 20, IncrementFactor = 2, NumberOfSucceedDevices = 10, MaximumPerMinute = 1000 })).Ok();

        Assert.Equal(PushRate.Variable(20, 2, 10, RampCriterion.Succeeded, 1000), (await BatchAsync(jobId))!.PushRate);
        var job = (await Api.GetAsync("QueryOTAJob", new { JobId = jobId })).Ok().Data;
        Assert.Equal(20, job.GetProperty("BaseRatePerMinute").GetInt32());
        Assert.Equal(10, job.GetProperty("NumberOfSucceedDevices").GetInt32());
        Assert.Equal(1000, job.GetProperty("MaximumPerMinute").GetInt32());
    }

    [Fact]
    public async Task UpdateOTAJob_refuses_a_bad_value_and_then_changes_nothing_else_it_was_given()
    {
        var jobId = await StaticJobAsync(new { MaximumPerMinute = 100, Tag = new[] { new { Key = "wave", Value = "1" } } });
        var before = (await BatchAsync(jobId))!;

        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, MaximumPerMinute = 5 })).Refused(400, "InvalidMaximumPerMinute");
        // A valid rate with source versions a static job cannot take: refused as a whole.
        Assert.Equal(400, (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, MaximumPerMinute = 500, SrcVersionList = new[] { "1.0.0" } })).Status);
        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId, MaximumPerMinute = 500, Tags = new[] { new { Key = "bad key!", Value = "v" } } })).Refused(400, "InvalidTagKey");
        (await Api.PostAsync("UpdateOTAJob", new { JobId = jobId })).Refused(400, "MissingMaximumPerMinute");

        var after = (await BatchAsync(jobId))!;
        Assert.Equal(before.PushRate, after.PushRate);
        Assert.Equal(before.EditVersion, after.EditVersion);
        Assert.Equal([("wave", "1")], after.Tags.Select(t => (t.Key, t.Value)));
    }

    [Fact]
    public async Task ListOTAJobByFirmware_pages_a_packages_jobs_newest_first()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await StaticJobAsync(new { OverwriteMode = 2 }));
            C.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var first = (await Api.GetAsync("ListOTAJobByFirmware", new { FirmwareId = _package.Id, CurrentPage = 1, PageSize = 2 })).Ok();
        var second = (await Api.GetAsync("ListOTAJobByFirmware", new { FirmwareId = _package.Id, CurrentPage = 2, PageSize = 2 })).Ok();

        Assert.Equal(3, first["Total"].GetInt32());
        Assert.Equal(2, first["PageCount"].GetInt32());
        Assert.Equal([ids[2], ids[1]], JobIds(first));
        Assert.Equal([ids[0]], JobIds(second));
        var info = first.Data.GetProperty("SimpleOTAJobInfo")[0];
        Assert.Equal("UPGRADE_FIRMWARE", info.GetProperty("JobType").GetString());
        Assert.Equal(JsonValueKind.Array, info.GetProperty("Tags").GetProperty("OtaTagDTO").ValueKind);
        (await Api.GetAsync("ListOTAJobByFirmware", new { FirmwareId = _package.Id, CurrentPage = 1, PageSize = 201 })).Refused(400, "InvalidPageSize");
    }

    [Fact]
    public async Task ListOTAJobByDevice_lists_only_the_jobs_that_reached_the_device()
    {
        var both = await StaticJobAsync(new { TargetSelection = "SPECIFIC", TargetDeviceName = new[] { "dev-000", "dev-001" } });
        var other = await StaticJobAsync(new { TargetSelection = "SPECIFIC", TargetDeviceName = new[] { "dev-002" } });

        var forDevice = (await Api.GetAsync("ListOTAJobByDevice", new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-001", CurrentPage = 1, PageSize = 10 })).Ok();
        var none = (await Api.GetAsync("ListOTAJobByDevice", new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-005", CurrentPage = 1, PageSize = 10 })).Ok();

        Assert.Equal([both], JobIds(forDevice));
        Assert.Equal(0, none["Total"].GetInt32());
        Assert.NotEqual(both, other);
        (await Api.GetAsync("ListOTAJobByDevice", new { FirmwareId = _package.Id, ProductKey = ConsoleHost.ProductKey, DeviceName = "dev-001", CurrentPage = 1, PageSize = 101 })).Refused(400, "InvalidPageSize");
    }

    [Fact]
    public async Task CancelOTATaskByJob_cancels_the_tasks_in_the_states_chosen()
    {
        var jobId = await StaticJobAsync(new { NeedConfirm = true });
        Assert.All(await TasksAsync(jobId), t => Assert.Equal(OtaTaskStatus.Confirm, t.Status));

        (await Api.PostAsync("CancelOTATaskByJob", new { JobId = jobId })).Refused(400, "InvalidCancelQueuedTask");
        Assert.All(await TasksAsync(jobId), t => Assert.Equal(OtaTaskStatus.Confirm, t.Status));

        (await Api.PostAsync("CancelOTATaskByJob", new { JobId = jobId, CancelUnconfirmedTask = true })).Ok();
        Assert.All(await TasksAsync(jobId), t => Assert.Equal(OtaTaskStatus.Canceled, t.Status));
    }

    private static List<string> JobIds(RpcAnswer a) => a.Data.GetProperty("SimpleOTAJobInfo").EnumerateArray().Select(j => j.GetProperty("JobId").GetString()!).ToList();
}
