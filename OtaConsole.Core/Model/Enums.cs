namespace OtaConsole.Core.Model;

/// <summary>Alibaba's node type of a product; the API's numbers are 0 (device) and 1 (gateway). Both connect themselves here.</summary>
public enum ProductNodeType
{
    Device = 0,
    Gateway = 1,
}

/// <summary>A device's update task status; the API names are CONFIRM, QUEUED, NOTIFIED, IN_PROGRESS, SUCCEEDED, FAILED, CANCELED.</summary>
public enum OtaTaskStatus
{
    Confirm,
    Queued,
    Notified,
    InProgress,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>Why a QUEUED ("To Be Pushed") task has not been pushed yet.</summary>
public enum QueueReason
{
    /// <summary>Not queued.</summary>
    None,
    /// <summary>Its batch's schedule start time has not come: "To Be Pushed (Scheduled: time)".</summary>
    Scheduled,
    /// <summary>The device is offline: "To Be Pushed (Device Offline)".</summary>
    Offline,
    /// <summary>Online and waiting for a slot under the batch's push rate: plain "To Be Pushed".</summary>
    WaitingForSlot,
    /// <summary>The batch does not push (NeedPush=false); the device must ask through firmware/get.</summary>
    AwaitingRequest,
}

/// <summary>JobStatus of a batch.</summary>
public enum BatchStatus
{
    Planned,
    InProgress,
    Completed,
    Canceled,
    /// <summary>OtaConsole's own (PAUSED in the API): nothing new is pushed until an operator resumes; pushed tasks carry on.</summary>
    Paused,
}

/// <summary>JobType: a verify-package batch or an upgrade batch.</summary>
public enum BatchKind
{
    Verify,
    Upgrade,
}

public enum SelectionType
{
    Static,
    Dynamic,
}

public enum TargetSelection
{
    All,
    Specific,
    Gray,
    Group,
}

/// <summary>DynamicMode of a dynamic batch.</summary>
public enum DynamicMode
{
    /// <summary>1: devices matching now and every device that matches later.</summary>
    AllMatching = 1,
    /// <summary>2: only devices that report a matching version after the batch is created.</summary>
    NewReportsOnly = 2,
}

public enum PackageType
{
    /// <summary>Type 0: a whole image.</summary>
    Full = 0,
    /// <summary>Type 1: a delta from one source version.</summary>
    Differential = 1,
}

public enum SignMethod
{
    Md5,
    Sha256,
}

/// <summary>Package verification status; the numbers are Alibaba's Status codes.</summary>
public enum PackageStatus
{
    NoVerificationNeeded = -1,
    Unverified = 0,
    Verified = 1,
    Verifying = 2,
    VerificationFailed = 3,
}

public enum DownloadProtocol
{
    Https,
    Mqtt,
}

/// <summary>OverwriteMode: what a new batch does to a device's unfinished task of another batch.</summary>
public enum OverwriteMode
{
    /// <summary>1: the older unfinished task wins; the new task fails.</summary>
    DoNotOverwrite = 1,
    /// <summary>2: the older task is cancelled unless it is already In upgrade.</summary>
    Overwrite = 2,
}

public enum PushRateKind
{
    Constant,
    Variable,
}

/// <summary>What a variable-rate ramp counts before it multiplies the rate again.</summary>
public enum RampCriterion
{
    Pushed,
    Succeeded,
}

/// <summary>What one line of a task's timeline records.</summary>
public enum TaskEventKind
{
    /// <summary>The task's status changed.</summary>
    Transition,
    /// <summary>A QUEUED task's reason for waiting changed.</summary>
    QueueChanged,
    /// <summary>The notice was sent again (reconnect, device request, retry).</summary>
    NoticeResent,
    /// <summary>A progress report that did not change the status.</summary>
    Progress,
    /// <summary>A version report that did not change the status.</summary>
    VersionReport,
    /// <summary>A failure that will be retried.</summary>
    RetryScheduled,
}
