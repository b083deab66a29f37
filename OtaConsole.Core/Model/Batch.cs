namespace OtaConsole.Core.Model;

/// <summary>An update batch ("job"): one package pushed to a set of devices under one policy.</summary>
public sealed class Batch
{
    public required string Id { get; set; }
    public required string PackageId { get; set; }
    public required string ProductKey { get; set; }
    public required string ModuleName { get; set; }
    public required string DestVersion { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }

    public BatchKind Kind { get; set; }
    public SelectionType Selection { get; set; }
    public TargetSelection Target { get; set; }
    public DynamicMode? DynamicMode { get; set; }
    /// <summary>GRAY scope: a percentage with up to 3 decimals, kept as the operator typed it.</summary>
    public string? GrayPercent { get; set; }
    public string? GroupId { get; set; }
    public List<string> SrcVersions { get; set; } = [];

    public DateTimeOffset? ScheduleTime { get; set; }
    public DateTimeOffset? ScheduleFinishTime { get; set; }
    public PushRate PushRate { get; set; } = PushRate.Default;
    public int? RetryIntervalMinutes { get; set; }
    public int? RetryCount { get; set; }
    public int? TimeoutMinutes { get; set; }
    public OverwriteMode OverwriteMode { get; set; } = OverwriteMode.DoNotOverwrite;
    public bool MultiModuleMode { get; set; }
    public bool NeedPush { get; set; } = true;
    public bool NeedConfirm { get; set; }
    public DownloadProtocol DownloadProtocol { get; set; }
    public List<BatchTag> Tags { get; set; } = [];
    /// <summary>The safety policy's automatic pause: each rule checked whenever the batch's failures grow.</summary>
    public List<FailureRule> FailureRules { get; set; } = [];
    /// <summary>Pushes only inside this recurring window (and the schedule's start and finish); none: at any time.</summary>
    public MaintenanceWindow? Window { get; set; }
    /// <summary>The safety policy's waves, in order, each with its progress; none: the whole batch is one wave.</summary>
    public List<RolloutWave> Waves { get; set; } = [];
    /// <summary>The wave being pushed (1-based): its tasks and those of earlier waves may be pushed. 0 when the batch has no waves.</summary>
    public int CurrentWave { get; set; }

    public BatchStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    /// <summary>A verify batch's end: tasks still unfinished then fail, and with them the verification (Ota:Rollout:VerifyTimeout).</summary>
    public DateTimeOffset? DeadlineAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    // Kept by the engine, in the same transaction as the tasks they count.
    public TaskCounts Counts { get; set; } = new();
    /// <summary>Tasks moved from QUEUED to NOTIFIED, ever; a variable-rate ramp may count these.</summary>
    public int PushedCount { get; set; }
    /// <summary>Start of the current stretch of constant rate; pushes are paced from here.</summary>
    public DateTimeOffset RateSegmentStart { get; set; }
    /// <summary>Pushes counted against the current stretch.</summary>
    public long RateSegmentPushed { get; set; }
    /// <summary>The rate in force for the current stretch (devices per minute).</summary>
    public int RateSegmentPerMinute { get; set; }

    /// <summary>The batch this one rolls back (its devices return to the versions they came from), if it is a rollback.</summary>
    public string? RollbackOf { get; set; }

    /// <summary>The ended and failed updates when the batch was last resumed: the failure rules count only what ended after it.</summary>
    public RuleBaseline? RuleBaseline { get; set; }

    /// <summary>When the batch was last paused, and why (an operator's name, or the rule and the numbers that tripped it).</summary>
    public DateTimeOffset? PausedAt { get; set; }
    public string? PauseReason { get; set; }

    /// <summary>Bumped by every operator edit, so two operators cannot overwrite each other silently.</summary>
    public int EditVersion { get; set; }

    public bool IsDynamic => Selection == SelectionType.Dynamic;
    public bool IsFinished => Status is BatchStatus.Completed or BatchStatus.Canceled;
    /// <summary>Push rate and tags can be edited while the batch is In upgrade (Alibaba shows Edit only then).</summary>
    public bool CanEdit => Status is BatchStatus.InProgress or BatchStatus.Paused;
    public bool CanCancel => !IsFinished;
    /// <summary>A running batch can be paused by hand at any moment, and a paused one resumed.</summary>
    public bool CanPause => Status == BatchStatus.InProgress;
    public bool CanResume => Status == BatchStatus.Paused;
    /// <summary>Started and not ended: running, or paused.</summary>
    public bool IsActive => Status is BatchStatus.InProgress or BatchStatus.Paused;

    public bool HasWaves => Waves.Count > 0;
    /// <summary>The wave being pushed, if the batch has waves.</summary>
    public RolloutWave? Current => CurrentWave > 0 && CurrentWave <= Waves.Count ? Waves[CurrentWave - 1] : null;
    /// <summary>The current wave met its success condition and the next one waits for an operator's Start next wave.</summary>
    public bool CanStartNextWave => Status == BatchStatus.InProgress && Current is { PassedAt: not null } && CurrentWave < Waves.Count && Waves[CurrentWave].NeedsApproval;

    /// <summary>Where wave <paramref name="number"/> (1-based) stands.</summary>
    public WaveState StateOf(int number)
    {
        var wave = Waves[number - 1];
        if (number < CurrentWave || wave.PassedAt is not null)
            return WaveState.Passed;
        if (number == CurrentWave)
            return wave.Counts.Queued + wave.Counts.Confirm > 0 ? WaveState.Pushing : WaveState.Soaking;
        return number == CurrentWave + 1 && Current?.PassedAt is not null && wave.NeedsApproval ? WaveState.AwaitingApproval : WaveState.Waiting;
    }
}

public enum WaveState
{
    /// <summary>Not started: an earlier wave has not passed yet.</summary>
    Waiting,
    /// <summary>The wave before it passed; it starts on an operator's Start next wave.</summary>
    AwaitingApproval,
    /// <summary>Started, some of its tasks not pushed yet.</summary>
    Pushing,
    /// <summary>All its tasks pushed: waiting for its success threshold and the end of its soak.</summary>
    Soaking,
    Passed,
}

/// <summary>How a wave's share of the batch's devices is given.</summary>
public enum WaveSize
{
    /// <summary>A percentage of the batch's tasks (rounded up, at least one).</summary>
    Percent,
    Count,
    /// <summary>The batch's devices in one device group (and its sub-groups).</summary>
    Group,
    /// <summary>Every device no earlier wave took: the last wave always is this.</summary>
    Rest,
}

/// <summary>
/// One wave of a batch (OtaConsole's own, as hawkBit's rollout groups): a share of the batch's devices, pushed at the
/// batch's rate once the wave before it passed. A wave passes when at least <see cref="SuccessPercent"/> of its tasks
/// succeeded and <see cref="SoakMinutes"/> have gone by since its last push; the next wave then starts by itself, or
/// when an operator approves it if it <see cref="NeedsApproval"/>. Its progress is kept here by the engine.
/// </summary>
public sealed class RolloutWave
{
    public WaveSize Size { get; set; }
    /// <summary>For <see cref="WaveSize.Percent"/>: 0.001-100 % of the batch's tasks.</summary>
    public decimal? Percent { get; set; }
    public int? Count { get; set; }
    public string? GroupId { get; set; }
    /// <summary>0-100 %: the share of this wave's tasks that must succeed before the next wave starts.</summary>
    public decimal SuccessPercent { get; set; } = 100;
    /// <summary>Minutes to wait after the wave's last push before judging it passed (0-10,080).</summary>
    public int SoakMinutes { get; set; }
    /// <summary>This wave starts only on an operator's Start next wave (the first wave starts with the batch).</summary>
    public bool NeedsApproval { get; set; }

    public TaskCounts Counts { get; set; } = new();
    public DateTimeOffset? StartedAt { get; set; }
    /// <summary>Who started it: the safety policy, or the operator who approved it.</summary>
    public string? StartedBy { get; set; }
    public DateTimeOffset? LastPushAt { get; set; }
    public DateTimeOffset? PassedAt { get; set; }

    /// <summary>When the soak after the last push is over (null before the wave pushed anything).</summary>
    public DateTimeOffset? SoakEndsAt => (LastPushAt ?? StartedAt)?.AddMinutes(SoakMinutes);

    /// <summary>The wave's tasks its success is judged on: all but the cancelled.</summary>
    public int Judged => Counts.Total - Counts.Canceled;
    /// <summary>Succeeded, of <see cref="Judged"/>, to one decimal; 100 for a wave with nothing to judge.</summary>
    public decimal SucceededPercent => Judged == 0 ? 100 : Math.Round(Counts.Succeeded * 100m / Judged, 1);

    public WaveGate Gate => new(SuccessPercent, SoakMinutes, NeedsApproval);

    /// <summary>This wave's size with another gate, and no progress.</summary>
    public RolloutWave WithGate(WaveGate gate) => new()
    {
        Size = Size, Percent = Percent, Count = Count, GroupId = GroupId,
        SuccessPercent = gate.SuccessPercent, SoakMinutes = gate.SoakMinutes, NeedsApproval = gate.NeedsApproval,
    };

    public string Describe(IReadOnlyDictionary<string, string>? groupNames = null) => Size switch
    {
        WaveSize.Percent => $"{Percent?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} %",
        WaveSize.Count => $"{Count:N0} devices",
        WaveSize.Group => $"group {(GroupId is not null && groupNames?.GetValueOrDefault(GroupId) is { } n ? n : GroupId)}",
        _ => "the rest",
    };
}

/// <summary>What lets the next wave start after a wave, as it can be changed while the batch runs.</summary>
public sealed record WaveGate(decimal SuccessPercent, int SoakMinutes, bool NeedsApproval);

/// <summary>
/// A recurring maintenance window (OtaConsole's own): pushes only on <see cref="Days"/>, from <see cref="Start"/>
/// to <see cref="End"/> on the wall clock of <see cref="TimeZone"/> (an end not after the start runs past midnight);
/// or, when <see cref="Cron"/> is set, for <see cref="DurationMinutes"/> from each time the cron expression names
/// (as AWS IoT Jobs' maintenance windows: a cron start and 1-1430 minutes).
/// </summary>
public sealed class MaintenanceWindow
{
    /// <summary>An IANA time zone, such as Europe/Berlin.</summary>
    public string TimeZone { get; set; } = "UTC";
    public List<DayOfWeek> Days { get; set; } = [];
    public TimeOnly Start { get; set; }
    public TimeOnly End { get; set; }
    /// <summary>A 5-field cron expression (minute hour day-of-month month day-of-week) for the window's starts.</summary>
    public string? Cron { get; set; }
    public int? DurationMinutes { get; set; }

    public MaintenanceWindow Copy() => new() { TimeZone = TimeZone, Days = [.. Days.Distinct()], Start = Start, End = End, Cron = Cron, DurationMinutes = DurationMinutes };

    public override string ToString() => Cron is not null
        ? $"for {DurationMinutes} min from each '{Cron}' ({TimeZone})"
        : $"{(Days.Count == 7 ? "every day" : string.Join(", ", Days.Order().Select(d => d.ToString()[..3])))} {Start:HH\\:mm}-{End:HH\\:mm} ({TimeZone})";
}

/// <summary>What a failure rule does when it is met.</summary>
public enum RuleAction
{
    Pause,
    Cancel,
}

/// <summary>Which ended updates a failure rule counts.</summary>
public enum FailureKind
{
    /// <summary>Every failure of the firmware: the device's −1..−4, an unexpected version, a timeout (never a device busy with another batch).</summary>
    All,
    /// <summary>The device reported −1..−4 (update, download, verification or flashing failed).</summary>
    UpdateFailed,
    UnexpectedVersion,
    TimedOut,
}

/// <summary>
/// A safety rule (OtaConsole's own, on top of Alibaba's options): when at least <see cref="ThresholdPercent"/> of
/// the batch's ended updates failed the <see cref="Failures"/> way, once at least <see cref="MinEnded"/> have
/// ended, the batch is paused and nothing more is pushed. As AWS IoT Jobs' abortConfig criteria, with pause.
/// </summary>
public sealed class FailureRule
{
    public FailureKind Failures { get; set; }
    /// <summary>Over the whole batch (default), or over each wave on its own.</summary>
    public RuleScope Scope { get; set; }
    /// <summary>0 (any failure) to 100, up to 2 decimals.</summary>
    public decimal ThresholdPercent { get; set; }
    /// <summary>Ended updates (succeeded or failed) before the rule applies; at least 1.</summary>
    public int MinEnded { get; set; } = 1;
    /// <summary>Pause (default), or cancel the batch: what has not been pushed is cancelled; what is in upgrade finishes.</summary>
    public RuleAction Action { get; set; }

    public FailureRule Copy() => (FailureRule)MemberwiseClone();

    public override string ToString() =>
        $"{(Failures switch { FailureKind.UpdateFailed => "updates failed on the device", FailureKind.UnexpectedVersion => "unexpected versions", FailureKind.TimedOut => "timeouts", _ => "failures" })} " +
        $"≥ {ThresholdPercent.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} % of at least {MinEnded:N0} ended updates" +
        (Scope == RuleScope.Wave ? " in a wave" : "") + (Action == RuleAction.Cancel ? ", then cancel" : "");
}

/// <summary>
/// What a resume leaves behind it: the batch's (and each wave's) ended updates and its failures by wave and code at that
/// moment. An operator who resumes has seen those failures; the rules pause again only on what ends after.
/// </summary>
public sealed class RuleBaseline
{
    public List<BaselineCount> Ended { get; set; } = [];
    public List<BaselineCount> Failed { get; set; } = [];

    /// <summary>Ended updates at the resume, of one wave (0: the whole batch).</summary>
    public int EndedIn(int wave) => Ended.Where(e => e.Wave == wave).Sum(e => e.Count);
    public int FailedWith(int wave, string code) => Failed.Where(f => f.Wave == wave && f.Code == code).Sum(f => f.Count);
}

public sealed class BaselineCount
{
    public int Wave { get; set; }
    public string Code { get; set; } = "";
    public int Count { get; set; }
}

/// <summary>Which ended updates a failure rule is judged on.</summary>
public enum RuleScope
{
    Batch,
    /// <summary>Each wave's own ended updates: a bad first wave trips the rule before the batch's numbers would.</summary>
    Wave,
}

/// <summary>A batch tag; delivered to devices in the notice's extData.</summary>
public sealed class BatchTag
{
    public required string Key { get; set; }
    public required string Value { get; set; }
}

/// <summary>
/// How fast a batch hands out notices. Constant: <see cref="PerMinute"/> devices a minute.
/// Variable: start at <see cref="RampBase"/> and multiply by <see cref="RampFactor"/> each time
/// <see cref="RampStep"/> more devices have been pushed (or have succeeded), never above <see cref="PerMinute"/>.
/// Alibaba publishes no parameters for its variable rate; this is the shape of AWS IoT's exponential rollout.
/// </summary>
public sealed record PushRate
{
    public const int Min = 10;
    public const int Max = 100_000;
    public const double MinFactor = 1.1;
    public const double MaxFactor = 5;

    public static PushRate Default { get; } = Constant(10_000);

    public PushRateKind Kind { get; init; }
    /// <summary>Constant rate, or the ramp's ceiling.</summary>
    public int PerMinute { get; init; }
    public int? RampBase { get; init; }
    public double? RampFactor { get; init; }
    public int? RampStep { get; init; }
    public RampCriterion? RampCriterion { get; init; }

    public static PushRate Constant(int perMinute) => new() { Kind = PushRateKind.Constant, PerMinute = perMinute };

    public static PushRate Variable(int basePerMinute, double factor, int step, RampCriterion criterion, int maxPerMinute) => new()
    {
        Kind = PushRateKind.Variable,
        PerMinute = maxPerMinute,
        RampBase = basePerMinute,
        RampFactor = factor,
        RampStep = step,
        RampCriterion = criterion,
    };

    /// <summary>The rate after <paramref name="counted"/> devices have met the ramp's criterion.</summary>
    public int RateAfter(long counted)
    {
        if (Kind == PushRateKind.Constant || RampBase is not int b || RampFactor is not double f || RampStep is not int step)
            return PerMinute;
        var level = counted / step;
        var rate = b * Math.Pow(f, level);
        return rate >= PerMinute ? PerMinute : (int)rate;
    }

    public override string ToString() => Kind == PushRateKind.Constant
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{PerMinute:N0}/min")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"from {RampBase:N0}/min ×{RampFactor} every {RampStep:N0} {(RampCriterion == Model.RampCriterion.Succeeded ? "succeeded" : "pushed")}, up to {PerMinute:N0}/min");
}

/// <summary>
/// A name in a specified-devices batch's list that is not a device of its product: kept with the batch, as Alibaba
/// offers its invalid-device list for download, so a typo or a device not yet registered is not silently lost.
/// </summary>
public sealed class BatchUnknownDevice
{
    public long Id { get; set; }
    public required string BatchId { get; set; }
    public required string DeviceName { get; set; }
}
