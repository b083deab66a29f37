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
