namespace OtaConsole.Core.Model;

/// <summary>
/// One device's update within one batch. Its status and the fields that go with it are changed only by
/// <see cref="Tasks.TaskStateMachine"/>; everything else reads them.
/// </summary>
public sealed class UpdateTask
{
    public long Id { get; set; }
    public required string BatchId { get; set; }
    public required string PackageId { get; set; }
    public long DeviceId { get; set; }
    public required string ProductKey { get; set; }
    public required string DeviceName { get; set; }
    public required string ModuleName { get; set; }
    /// <summary>The device's version of the module when the task was made (or first reported), if known.</summary>
    public string? SrcVersion { get; internal set; }
    public required string DestVersion { get; set; }
    /// <summary>The batch's wave this task belongs to (1-based), fixed when the batch is made; 0 when it has none.</summary>
    public int Wave { get; set; }

    public OtaTaskStatus Status { get; internal set; }
    public QueueReason QueueReason { get; internal set; }
    /// <summary>Last progress step reported, 0..100.</summary>
    public int Progress { get; internal set; }
    /// <summary>"-1".."-4" for a device-reported failure, or TIMEOUT, UNEXPECTED_VERSION, DEVICE_BUSY, ….</summary>
    public string? FailureCode { get; internal set; }
    public string? FailureReason { get; internal set; }
    public int RetryAttempts { get; internal set; }

    // The batch's policy as it was when this task was made: a timeout edited later applies only to new tasks.
    public int? TimeoutMinutes { get; set; }
    public int? RetryIntervalMinutes { get; set; }
    public int? RetryCount { get; set; }

    public DateTimeOffset? RetryDueAt { get; internal set; }
    /// <summary>
    /// When the task's notice goes out again by itself: a reconnect's grace is over, a Pushed task has had no progress
    /// for a while, or the last notice could not be handed to the broker. Null when nothing is due.
    /// </summary>
    public DateTimeOffset? NoticeDueAt { get; internal set; }
    /// <summary>When the notice was last sent again (not the first push): reconnects re-send at most once per interval.</summary>
    public DateTimeOffset? LastResentAt { get; internal set; }
    /// <summary>Notices sent again because a Pushed task showed no progress; bounded.</summary>
    public int Renotices { get; internal set; }
    /// <summary>Reconnects since the notice was last sent, folded into the one timeline line of the re-send.</summary>
    public int ReconnectsSinceNotice { get; internal set; }
    /// <summary>Notices in a row that could not be handed to the broker; each try waits longer.</summary>
    public int UndeliveredNotices { get; internal set; }
    /// <summary>The notice due next is one that could not be delivered (not a re-notice of a silent task).</summary>
    public bool RedeliveryDue { get; internal set; }
    public DateTimeOffset? TimeoutAt { get; internal set; }
    public DateTimeOffset CreatedAt { get; internal set; }
    public DateTimeOffset? PushedAt { get; internal set; }
    public DateTimeOffset? FirstProgressAt { get; internal set; }
    public DateTimeOffset? EndedAt { get; internal set; }
    public DateTimeOffset ModifiedAt { get; internal set; }
}

/// <summary>One line of a task's timeline: a transition, a notice, a report or a retry, with its time and cause.</summary>
public sealed class TaskEvent
{
    public long Id { get; set; }
    public long TaskId { get; set; }
    public DateTimeOffset At { get; set; }
    public TaskEventKind Kind { get; set; }
    public OtaTaskStatus? FromStatus { get; set; }
    public OtaTaskStatus? ToStatus { get; set; }
    public required string Detail { get; set; }
}
