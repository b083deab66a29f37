using OtaConsole.Core.Model;

namespace OtaConsole.Core.Rollout;

/// <summary>A new batch: every option of Alibaba's CreateOTAVerifyJob / CreateOTAStaticUpgradeJob / CreateOTADynamicUpgradeJob.</summary>
public sealed record CreateBatchRequest
{
    public required string PackageId { get; init; }
    public BatchKind Kind { get; init; } = BatchKind.Upgrade;
    public SelectionType Selection { get; init; } = SelectionType.Static;
    public TargetSelection Target { get; init; } = TargetSelection.All;
    public DynamicMode DynamicMode { get; init; } = DynamicMode.AllMatching;
    public IReadOnlyList<string> DeviceNames { get; init; } = [];
    public string? GrayPercent { get; init; }
    public string? GroupId { get; init; }
    public IReadOnlyList<string> SrcVersions { get; init; } = [];
    public DateTimeOffset? ScheduleTime { get; init; }
    public DateTimeOffset? ScheduleFinishTime { get; init; }
    public PushRate PushRate { get; init; } = PushRate.Default;
    public int? RetryIntervalMinutes { get; init; }
    public int? RetryCount { get; init; }
    public int? TimeoutMinutes { get; init; }
    public OverwriteMode OverwriteMode { get; init; } = OverwriteMode.DoNotOverwrite;
    public bool MultiModuleMode { get; init; }
    public bool NeedPush { get; init; } = true;
    public bool NeedConfirm { get; init; }
    public DownloadProtocol DownloadProtocol { get; init; } = DownloadProtocol.Https;
    public IReadOnlyList<BatchTag> Tags { get; init; } = [];
    /// <summary>The safety policy's automatic pause (ours; SafetyRule.N.* in the API): none by default.</summary>
    public IReadOnlyList<FailureRule> FailureRules { get; init; } = [];
    /// <summary>A recurring maintenance window (ours; MaintenanceWindow.* in the API): none by default.</summary>
    public MaintenanceWindow? Window { get; init; }
    /// <summary>The safety policy's waves (ours; Wave.N.* in the API), the last one the rest: none by default.</summary>
    public IReadOnlyList<RolloutWave> Waves { get; init; } = [];
    /// <summary>Set by a rollback: the batch whose devices this one returns.</summary>
    public string? RollbackOf { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }

    /// <summary>A verify batch over named devices.</summary>
    public static CreateBatchRequest Verify(string packageId, params string[] deviceNames) => new()
    {
        PackageId = packageId,
        Kind = BatchKind.Verify,
        Target = TargetSelection.Specific,
        DeviceNames = deviceNames,
    };
}

/// <summary>Changes to a running batch made together (the API's UpdateOTAJob); null leaves a setting as it is.</summary>
public sealed record BatchEdit
{
    public PushRate? PushRate { get; init; }
    public int? TimeoutMinutes { get; init; }
    public IReadOnlyList<string>? SrcVersions { get; init; }
    public IReadOnlyList<BatchTag>? Tags { get; init; }
    /// <summary>The safety rules, all of them (an empty list removes them); judged from the next step on.</summary>
    public IReadOnlyList<FailureRule>? FailureRules { get; init; }
    /// <summary>Each wave's gate, for every wave in order (their sizes are fixed once the devices are split).</summary>
    public IReadOnlyList<WaveGate>? WaveGates { get; init; }
    /// <summary>A new maintenance window, from the next tick on; <see cref="ClearWindow"/> removes it.</summary>
    public MaintenanceWindow? Window { get; init; }
    public bool ClearWindow { get; init; }

    public bool IsEmpty => PushRate is null && TimeoutMinutes is null && SrcVersions is null && Tags is null && FailureRules is null
        && WaveGates is null && Window is null && !ClearWindow;
}

/// <summary>Why a device a batch's scope reaches gets no task.</summary>
public enum SkipReason
{
    AlreadyOnDestination,
    NotOnPackageSource,
    SourceVersionNotSelected,
    /// <summary>DynamicMode 2 waits for devices to report after creation.</summary>
    WaitsForNewReport,
    /// <summary>A dynamic batch has matched this device its 10 times already.</summary>
    MatchLimitReached,
    /// <summary>A phased (gray) batch takes a sample; the rest of the matching devices are left for later.</summary>
    NotSampled,
}

public static class SkipReasons
{
    /// <summary>Why devices were skipped, in the words the console and the API's messages use.</summary>
    public static string Describe(this SkipReason reason) => reason switch
    {
        SkipReason.AlreadyOnDestination => "already on the destination version",
        SkipReason.NotOnPackageSource => "not on the differential package's source version",
        SkipReason.SourceVersionNotSelected => "not on a selected source version",
        SkipReason.WaitsForNewReport => "waiting for a new version report (DynamicMode 2)",
        SkipReason.MatchLimitReached => "matched 10 times already",
        SkipReason.NotSampled => "not in the phased sample",
        _ => reason.ToString(),
    };
}

/// <summary>What a batch would do or did: devices reached, offline, busy with another batch, skipped and why.</summary>
public sealed record BatchPreview
{
    /// <summary>Tasks the batch creates: <see cref="Online"/> + <see cref="Offline"/> + <see cref="Busy"/>.</summary>
    public int Tasks { get; init; }
    /// <summary>Tasks whose device is online and free: pushed at the batch's rate.</summary>
    public int Online { get; init; }
    public int Offline { get; init; }
    /// <summary>Tasks that fail at once because the device has an unfinished task the batch may not overwrite.</summary>
    public int Busy { get; init; }
    /// <summary>Older unfinished tasks this batch cancels (OverwriteMode=2 or multi-module).</summary>
    public int Overwrites { get; init; }
    public IReadOnlyDictionary<SkipReason, int> Skipped { get; init; } = new Dictionary<SkipReason, int>();
    /// <summary>Every device the range matched, each counted once: the tasks and the skipped.</summary>
    public int Matching => Tasks + Skipped.Values.Sum();
    public IReadOnlyList<string> UnknownDeviceNames { get; init; } = [];
    /// <summary>The tasks in each wave, in order, when the batch has waves (a device busy with another update is in none).</summary>
    public IReadOnlyList<int> WaveSizes { get; init; } = [];
    /// <summary>How long pushing takes at the batch's rate, for the devices online now; null when the batch does not push.</summary>
    public TimeSpan? PushDuration { get; init; }
}

public sealed record BatchCreated(string BatchId, BatchPreview Preview, DateTimeOffset CreatedAt);

/// <summary>CancelOTATaskByJob's flags. <see cref="CancelUnconfirmed"/> null means "not given".</summary>
public sealed record CancelTasksByJob
{
    public bool CancelScheduled { get; init; }
    public bool CancelQueued { get; init; }
    public bool CancelNotified { get; init; }
    public bool CancelInProgress { get; init; }
    public bool? CancelUnconfirmed { get; init; }

    public bool Any => CancelScheduled || CancelQueued || CancelNotified || CancelInProgress || CancelUnconfirmed == true;
}
