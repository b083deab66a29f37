using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Validation;

/// <summary>The ranges of every batch option (reference §3.3-§3.7, §5), each error naming the field and the range.</summary>
public static class BatchRules
{
    public const int MaxTags = 10;
    public const int MaxTagKeyLength = 30;
    public const int MaxTagValueLength = 1024;
    public const int MaxTagsTotalLength = 4096;
    public const int MaxSrcVersions = 10;
    public const int MaxVerifyDevices = 10;
    public const int MaxSpecificDevices = 1_000_000;
    /// <summary>How much of a name that is not a device a batch keeps (device names themselves are at most 32).</summary>
    public const int MaxUnknownNameLength = 64;
    public const int MinTimeoutMinutes = 1;
    public const int MaxTimeoutMinutes = 1440;
    public const int MaxRampStep = 1_000_000;
    public const long MaxMqttDownloadBytes = 16L * 1024 * 1024;
    public static readonly int[] RetryIntervals = [0, 10, 30, 60, 1440];
    public static readonly int[] RetryCounts = [1, 2, 5];
    public static readonly TimeSpan MinScheduleLead = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxScheduleLead = TimeSpan.FromDays(7);
    public static readonly TimeSpan MinScheduleWindow = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxScheduleWindow = TimeSpan.FromDays(30);

    public static void ValidateTags(IReadOnlyList<BatchTag> tags, List<FieldError> errors)
    {
        if (tags.Count > MaxTags)
            errors.Add(new("Tag.N", $"at most {MaxTags} tags per batch; got {tags.Count}."));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var total = 0;
        for (var i = 0; i < tags.Count; i++)
        {
            var (key, value) = (tags[i].Key ?? "", tags[i].Value ?? "");
            total += key.Length + value.Length;
            if (key.Length is < 1 or > MaxTagKeyLength || !key.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '.'))
                errors.Add(new($"Tag.{i + 1}.Key", $"a tag key is 1-{MaxTagKeyLength} characters of A-Z, a-z, 0-9 and '.'; got '{Shorten(key)}'."));
            else if (!seen.Add(key))
                errors.Add(new($"Tag.{i + 1}.Key", $"tag key '{key}' appears twice."));
            if (value.Length is < 1 or > MaxTagValueLength || !NameRules.IsPlainText(value, MaxTagValueLength))
                errors.Add(new($"Tag.{i + 1}.Value", $"a tag value is 1-{MaxTagValueLength} characters of plain text; got {value.Length}."));
        }
        if (total > MaxTagsTotalLength)
            errors.Add(new("Tag.N", $"tag keys and values together are at most {MaxTagsTotalLength} characters; got {total}."));
    }

    public const int MaxFailureRules = 5;
    public const int MaxRuleMinEnded = 1_000_000;

    /// <summary>The safety policy's failure rules (ours): up to 5, each a kind, 0-100 % with 2 decimals, and 1-1,000,000 ended updates.</summary>
    public static void ValidateFailureRules(IReadOnlyList<FailureRule> rules, List<FieldError> errors)
    {
        if (rules.Count > MaxFailureRules)
            errors.Add(new("SafetyRule.N", $"at most {MaxFailureRules} failure rules per batch; got {rules.Count}."));
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            if (!Enum.IsDefined(r.Failures))
                errors.Add(new($"SafetyRule.{i + 1}.Failures", "the failures a rule counts are ALL, UPDATE_FAILED, UNEXPECTED_VERSION or TIMED_OUT."));
            if (r.ThresholdPercent is < 0 or > 100 || decimal.Round(r.ThresholdPercent, 2) != r.ThresholdPercent)
                errors.Add(new($"SafetyRule.{i + 1}.ThresholdPercent", $"a rule's threshold is 0-100 % with up to 2 decimals; got {r.ThresholdPercent}."));
            if (!Enum.IsDefined(r.Scope))
                errors.Add(new($"SafetyRule.{i + 1}.Scope", "a rule is judged over the BATCH or each WAVE."));
            if (!Enum.IsDefined(r.Action))
                errors.Add(new($"SafetyRule.{i + 1}.Action", "a rule's action is PAUSE or CANCEL."));
            if (r.MinEnded is < 1 or > MaxRuleMinEnded)
                errors.Add(new($"SafetyRule.{i + 1}.MinEnded", $"a rule applies after 1-{MaxRuleMinEnded:N0} ended updates; got {r.MinEnded}."));
        }
    }

    public const int MaxWaves = 10;
    public const int MaxSoakMinutes = 7 * 24 * 60;

    /// <summary>
    /// The safety policy's waves (ours): 2-10, each but the last a percentage, a count or a device group, the last one
    /// the rest; each a success threshold of 0-100 % (1 decimal) and a soak of 0-10,080 minutes. A static upgrade only.
    /// </summary>
    public static void ValidateWaves(IReadOnlyList<RolloutWave> waves, bool staticUpgrade, List<FieldError> errors)
    {
        if (waves.Count == 0)
            return;
        if (!staticUpgrade)
            errors.Add(new("Wave.N", "waves split a static batch update's devices; a dynamic or verify batch has none."));
        if (waves.Count is < 2 or > MaxWaves)
            errors.Add(new("Wave.N", $"2-{MaxWaves} waves, the last one the rest of the devices; got {waves.Count}."));
        var groups = new HashSet<string>();
        for (var i = 0; i < waves.Count; i++)
        {
            var w = waves[i];
            var last = i == waves.Count - 1;
            var field = $"Wave.{i + 1}";
            if (last && w.Size != WaveSize.Rest)
                errors.Add(new(field, "the last wave takes the rest of the batch's devices: give it no size."));
            else if (!last && w.Size == WaveSize.Rest)
                errors.Add(new(field, "only the last wave is the rest; give this one a percentage, a count or a group."));
            else if (w.Size == WaveSize.Percent && (w.Percent is not decimal p || p <= 0 || p > 100 || decimal.Round(p, 3) != p))
                errors.Add(new($"{field}.Percent", $"a wave's share is more than 0 and at most 100 %, with up to 3 decimals; got {w.Percent?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}."));
            else if (w.Size == WaveSize.Count && w.Count is not (>= 1 and <= 1_000_000))
                errors.Add(new($"{field}.Count", $"a wave's size is 1-1,000,000 devices; got {w.Count?.ToString() ?? "nothing"}."));
            else if (w.Size == WaveSize.Group && (string.IsNullOrWhiteSpace(w.GroupId) || !groups.Add(w.GroupId)))
                errors.Add(new($"{field}.GroupId", string.IsNullOrWhiteSpace(w.GroupId) ? "a group wave needs a group." : $"group {Shorten(w.GroupId)} is a wave already."));
            else if (!Enum.IsDefined(w.Size))
                errors.Add(new(field, "a wave's size is a percentage, a count, a group or the rest."));
            if (w.SuccessPercent is < 0 or > 100 || decimal.Round(w.SuccessPercent, 1) != w.SuccessPercent)
                errors.Add(new($"{field}.SuccessPercent", $"a wave's success threshold is 0-100 % with up to 1 decimal; got {w.SuccessPercent.ToString(System.Globalization.CultureInfo.InvariantCulture)}."));
            if (w.SoakMinutes is < 0 or > MaxSoakMinutes)
                errors.Add(new($"{field}.SoakMinutes", $"a wave's soak time is 0-{MaxSoakMinutes:N0} minutes; got {w.SoakMinutes}."));
        }
    }

    /// <summary>A cron window's longest duration: AWS IoT Jobs' 1430 minutes, under a day.</summary>
    public const int MaxWindowMinutes = 1430;

    /// <summary>A maintenance window (ours): a known time zone, and at least one day with a start and an end that differ, or a cron expression and a duration.</summary>
    public static void ValidateWindow(MaintenanceWindow w, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(w.TimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(w.TimeZone, out _))
            errors.Add(new("MaintenanceWindow.TimeZone", $"a time zone such as Europe/Berlin or UTC; got '{Shorten(w.TimeZone ?? "")}'."));
        if (w.Cron is not null)
        {
            if (Rollout.MaintenanceWindows.CronOf(w) is null)
                errors.Add(new("MaintenanceWindow.Cron", $"a cron expression of 5 fields (minute hour day-of-month month day-of-week), such as 0 22 * * MON-FRI; got '{Shorten(w.Cron)}'."));
            if (w.DurationMinutes is not (>= 1 and <= MaxWindowMinutes))
                errors.Add(new("MaintenanceWindow.DurationMinutes", $"a cron window lasts 1-{MaxWindowMinutes} minutes; got {w.DurationMinutes?.ToString() ?? "nothing"}.", w.DurationMinutes is null));
            return;
        }
        if (w.Days.Count == 0 || w.Days.Any(d => !Enum.IsDefined(d)))
            errors.Add(new("MaintenanceWindow.Days", "at least one day of the week, such as MON,TUE.", w.Days.Count == 0));
        if (w.Start == w.End)
            errors.Add(new("MaintenanceWindow.End", "a window's end differs from its start (an end before the start runs past midnight)."));
    }

    public static void ValidatePushRate(PushRate? rate, List<FieldError> errors)
    {
        if (rate is null)
        {
            errors.Add(new("MaximumPerMinute", "a push rate is required.", Missing: true));
            return;
        }
        var range = $"{PushRate.Min}-{PushRate.Max} devices per minute";
        if (rate.PerMinute is < PushRate.Min or > PushRate.Max)
            errors.Add(new("MaximumPerMinute", $"{(rate.Kind == PushRateKind.Constant ? "the push rate" : "the ramp's maximum rate")} is {range}; got {rate.PerMinute}."));
        if (rate.Kind == PushRateKind.Constant)
            return;
        if (rate.RampBase is not int b || b < PushRate.Min || b > PushRate.Max)
            errors.Add(new("RampBaseRate", $"the ramp's starting rate is {range}; got {rate.RampBase?.ToString() ?? "nothing"}.", rate.RampBase is null));
        else if (b > rate.PerMinute)
            errors.Add(new("RampBaseRate", $"the ramp's starting rate ({b}) cannot be above its maximum ({rate.PerMinute})."));
        if (rate.RampFactor is not double f || double.IsNaN(f) || f < PushRate.MinFactor || f > PushRate.MaxFactor)
            errors.Add(new("RampIncrementFactor", $"the ramp's factor is {PushRate.MinFactor}-{PushRate.MaxFactor}; got {rate.RampFactor?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}.", rate.RampFactor is null));
        if (rate.RampStep is not int s || s < 1 || s > MaxRampStep)
            errors.Add(new("RampStep", $"the ramp steps up every 1-{MaxRampStep} devices; got {rate.RampStep?.ToString() ?? "nothing"}.", rate.RampStep is null));
        if (rate.RampCriterion is null)
            errors.Add(new("RampCriterion", "say whether the ramp counts pushed or succeeded devices.", Missing: true));
    }

    public static void ValidateTimeout(int? minutes, List<FieldError> errors)
    {
        if (minutes is int m && (m < MinTimeoutMinutes || m > MaxTimeoutMinutes))
            errors.Add(new("TimeoutInMinutes", $"the timeout is {MinTimeoutMinutes}-{MaxTimeoutMinutes} minutes; got {m}."));
    }

    public static void ValidateSrcVersions(IReadOnlyList<string> versions, List<FieldError> errors)
    {
        if (versions.Count > MaxSrcVersions)
            errors.Add(new("SrcVersion.N", $"at most {MaxSrcVersions} source versions; got {versions.Count}."));
        if (versions.Distinct(StringComparer.Ordinal).Count() != versions.Count)
            errors.Add(new("SrcVersion.N", "source versions must be unique."));
        foreach (var v in versions.Where(v => !NameRules.IsVersion(v)))
            errors.Add(new("SrcVersion.N", $"a version is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'; got '{Shorten(v)}'."));
    }

    /// <summary>Every rule for a new batch of <paramref name="package"/>, at <paramref name="now"/>.</summary>
    public static List<FieldError> Validate(CreateBatchRequest r, UpdatePackage package, DateTimeOffset now)
    {
        var errors = new List<FieldError>();
        var isVerify = r.Kind == BatchKind.Verify;
        var isDynamic = r.Selection == SelectionType.Dynamic;

        if (!NameRules.IsPlainText(r.Name, 64))
            errors.Add(new("Name", "a batch name is at most 64 characters of plain text."));
        if (!NameRules.IsPlainText(r.Description, 1024))
            errors.Add(new("JobDesc", "a batch description is at most 1024 characters of plain text."));

        ValidateTags(r.Tags, errors);
        ValidatePushRate(r.PushRate, errors);
        ValidateTimeout(r.TimeoutMinutes, errors);
        ValidateSrcVersions(r.SrcVersions, errors);
        ValidateFailureRules(r.FailureRules, errors);
        ValidateWaves(r.Waves, !isVerify && !isDynamic, errors);
        if (r.Window is { } window)
            ValidateWindow(window, errors);

        if (!Enum.IsDefined(r.OverwriteMode))
            errors.Add(new("OverwriteMode", $"OverwriteMode is 1 (do not overwrite) or 2 (overwrite); got {(int)r.OverwriteMode}."));
        if (r.OverwriteMode == OverwriteMode.Overwrite && r.MultiModuleMode)
            errors.Add(new("OverwriteMode", "overwriting cannot be combined with modules updating independently (MultiModuleMode), which overwrites same-module tasks already."));
        if (!Enum.IsDefined(r.DynamicMode))
            errors.Add(new("DynamicMode", $"DynamicMode is 1 (all matching devices) or 2 (only devices that report later); got {(int)r.DynamicMode}."));

        // Retry: both or neither, from fixed lists, and shorter than the timeout.
        if (r.RetryIntervalMinutes is int interval)
        {
            if (!RetryIntervals.Contains(interval))
                errors.Add(new("RetryInterval", $"the retry interval is one of {string.Join(", ", RetryIntervals)} minutes; got {interval}."));
            else if (r.TimeoutMinutes is int t && interval >= t)
                errors.Add(new("RetryInterval", $"the retry interval ({interval} min) must be shorter than the timeout ({t} min)."));
            if (r.RetryCount is null)
                errors.Add(new("RetryCount", $"a retry interval needs a retry count: one of {string.Join(", ", RetryCounts)}.", Missing: true));
        }
        if (r.RetryCount is int count)
        {
            if (!RetryCounts.Contains(count))
                errors.Add(new("RetryCount", $"the retry count is one of {string.Join(", ", RetryCounts)}; got {count}."));
            if (r.RetryIntervalMinutes is null)
                errors.Add(new("RetryInterval", $"a retry count needs a retry interval: one of {string.Join(", ", RetryIntervals)} minutes.", Missing: true));
        }

        if (r.DownloadProtocol == DownloadProtocol.Mqtt)
        {
            if (package.Files.Count != 1)
                errors.Add(new("DownloadProtocol", "MQTT download takes single-file packages only."));
            else if (package.Files[0].Size > MaxMqttDownloadBytes)
                errors.Add(new("DownloadProtocol", $"MQTT download takes files up to 16 MB; this one is {package.Files[0].Size} bytes."));
        }

        // Differential packages fix the source version.
        if (package.Type == PackageType.Differential && r.SrcVersions.Count > 0
            && (r.SrcVersions.Count != 1 || r.SrcVersions[0] != package.SrcVersion))
            errors.Add(new("SrcVersion.N", $"a differential package updates from {package.SrcVersion} only; leave the source versions empty or give exactly that one."));

        if (isVerify)
        {
            if (isDynamic)
                errors.Add(new("SelectionType", "a verify batch is static."));
            if (r.Target != TargetSelection.Specific)
                errors.Add(new("TargetSelection", "a verify batch names its devices."));
            if (r.DeviceNames.Count is < 1 or > MaxVerifyDevices)
                errors.Add(new("TargetDeviceName.N", $"a verify batch takes 1-{MaxVerifyDevices} devices; got {r.DeviceNames.Count}.", r.DeviceNames.Count == 0));
            if (r.ScheduleTime is not null || r.ScheduleFinishTime is not null)
                errors.Add(new("ScheduleTime", "a verify batch starts at once."));
            if (r.RetryIntervalMinutes is not null || r.RetryCount is not null)
                errors.Add(new("RetryInterval", "a verify batch does not retry."));
        }

        if (isDynamic)
        {
            if (r.Target is not (TargetSelection.All or TargetSelection.Group))
                errors.Add(new("TargetSelection", "a dynamic batch targets all devices or a group, filtered by source version."));
            if (r.ScheduleTime is not null || r.ScheduleFinishTime is not null)
                errors.Add(new("ScheduleTime", "only static batches can be scheduled."));
            if (package.Type == PackageType.Full && r.SrcVersions.Count == 0)
                errors.Add(new("SrcVersion.N", "a dynamic batch of a full package needs 1-10 source versions.", Missing: true));
        }

        switch (r.Target)
        {
            case TargetSelection.Specific:
                if (r.DeviceNames.Count == 0)
                    errors.Add(new("TargetDeviceName.N", "name at least one device.", Missing: true));
                if (r.DeviceNames.Count > MaxSpecificDevices)
                    errors.Add(new("TargetDeviceName.N", $"at most {MaxSpecificDevices} devices; got {r.DeviceNames.Count}."));
                if (r.SrcVersions.Count > 0 && package.Type == PackageType.Full)
                    errors.Add(new("SrcVersion.N", "source versions do not apply to a list of named devices."));
                break;
            case TargetSelection.Gray:
                if (!NameRules.TryParseGrayPercent(r.GrayPercent, out _))
                    errors.Add(new("GrayPercent", $"the gray percentage is above 0 and at most 100, with up to 3 decimals; got '{Shorten(r.GrayPercent ?? "")}'.", r.GrayPercent is null));
                break;
            case TargetSelection.Group:
                if (!NameRules.IsGroupId(r.GroupId))
                    errors.Add(new("GroupId", "a group batch names its group.", r.GroupId is null));
                break;
        }
        if (r.Target != TargetSelection.Specific && r.DeviceNames.Count > 0)
            errors.Add(new("TargetDeviceName.N", "device names are given only for specified devices (TargetSelection SPECIFIC)."));

        // Schedule: start 5 min to 7 days ahead; finish 1 h to 30 days after the start.
        if (r.ScheduleTime is DateTimeOffset start)
        {
            if (start < now + MinScheduleLead || start > now + MaxScheduleLead)
                errors.Add(new("ScheduleTime", $"the start time is 5 minutes to 7 days from now ({now:u}); got {start:u}."));
        }
        if (r.ScheduleFinishTime is DateTimeOffset finish)
        {
            var from = r.ScheduleTime ?? now;
            if (finish < from + MinScheduleWindow || finish > from + MaxScheduleWindow)
                errors.Add(new("ScheduleFinishTime", $"the finish time is 1 hour to 30 days after the start ({from:u}); got {finish:u}."));
        }

        return errors;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
