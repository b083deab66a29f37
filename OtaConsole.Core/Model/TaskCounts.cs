namespace OtaConsole.Core.Model;

/// <summary>How many of a batch's tasks are in each status.</summary>
public sealed class TaskCounts
{
    public int Confirm { get; set; }
    public int Queued { get; set; }
    public int Notified { get; set; }
    public int InProgress { get; set; }
    public int Succeeded { get; set; }
    public int Failed { get; set; }
    public int Canceled { get; set; }

    public int Total => Confirm + Queued + Notified + InProgress + Succeeded + Failed + Canceled;
    public int Unfinished => Confirm + Queued + Notified + InProgress;

    public int this[OtaTaskStatus status]
    {
        get => status switch
        {
            OtaTaskStatus.Confirm => Confirm,
            OtaTaskStatus.Queued => Queued,
            OtaTaskStatus.Notified => Notified,
            OtaTaskStatus.InProgress => InProgress,
            OtaTaskStatus.Succeeded => Succeeded,
            OtaTaskStatus.Failed => Failed,
            OtaTaskStatus.Canceled => Canceled,
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };
        set
        {
            switch (status)
            {
                case OtaTaskStatus.Confirm: Confirm = value; break;
                case OtaTaskStatus.Queued: Queued = value; break;
                case OtaTaskStatus.Notified: Notified = value; break;
                case OtaTaskStatus.InProgress: InProgress = value; break;
                case OtaTaskStatus.Succeeded: Succeeded = value; break;
                case OtaTaskStatus.Failed: Failed = value; break;
                case OtaTaskStatus.Canceled: Canceled = value; break;
                default: throw new ArgumentOutOfRangeException(nameof(status));
            }
        }
    }

    public TaskCounts Copy() => (TaskCounts)MemberwiseClone();
}
