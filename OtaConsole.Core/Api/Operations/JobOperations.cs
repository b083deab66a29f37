using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Api.Operations;

/// <summary>Batches ("jobs"): create verify, static and dynamic jobs, change, cancel, query and list them.</summary>
internal static class JobOperations
{
    private const string Group = "Batches (jobs)";
    private static readonly ApiParam JobId = new("JobId", "The batch's ID.", Required: true);
    private static readonly ApiParam FirmwareId = new("FirmwareId", "The package's ID.", Required: true);
    private static readonly ApiParam ProductKey = new("ProductKey", "The package's product.", Required: true);

    private static readonly ApiParam[] Delivery =
    [
        new("NeedPush", "true (default): pushed to devices; false: devices ask for it."),
        new("NeedConfirm", "true: tasks wait in CONFIRM for ConfirmOTATask; default false."),
        new("DownloadProtocol", "HTTPS (default) or MQTT."),
        new("Tag.N.Key / Tag.N.Value", "Up to 10 tags, sent to devices in extData: key 1-30 of A-Z a-z 0-9 . ; value 1-1024; 4096 in all."),
    ];

    private static readonly ApiParam[] Strategy =
    [
        new("MaximumPerMinute", $"Devices pushed per minute, {PushRate.Min}-{PushRate.Max}; default 10000. With a ramp: its ceiling."),
        new("BaseRatePerMinute, IncrementFactor, NumberOfNotifiedDevices | NumberOfSucceedDevices",
            "A variable rate: start at BaseRatePerMinute, multiply by IncrementFactor (1.1-5) each time that many devices were pushed (or succeeded), up to MaximumPerMinute."),
        new("RetryInterval", "Minutes before a failed device is retried: 0, 10, 30, 60 or 1440; no retry when absent."),
        new("RetryCount", "1, 2 or 5; with RetryInterval."),
        new("TimeoutInMinutes", "1-1440, from the first progress report; none when absent."),
        new("OverwriteMode", "1 (default): leave unfinished updates alone; 2: overwrite them (never one In upgrade)."),
        new("MultiModuleMode", "true: modules update independently; default false."),
        new("SafetyRule.N.Failures, SafetyRule.N.ThresholdPercent, SafetyRule.N.MinEnded, SafetyRule.N.Action, SafetyRule.N.Scope",
            "OtaConsole's own: up to 5 rules that pause the batch (Action PAUSE, the default) or cancel it (CANCEL) when ThresholdPercent (0-100) of its ended updates failed the Failures way (ALL, UPDATE_FAILED, UNEXPECTED_VERSION, TIMED_OUT), once MinEnded (1-1000000) have ended; over the whole BATCH (default) or each WAVE. None by default."),
        new("MaintenanceWindow.TimeZone, MaintenanceWindow.Days, MaintenanceWindow.Start, MaintenanceWindow.End",
            "OtaConsole's own: push only on these days (MON,TUE,… or ALL), from Start to End (HH:mm; an End before the Start runs past midnight) in TimeZone (IANA, e.g. Europe/Berlin; default UTC)."),
        new("MaintenanceWindow.Cron, MaintenanceWindow.DurationMinutes",
            "OtaConsole's own, instead of Days, Start and End: push for DurationMinutes (1-1430) from each time the 5-field cron expression names (e.g. 0 22 * * MON-FRI) in TimeZone."),
    ];

    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private static readonly IReadOnlyDictionary<string, FailureKind> FailureKinds = new Dictionary<string, FailureKind>
    {
        ["ALL"] = FailureKind.All,
        ["UPDATE_FAILED"] = FailureKind.UpdateFailed,
        ["UNEXPECTED_VERSION"] = FailureKind.UnexpectedVersion,
        ["TIMED_OUT"] = FailureKind.TimedOut,
    };

    public static IEnumerable<ApiOperation> All =>
    [
        new("CreateOTAVerifyJob", Group, Writes: true, "Verifies a package on up to 10 devices.",
        [
            FirmwareId, ProductKey,
            new("TargetDeviceName.N", "1-10 devices.", Required: true),
            new("TimeoutInMinutes", "1-1440."),
            .. Delivery,
        ], CreateVerifyJobAsync),
        new("CreateOTAStaticUpgradeJob", Group, Writes: true, "A batch update of the devices that match now.",
        [
            FirmwareId, ProductKey,
            new("TargetSelection", "ALL, SPECIFIC, GRAY or GROUP.", Required: true),
            new("TargetDeviceName.N", "SPECIFIC: up to 200 devices."),
            new("GrayPercent", "GRAY: above 0 and up to 100, 3 decimals at most."),
            new("GroupId", "GROUP: the group (GroupType LINK_PLATFORM)."),
            new("SrcVersion.N", "Only devices on one of these versions (up to 10)."),
            new("ScheduleTime", "Start, ms since 1970: 5 minutes to 7 days ahead; now when absent."),
            new("ScheduleFinishTime", "End, ms since 1970: 1 hour to 30 days after the start."),
            new("Wave.N.Size, Wave.N.GroupId, Wave.N.SuccessPercent, Wave.N.SoakMinutes, Wave.N.Approval",
                "OtaConsole's own: 2-10 waves in order. Size: a percentage of the batch's devices ('10%'), a count ('200'), or REST (the last wave, and only it); or GroupId for one device group. The next wave starts when SuccessPercent (0-100, default 100) of this wave's tasks succeeded and SoakMinutes (0-10080, default 0) passed since its last push; Approval=true: the wave waits for StartNextOTAJobWave. None by default."),
            .. Strategy, .. Delivery,
        ], CreateStaticJobAsync),
        new("CreateOTADynamicUpgradeJob", Group, Writes: true, "A batch update that also takes devices that match later (one per package).",
        [
            FirmwareId, ProductKey,
            new("SrcVersion.N", "Devices on these versions (1-10), now and when they report them later."),
            new("GroupId", "Or a group (GroupType LINK_PLATFORM_DYNAMIC)."),
            new("DynamicMode", "1 (default): every matching device; 2: only devices that report a version from now on."),
            .. Strategy, .. Delivery,
        ], CreateDynamicJobAsync),
        new("UpdateOTAJob", Group, Writes: true, "Changes a running batch: push rate, timeout (for devices added later), source versions (dynamic), tags.",
        [
            JobId,
            new("MaximumPerMinute", "The new rate (or a ramp's new ceiling)."),
            new("BaseRatePerMinute, IncrementFactor, NumberOfNotifiedDevices | NumberOfSucceedDevices", "A new variable rate."),
            new("TimeoutInMinutes", "1-1440."),
            new("SrcVersionList.N", "A dynamic batch's new source versions (1-10)."),
            new("Tags.N.Key / Tags.N.Value", "The batch's tags, all of them (Tag.N is taken too)."),
            new("SafetyRule.N.*", "OtaConsole's own: the batch's safety rules, all of them (as on creation)."),
            new("ClearSafetyRules", "OtaConsole's own: true removes the batch's safety rules."),
            new("Wave.N.SuccessPercent, Wave.N.SoakMinutes, Wave.N.Approval", "OtaConsole's own: each wave's gate, for every wave (sizes are fixed once the batch is made)."),
            new("MaintenanceWindow.*", "OtaConsole's own: a new maintenance window (as on creation), from the next second."),
            new("ClearMaintenanceWindow", "OtaConsole's own: true removes the maintenance window."),
        ], UpdateJobAsync),
        new("QueryOTAJob", Group, Writes: false, "Every option and the status of a batch.", [JobId],
            async c => new { Data = await JobInfoAsync(c, await Lookups.JobAsync(c)) }),
        new("ListOTAJobByFirmware", Group, Writes: false, "The batches of a package, newest first.",
        [
            FirmwareId,
            new("CurrentPage", "From 1.", Required: true),
            new("PageSize", "1-200.", Required: true),
        ], ListByFirmwareAsync),
        new("ListOTAJobByDevice", Group, Writes: false, "The batches of a package that reached a device, newest first.",
        [
            FirmwareId, ProductKey,
            new("DeviceName", "The device.", Required: true),
            new("CurrentPage", "From 1.", Required: true),
            new("PageSize", "1-100.", Required: true),
        ], ListByDeviceAsync),
        new("PauseOTAJob", Group, Writes: true, "OtaConsole's own: stops pushing a batch In upgrade (JobStatus PAUSED); tasks already pushed or in upgrade carry on.", [JobId],
            async c =>
            {
                await c.S.Engine.PauseBatchAsync(c.Actor, (await Lookups.JobAsync(c)).Id, c.Ct);
                return OtaApi.Done;
            }),
        new("ResumeOTAJob", Group, Writes: true, "OtaConsole's own: a paused batch pushes again, at its rate from now (no catch-up burst).", [JobId],
            async c =>
            {
                await c.S.Engine.ResumeBatchAsync(c.Actor, (await Lookups.JobAsync(c)).Id, c.Ct);
                return OtaApi.Done;
            }),
        new("StartNextOTAJobWave", Group, Writes: true, "OtaConsole's own: starts the next wave of a batch whose current wave met its success condition and whose next wave waits for approval; answers the wave started.", [JobId],
            async c => new { Data = new { Wave = await c.S.Engine.StartNextWaveAsync(c.Actor, (await Lookups.JobAsync(c)).Id, c.Ct) } }),
        new("RollbackOTAJob", Group, Writes: true, "OtaConsole's own: returns the devices a batch updated to the versions they came from, a batch per version that has a ready package of it; answers the versions without one.",
        [
            JobId,
            new("MaximumPerMinute", "The rollback batches' push rate; the batch's own when absent."),
            new("SafetyRule.N.Failures, SafetyRule.N.ThresholdPercent, SafetyRule.N.MinEnded, SafetyRule.N.Action", "The rollback batches' safety rules; none when absent."),
            new("Firmware.N.SrcVersion, Firmware.N.FirmwareId", "The package to return a source version's devices with, when several fit; the newest ready one otherwise."),
        ], RollbackAsync),
        new("CancelOTAStrategyByJob", Group, Writes: true, "Ends a dynamic batch's policy: no more devices join; tasks already made go on.", [JobId],
            async c =>
            {
                var job = await Lookups.JobAsync(c);
                if (!job.IsDynamic)
                    throw ApiException.Invalid("JobId", $"batch {job.Id} is static; CancelOTATaskByJob cancels a static batch's tasks.");
                await c.S.Engine.CancelBatchAsync(c.Actor, job.Id, alsoRunningTasks: false, ct: c.Ct);
                return OtaApi.Done;
            }),
        new("CancelOTATaskByJob", Group, Writes: true, "Cancels a batch's tasks in the states chosen (at least one).",
        [
            JobId,
            new("CancelScheduledTask", "true: tasks waiting for the schedule."),
            new("CancelQueuedTask", "true: To Be Pushed tasks (and Pending Confirmation, unless CancelUnconfirmedTask says otherwise)."),
            new("CancelNotifiedTask", "true: Pushed tasks."),
            new("CancelInProgressTask", "true: In upgrade tasks."),
            new("CancelUnconfirmedTask", "true or false: Pending Confirmation tasks."),
        ], CancelTasksByJobAsync),
    ];

    private static async Task<object> CreateVerifyJobAsync(ApiCall c)
    {
        var package = await Lookups.FirmwareOfProductAsync(c);
        var devices = c.P.List("TargetDeviceName", BatchRules.MaxVerifyDevices);
        if (devices.Count == 0)
            throw ApiException.Missing("TargetDeviceName.N");
        var request = Delivered(c, CreateBatchRequest.Verify(package.Id, [.. devices]) with
        {
            TimeoutMinutes = c.P.Int("TimeoutInMinutes", BatchRules.MinTimeoutMinutes, BatchRules.MaxTimeoutMinutes),
        });
        return await CreateAsync(c, request);
    }

    private static async Task<object> CreateStaticJobAsync(ApiCall c)
    {
        var package = await Lookups.FirmwareOfProductAsync(c);
        var target = c.P.Enum("TargetSelection", ApiNames.Targets) ?? throw ApiException.Missing("TargetSelection");
        if (c.P.Has("DnListFileUrl"))
            throw ApiException.Invalid("DnListFileUrl", "not supported by OtaConsole: give TargetDeviceName.N (up to 200 a call), or use a group.");
        if (target == TargetSelection.Group)
            RequireGroupType(c, "LINK_PLATFORM");
        var request = Delivered(c, Strategic(c, new CreateBatchRequest
        {
            PackageId = package.Id,
            Selection = SelectionType.Static,
            Target = target,
            DeviceNames = c.P.List("TargetDeviceName", 200),
            GrayPercent = c.P.Optional("GrayPercent"),
            GroupId = c.P.Optional("GroupId"),
            SrcVersions = c.P.List("SrcVersion", BatchRules.MaxSrcVersions),
            ScheduleTime = c.P.EpochMilliseconds("ScheduleTime"),
            ScheduleFinishTime = c.P.EpochMilliseconds("ScheduleFinishTime"),
            Waves = WavesOf(c),
        }));
        return await CreateAsync(c, request);
    }

    /// <summary>
    /// Wave.N.*, flattened as Alibaba's lists are, numbered from 1 without gaps; the core checks the sizes and gates.
    /// Size is '10%', '200' or REST; a wave with a GroupId is that group's.
    /// </summary>
    private static List<RolloutWave> WavesOf(ApiCall c)
    {
        var numbers = c.P.Items("Wave", "Size").Union(c.P.Items("Wave", "GroupId")).Order().ToList();
        if (!numbers.SequenceEqual(Enumerable.Range(1, numbers.Count)))
            throw ApiException.Invalid("Wave.N", $"waves are numbered from 1 without gaps, each with a Size or a GroupId; got {string.Join(", ", numbers)}.");
        var waves = new List<RolloutWave>();
        foreach (var i in numbers)
        {
            var wave = new RolloutWave
            {
                SuccessPercent = (decimal)(c.P.Double($"Wave.{i}.SuccessPercent", double.MinValue, double.MaxValue) ?? 100),
                SoakMinutes = c.P.Int($"Wave.{i}.SoakMinutes", int.MinValue, int.MaxValue) ?? 0,
                NeedsApproval = c.P.Bool($"Wave.{i}.Approval") ?? false,
            };
            var size = c.P.Optional($"Wave.{i}.Size")?.Trim();
            if (c.P.Optional($"Wave.{i}.GroupId") is { } group)
                (wave.Size, wave.GroupId) = (WaveSize.Group, group);
            else if (size is not null && size.Equals("REST", StringComparison.OrdinalIgnoreCase))
                wave.Size = WaveSize.Rest;
            else if (size is not null && size.EndsWith('%') && decimal.TryParse(size[..^1], System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var percent))
                (wave.Size, wave.Percent) = (WaveSize.Percent, percent);
            else if (int.TryParse(size, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count))
                (wave.Size, wave.Count) = (WaveSize.Count, count);
            else
                throw ApiException.Invalid($"Wave.{i}.Size", $"a percentage such as 10%, a count such as 200, or REST; got '{size}'.");
            waves.Add(wave);
        }
        return waves;
    }

    /// <summary>UpdateOTAJob's Wave.N.*: every wave's gate, what is not given kept as it is.</summary>
    private static List<WaveGate>? GatesOf(ApiCall c, Batch job)
    {
        if (!c.P.HasList("Wave"))
            return null;
        if (!job.HasWaves)
            throw ApiException.Invalid("Wave.N", $"batch {job.Id} has no waves; they are set when a batch is created.");
        return job.Waves.Select((w, n) => new WaveGate(
            (decimal)(c.P.Double($"Wave.{n + 1}.SuccessPercent", double.MinValue, double.MaxValue) ?? (double)w.SuccessPercent),
            c.P.Int($"Wave.{n + 1}.SoakMinutes", int.MinValue, int.MaxValue) ?? w.SoakMinutes,
            c.P.Bool($"Wave.{n + 1}.Approval") ?? w.NeedsApproval)).ToList();
    }

    private static async Task<object> CreateDynamicJobAsync(ApiCall c)
    {
        var package = await Lookups.FirmwareOfProductAsync(c);
        var groupId = c.P.Optional("GroupId");
        if (groupId is not null)
            RequireGroupType(c, "LINK_PLATFORM_DYNAMIC");
        var request = Delivered(c, Strategic(c, new CreateBatchRequest
        {
            PackageId = package.Id,
            Selection = SelectionType.Dynamic,
            Target = groupId is null ? TargetSelection.All : TargetSelection.Group,
            GroupId = groupId,
            SrcVersions = c.P.List("SrcVersion", BatchRules.MaxSrcVersions),
            DynamicMode = (DynamicMode)(c.P.OneOf("DynamicMode", 1, 2) ?? 1),
        }));
        return await CreateAsync(c, request);
    }

    private static async Task<object> CreateAsync(ApiCall c, CreateBatchRequest request)
    {
        var created = await c.S.Engine.CreateBatchAsync(c.Actor, request, c.Ct);
        return new { Data = new { JobId = created.BatchId, UtcCreate = ApiNames.Utc(created.CreatedAt) } };
    }

    private static void RequireGroupType(ApiCall c, string expected)
    {
        var type = c.P.Optional("GroupType") ?? throw ApiException.Missing("GroupType");
        if (type != expected)
            throw ApiException.Invalid("GroupType", $"{expected} for this kind of batch; got '{type}'.");
    }

    private static CreateBatchRequest Delivered(ApiCall c, CreateBatchRequest r) => r with
    {
        NeedPush = c.P.Bool("NeedPush") ?? true,
        NeedConfirm = c.P.Bool("NeedConfirm") ?? false,
        DownloadProtocol = c.P.Enum("DownloadProtocol", ApiNames.Protocols) ?? DownloadProtocol.Https,
        Tags = c.P.Tags(),
    };

    private static CreateBatchRequest Strategic(ApiCall c, CreateBatchRequest r) => r with
    {
        PushRate = Rate(c, current: null) ?? PushRate.Default,
        RetryIntervalMinutes = c.P.OneOf("RetryInterval", BatchRules.RetryIntervals),
        RetryCount = c.P.OneOf("RetryCount", BatchRules.RetryCounts),
        TimeoutMinutes = c.P.Int("TimeoutInMinutes", BatchRules.MinTimeoutMinutes, BatchRules.MaxTimeoutMinutes),
        OverwriteMode = c.P.OneOf("OverwriteMode", 1, 2) == 2 ? OverwriteMode.Overwrite : OverwriteMode.DoNotOverwrite,
        MultiModuleMode = c.P.Bool("MultiModuleMode") ?? false,
        FailureRules = Rules(c),
        Window = WindowOf(c),
    };

    /// <summary>MaintenanceWindow.* as given, or none; the core checks the zone, the days and the times' order.</summary>
    private static MaintenanceWindow? WindowOf(ApiCall c)
    {
        if (c.P.Optional("MaintenanceWindow.Cron") is { } cron)
            return new MaintenanceWindow
            {
                TimeZone = c.P.Optional("MaintenanceWindow.TimeZone") ?? "UTC",
                Cron = cron,
                DurationMinutes = c.P.Int("MaintenanceWindow.DurationMinutes", int.MinValue, int.MaxValue) ?? throw ApiException.Missing("MaintenanceWindow.DurationMinutes"),
            };
        if (!c.P.Has("MaintenanceWindow.Start") && !c.P.Has("MaintenanceWindow.End") && !c.P.Has("MaintenanceWindow.Days"))
            return null;
        TimeOnly Time(string name) => TimeOnly.TryParseExact(c.P.Optional(name) ?? throw ApiException.Missing(name), "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t)
            ? t : throw ApiException.Invalid(name, $"a time as HH:mm; got '{c.P.Optional(name)}'.");
        var days = (c.P.Optional("MaintenanceWindow.Days") ?? "ALL").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var parsed = days.Contains("ALL", StringComparer.OrdinalIgnoreCase) ? [.. Enum.GetValues<DayOfWeek>()]
            : days.Select(d => Array.FindIndex(DayNames, n => n.Equals(d, StringComparison.OrdinalIgnoreCase)) is var i and >= 0 ? (DayOfWeek)i
                : throw ApiException.Invalid("MaintenanceWindow.Days", $"days as MON,TUE,… or ALL; got '{d}'.")).ToList();
        return new MaintenanceWindow { TimeZone = c.P.Optional("MaintenanceWindow.TimeZone") ?? "UTC", Days = parsed, Start = Time("MaintenanceWindow.Start"), End = Time("MaintenanceWindow.End") };
    }

    /// <summary>SafetyRule.N.Failures / ThresholdPercent / MinEnded, flattened as Alibaba's lists are; the core checks their ranges.</summary>
    private static List<FailureRule> Rules(ApiCall c) =>
        c.P.Items("SafetyRule", "ThresholdPercent").Select(i => new FailureRule
        {
            Failures = c.P.Enum($"SafetyRule.{i}.Failures", FailureKinds) ?? FailureKind.All,
            ThresholdPercent = (decimal)(c.P.Double($"SafetyRule.{i}.ThresholdPercent", double.MinValue, double.MaxValue) ?? 0),
            MinEnded = c.P.Int($"SafetyRule.{i}.MinEnded", int.MinValue, int.MaxValue) ?? 1,
            Action = c.P.Enum($"SafetyRule.{i}.Action", RuleActions) ?? RuleAction.Pause,
            Scope = c.P.Enum($"SafetyRule.{i}.Scope", RuleScopes) ?? RuleScope.Batch,
        }).ToList();

    private static readonly IReadOnlyDictionary<string, RuleScope> RuleScopes = new Dictionary<string, RuleScope> { ["BATCH"] = RuleScope.Batch, ["WAVE"] = RuleScope.Wave };

    private static readonly IReadOnlyDictionary<string, RuleAction> RuleActions = new Dictionary<string, RuleAction> { ["PAUSE"] = RuleAction.Pause, ["CANCEL"] = RuleAction.Cancel };

    /// <summary>
    /// The push rate a request gives, or null when it gives none. The variable rate's parameter names are those
    /// Alibaba's own SDK carries for UpdateOTAJob (BaseRatePerMinute, IncrementFactor, NumberOfNotifiedDevices,
    /// NumberOfSucceedDevices); Alibaba documents no ranges for them (UNCONFIRMED), so ours are AWS's: a factor of
    /// 1.1-5. MaximumPerMinute alone changes a ramp's ceiling and keeps the ramp.
    /// </summary>
    private static PushRate? Rate(ApiCall c, PushRate? current)
    {
        var max = c.P.Int("MaximumPerMinute", int.MinValue, int.MaxValue);
        var rampGiven = c.P.Has("BaseRatePerMinute") || c.P.Has("IncrementFactor") || c.P.Has("NumberOfNotifiedDevices") || c.P.Has("NumberOfSucceedDevices");
        if (!rampGiven)
        {
            if (max is not int perMinute)
                return null;
            return current is { Kind: PushRateKind.Variable } ramp
                ? PushRate.Variable(ramp.RampBase!.Value, ramp.RampFactor!.Value, ramp.RampStep!.Value, ramp.RampCriterion!.Value, perMinute)
                : PushRate.Constant(perMinute);
        }
        if (c.P.Has("NumberOfNotifiedDevices") && c.P.Has("NumberOfSucceedDevices"))
            throw ApiException.Invalid("NumberOfNotifiedDevices", "give NumberOfNotifiedDevices or NumberOfSucceedDevices, not both.");
        var baseRate = c.P.Int("BaseRatePerMinute", int.MinValue, int.MaxValue) ?? throw ApiException.Missing("BaseRatePerMinute");
        var factor = c.P.Double("IncrementFactor", double.MinValue, double.MaxValue) ?? throw ApiException.Missing("IncrementFactor");
        var (step, criterion) = c.P.Has("NumberOfSucceedDevices")
            ? (c.P.Int("NumberOfSucceedDevices", int.MinValue, int.MaxValue)!.Value, RampCriterion.Succeeded)
            : (c.P.Int("NumberOfNotifiedDevices", int.MinValue, int.MaxValue) ?? throw ApiException.Missing("NumberOfNotifiedDevices"), RampCriterion.Pushed);
        return PushRate.Variable(baseRate, factor, step, criterion, max ?? current?.PerMinute ?? PushRate.Default.PerMinute);
    }

    private static async Task<object> UpdateJobAsync(ApiCall c)
    {
        var job = await Lookups.JobAsync(c);
        var rate = Rate(c, job.PushRate);
        var timeout = c.P.Int("TimeoutInMinutes", BatchRules.MinTimeoutMinutes, BatchRules.MaxTimeoutMinutes);
        List<string>? srcVersions = c.P.HasList("SrcVersionList") ? c.P.List("SrcVersionList", BatchRules.MaxSrcVersions) : null;
        List<BatchTag>? tags = c.P.HasList("Tags") ? c.P.Tags("Tags") : c.P.HasList("Tag") ? c.P.Tags() : null;
        List<FailureRule>? rules = c.P.Bool("ClearSafetyRules") == true ? [] : c.P.HasList("SafetyRule") ? Rules(c) : null;
        var edit = new BatchEdit
        {
            PushRate = rate, TimeoutMinutes = timeout, SrcVersions = srcVersions, Tags = tags, FailureRules = rules,
            WaveGates = GatesOf(c, job), Window = WindowOf(c), ClearWindow = c.P.Bool("ClearMaintenanceWindow") == true,
        };
        if (edit.IsEmpty)
            throw ApiException.Missing("MaximumPerMinute");
        // One step: a refused value leaves the batch as it was, whatever else the call would have changed.
        await c.S.Engine.EditBatchAsync(c.Actor, job.Id, edit, ct: c.Ct);
        return OtaApi.Done;
    }

    private static async Task<object> RollbackAsync(ApiCall c)
    {
        var job = await Lookups.JobAsync(c);
        var rate = c.P.Int("MaximumPerMinute", int.MinValue, int.MaxValue) is int perMinute ? PushRate.Constant(perMinute) : job.PushRate;
        var chosen = new Dictionary<string, string>();
        foreach (var i in c.P.Items("Firmware", "SrcVersion"))
            chosen[c.P.Required($"Firmware.{i}.SrcVersion")] = c.P.Required($"Firmware.{i}.FirmwareId");
        var result = await c.S.Engine.RollbackAsync(c.Actor, job.Id, rate, Rules(c), chosen, c.Ct);
        return new
        {
            Data = new
            {
                RollbackJobs = new { RollbackJob = result.Started.Select(s => new { SrcVersion = s.Version, JobId = s.BatchId }).ToList() },
                VersionsWithoutFirmware = new { Version = result.VersionsWithoutPackage },
            },
        };
    }

    private static async Task<object> CancelTasksByJobAsync(ApiCall c)
    {
        var job = await Lookups.JobAsync(c);
        var flags = new CancelTasksByJob
        {
            CancelScheduled = c.P.Bool("CancelScheduledTask") ?? false,
            CancelQueued = c.P.Bool("CancelQueuedTask") ?? false,
            CancelNotified = c.P.Bool("CancelNotifiedTask") ?? false,
            CancelInProgress = c.P.Bool("CancelInProgressTask") ?? false,
            CancelUnconfirmed = c.P.Bool("CancelUnconfirmedTask"),
        };
        if (!flags.Any)
            throw ApiException.Invalid("CancelQueuedTask", "set at least one of CancelScheduledTask, CancelQueuedTask, CancelNotifiedTask, CancelInProgressTask, CancelUnconfirmedTask to true.");
        await c.S.Engine.CancelTasksByJobAsync(c.Actor, job.Id, flags, c.Ct);
        return OtaApi.Done;
    }

    private static async Task<object> ListByFirmwareAsync(ApiCall c)
    {
        var package = await Lookups.FirmwareAsync(c);
        var (page, size) = Lookups.Paging(c, maxPageSize: 200);
        var result = await c.S.Batches.PageOfPackageAsync(c.Actor, package.Id, page - 1, size, c.Ct);
        return JobPage(result, page, size);
    }

    private static async Task<object> ListByDeviceAsync(ApiCall c)
    {
        var package = await Lookups.FirmwareOfProductAsync(c);
        var deviceName = c.P.Required("DeviceName");
        var (page, size) = Lookups.Paging(c, maxPageSize: 100);
        var result = await c.S.Batches.PageOfDeviceAsync(c.Actor, package.Id, package.ProductKey, deviceName, page - 1, size, c.Ct);
        return JobPage(result, page, size);
    }

    private static object JobPage(Queries.Page<Batch> result, int page, int size) =>
        Lookups.Paged(page, size, result.Total, new
        {
            SimpleOTAJobInfo = result.Items.Select(b => new
            {
                FirmwareId = b.PackageId,
                JobId = b.Id,
                JobStatus = ApiNames.Job(b.Status),
                JobType = ApiNames.JobType(b.Kind),
                b.ProductKey,
                SelectionType = ApiNames.Selection(b.Selection),
                Tags = TagList(b),
                TargetSelection = ApiNames.Target(b.Target),
                UtcCreate = ApiNames.Utc(b.CreatedAt),
                UtcEndTime = ApiNames.Utc(b.EndedAt),
                UtcModified = ApiNames.Utc(b.ModifiedAt),
                UtcStartTime = ApiNames.Utc(b.StartedAt),
                SafetyRules = RulesReport(b),
                PauseReason = PauseReasonReport(b),
                MaintenanceWindow = WindowReport(b),
                Waves = WavesReport(b),
                CurrentWave = b.HasWaves ? b.CurrentWave : (int?)null,
            }).ToList(),
        });

    // The safety policy as QueryOTAJob and ListOTAJobByFirmware report it (OtaConsole's own; absent without one).
    private static object? RulesReport(Batch b) => b.FailureRules.Count == 0 ? null : new
    {
        SafetyRule = b.FailureRules.Select(r => new
        {
            Failures = FailureKinds.First(k => k.Value == r.Failures).Key, r.ThresholdPercent, r.MinEnded,
            Action = RuleActions.First(k => k.Value == r.Action).Key, Scope = RuleScopes.First(k => k.Value == r.Scope).Key,
        }).ToList(),
    };

    private static string? PauseReasonReport(Batch b) => b.Status is BatchStatus.Paused or BatchStatus.Canceled ? b.PauseReason : null;

    private static object? WindowReport(Batch b) => b.Window is { Cron: not null } cron ? new { cron.TimeZone, cron.Cron, cron.DurationMinutes }
        : b.Window is { } w ? new
    {
        w.TimeZone,
        Days = string.Join(',', w.Days.Order().Select(d => DayNames[(int)d])),
        Start = w.Start.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
        End = w.End.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
    } : null;

    private static object? WavesReport(Batch b) => !b.HasWaves ? null : new
    {
        Wave = b.Waves.Select((w, i) => new
        {
            Number = i + 1,
            Size = w.Size switch
            {
                WaveSize.Percent => w.Percent?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%",
                WaveSize.Count => w.Count?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                WaveSize.Group => null,
                _ => "REST",
            },
            w.GroupId,
            w.SuccessPercent,
            w.SoakMinutes,
            Approval = w.NeedsApproval,
            Status = b.StateOf(i + 1) switch
            {
                WaveState.AwaitingApproval => "AWAITING_APPROVAL",
                WaveState.Pushing => "PUSHING",
                WaveState.Soaking => "SOAKING",
                WaveState.Passed => "PASSED",
                _ => "WAITING",
            },
            Total = w.Counts.Total,
            Succeeded = w.Counts.Succeeded,
            Failed = w.Counts.Failed,
            w.StartedBy,
            UtcStart = ApiNames.Utc(w.StartedAt),
            UtcSoakEnd = w.StartedAt is null ? null : ApiNames.Utc(w.SoakEndsAt),
            UtcPassed = ApiNames.Utc(w.PassedAt),
        }).ToList(),
    };

    private static object TagList(Batch b) => new { OtaTagDTO = b.Tags.Select(t => new { t.Key, t.Value }).ToList() };

    private static async Task<object> JobInfoAsync(ApiCall c, Batch b)
    {
        var groupName = b.GroupId is null ? null : (await c.S.Catalog.FindGroupAsync(b.GroupId, c.Ct))?.Name;
        var ramp = b.PushRate.Kind == PushRateKind.Variable ? b.PushRate : null;
        return new
        {
            b.DestVersion,
            DownloadProtocol = ApiNames.Protocol(b.DownloadProtocol),
            DynamicMode = b.IsDynamic ? (int?)(int)(b.DynamicMode ?? DynamicMode.AllMatching) : null,
            FirmwareId = b.PackageId,
            b.GrayPercent,
            b.GroupId,
            GroupName = groupName,
            JobDesc = b.Description,
            JobId = b.Id,
            JobStatus = ApiNames.Job(b.Status),
            JobType = ApiNames.JobType(b.Kind),
            MaximumPerMinute = b.PushRate.PerMinute,
            BaseRatePerMinute = ramp?.RampBase,
            IncrementFactor = ramp?.RampFactor,
            NumberOfNotifiedDevices = ramp?.RampCriterion == RampCriterion.Pushed ? ramp.RampStep : null,
            NumberOfSucceedDevices = ramp?.RampCriterion == RampCriterion.Succeeded ? ramp.RampStep : null,
            b.MultiModuleMode,
            b.Name,
            b.NeedConfirm,
            b.NeedPush,
            OverwriteMode = b.OverwriteMode == OverwriteMode.Overwrite ? 2 : 1,
            b.ProductKey,
            b.RetryCount,
            RetryInterval = b.RetryIntervalMinutes,
            SelectionType = ApiNames.Selection(b.Selection),
            SrcVersions = new { SrcVersion = b.SrcVersions },
            Tags = TagList(b),
            // Dynamic jobs report ALL unless they follow a group, as Alibaba's do.
            TargetSelection = ApiNames.Target(b.Target),
            TimeoutInMinutes = b.TimeoutMinutes,
            UtcCreate = ApiNames.Utc(b.CreatedAt),
            UtcEndTime = b.IsFinished ? ApiNames.Utc(b.EndedAt) : null,
            UtcModified = ApiNames.Utc(b.ModifiedAt),
            UtcScheduleFinishTime = ApiNames.Utc(b.ScheduleFinishTime),
            UtcScheduleTime = ApiNames.Utc(b.ScheduleTime),
            UtcStartTime = ApiNames.Utc(b.StartedAt),
            // OtaConsole's own fields: absent for a batch without a safety policy or a pause.
            SafetyRules = RulesReport(b),
            // Why it is paused, or why the safety policy cancelled it.
            PauseReason = PauseReasonReport(b),
            MaintenanceWindow = WindowReport(b),
            Waves = WavesReport(b),
            CurrentWave = b.HasWaves ? b.CurrentWave : (int?)null,
            UtcPaused = b.Status == BatchStatus.Paused ? ApiNames.Utc(b.PausedAt) : null,
        };
    }
}
