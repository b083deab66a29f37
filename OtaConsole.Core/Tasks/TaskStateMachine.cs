using OtaConsole.Core.Model;

namespace OtaConsole.Core.Tasks;

/// <summary>Where a queued task stands: is its batch still waiting for its start time, is the device online, does the batch push.</summary>
public readonly record struct QueueContext(bool BatchPlanned, bool DeviceOnline, bool NeedPush);

/// <summary>Failure codes beside the device's own negative steps ("-1".."-4").</summary>
public static class FailureCodes
{
    public const string Timeout = "TIMEOUT";
    public const string UnexpectedVersion = "UNEXPECTED_VERSION";
    public const string DeviceBusy = "DEVICE_BUSY";
    public const string VerifyTimeout = "VERIFY_TIMEOUT";

    /// <summary>The text Alibaba's console gives for each negative step.</summary>
    public static string DescribeStep(int step) => step switch
    {
        -1 => "update failed",
        -2 => "download failed",
        -3 => "verification failed",
        -4 => "flashing failed",
        _ => $"device reported failure step {step}",
    };
}

/// <summary>
/// The update-task state machine: the only code that changes a task's status, queue reason, progress,
/// failure, retry and timeout fields. Each public method is one rule of Alibaba's OTA task model
/// (reference §2.4, §3.3, §3.6, §3.8). A call that does not apply to the task's current status changes
/// nothing and says why (<see cref="Outcome.Ignored"/>): reports are idempotent, finished tasks absorb
/// late reports. Reaching an illegal transition from inside this class is a bug and throws.
/// </summary>
public static class TaskStateMachine
{
    private static readonly Dictionary<OtaTaskStatus, OtaTaskStatus[]> Allowed = new()
    {
        [OtaTaskStatus.Confirm] = [OtaTaskStatus.Queued, OtaTaskStatus.Succeeded, OtaTaskStatus.Failed, OtaTaskStatus.Canceled],
        [OtaTaskStatus.Queued] = [OtaTaskStatus.Notified, OtaTaskStatus.Succeeded, OtaTaskStatus.Failed, OtaTaskStatus.Canceled],
        [OtaTaskStatus.Notified] = [OtaTaskStatus.InProgress, OtaTaskStatus.Succeeded, OtaTaskStatus.Failed, OtaTaskStatus.Canceled],
        [OtaTaskStatus.InProgress] = [OtaTaskStatus.Succeeded, OtaTaskStatus.Failed, OtaTaskStatus.Canceled],
        [OtaTaskStatus.Succeeded] = [],
        // Only an operator's reupgrade leaves FAILED or CANCELED.
        [OtaTaskStatus.Failed] = [OtaTaskStatus.Confirm, OtaTaskStatus.Queued],
        [OtaTaskStatus.Canceled] = [OtaTaskStatus.Confirm, OtaTaskStatus.Queued],
    };

    public static bool IsAllowed(OtaTaskStatus from, OtaTaskStatus to) => Allowed[from].Contains(to);

    public static bool IsUnfinished(OtaTaskStatus s) => s is OtaTaskStatus.Confirm or OtaTaskStatus.Queued or OtaTaskStatus.Notified or OtaTaskStatus.InProgress;
    public static bool CanCancel(OtaTaskStatus s) => IsUnfinished(s);
    public static bool CanConfirm(OtaTaskStatus s) => s == OtaTaskStatus.Confirm;
    public static bool CanReupgrade(OtaTaskStatus s) => s is OtaTaskStatus.Failed or OtaTaskStatus.Canceled;
    /// <summary>An In upgrade task is never overwritten by a newer batch.</summary>
    public static bool CanBeOverwritten(OtaTaskStatus s) => s is OtaTaskStatus.Confirm or OtaTaskStatus.Queued or OtaTaskStatus.Notified;

    /// <summary>Statuses the device list calls "unfinished", for queries.</summary>
    public static readonly OtaTaskStatus[] UnfinishedStatuses = [OtaTaskStatus.Confirm, OtaTaskStatus.Queued, OtaTaskStatus.Notified, OtaTaskStatus.InProgress];

    public static QueueReason QueueReasonFor(QueueContext q) =>
        q.BatchPlanned ? QueueReason.Scheduled
        : !q.DeviceOnline ? QueueReason.Offline
        : !q.NeedPush ? QueueReason.AwaitingRequest
        : QueueReason.WaitingForSlot;

    /// <summary>
    /// A new task's first status: FAILED when the device is busy with an unfinished task the batch may not
    /// overwrite, CONFIRM when the batch needs confirmation, otherwise QUEUED with the reason it waits.
    /// </summary>
    public static void Start(UpdateTask t, QueueContext q, bool needConfirm, string? busyWith, TaskChangeSet c)
    {
        t.CreatedAt = c.Now;
        t.ModifiedAt = c.Now;
        if (busyWith is not null)
        {
            t.Status = OtaTaskStatus.Failed;
            t.FailureCode = FailureCodes.DeviceBusy;
            t.FailureReason = busyWith;
            t.EndedAt = c.Now;
        }
        else if (needConfirm)
        {
            t.Status = OtaTaskStatus.Confirm;
        }
        else
        {
            t.Status = OtaTaskStatus.Queued;
            t.QueueReason = QueueReasonFor(q);
        }
        c.MarkCreated(t);
    }

    /// <summary>ConfirmOTATask: a CONFIRM task joins the queue.</summary>
    public static Outcome Confirm(UpdateTask t, QueueContext q, TaskChangeSet c)
    {
        if (t.Status != OtaTaskStatus.Confirm)
            return Outcome.Ignored($"only a task pending confirmation can be confirmed; this one is {t.Status}");
        Move(t, OtaTaskStatus.Queued, "confirmed", c);
        t.QueueReason = QueueReasonFor(q);
        c.MarkUpdated(t);
        return Outcome.Done;
    }

    /// <summary>A queued task's reason to wait changed: its batch started, or its device came or went.</summary>
    public static Outcome Requeue(UpdateTask t, QueueContext q, TaskChangeSet c)
    {
        if (t.Status != OtaTaskStatus.Queued)
            return Outcome.Ignored("not queued");
        var reason = QueueReasonFor(q);
        if (reason == t.QueueReason)
            return Outcome.Ignored("reason unchanged");
        c.Record(t, TaskEventKind.QueueChanged, null, null, $"waiting: {t.QueueReason} → {reason}");
        t.QueueReason = reason;
        c.MarkUpdated(t);
        return Outcome.Done;
    }

    /// <summary>The scheduler gives a waiting task its slot: QUEUED → NOTIFIED, and the notice goes out.</summary>
    public static Outcome Push(UpdateTask t, TaskChangeSet c)
    {
        if (t.Status != OtaTaskStatus.Queued || t.QueueReason != QueueReason.WaitingForSlot)
            return Outcome.Ignored($"not waiting for a push slot ({t.Status}, {t.QueueReason})");
        MarkPushed(t, "pushed", c);
        c.Notices.Add(new NoticeRequest(t, NoticeCause.Push));
        return Outcome.Done;
    }

    /// <summary>
    /// The device asked for its package (thing/ota/firmware/get). A queued task of a running batch is pushed
    /// by the reply itself (this is how NeedPush=false batches deliver); a pushed task's notice is repeated.
    /// Applied means the reply carries the notice; ignored means the reply is empty.
    /// </summary>
    public static Outcome Request(UpdateTask t, TaskChangeSet c)
    {
        switch (t.Status)
        {
            case OtaTaskStatus.Queued when t.QueueReason != QueueReason.Scheduled:
                MarkPushed(t, "device asked for its package", c);
                t.NoticeDueAt = null; // a device that pulls its package asks again; nothing is pushed to it by itself
                return Outcome.Done;
            case OtaTaskStatus.Notified or OtaTaskStatus.InProgress:
                // The device has its notice now; a re-send waiting for it is not needed. A device asking over and over
                // gets a timeline line at most once per re-send interval.
                if (t.LastResentAt is not { } last || c.Now - last >= c.Timing.ResendInterval)
                    c.Record(t, TaskEventKind.NoticeResent, null, null, "notice repeated: device asked for its package");
                Resent(t, c);
                return Outcome.Done;
            default:
                return Outcome.Ignored(t.Status == OtaTaskStatus.Queued ? "batch has not started" : $"task is {t.Status}");
        }
    }

    /// <summary>
    /// The device came back online. A queued task may now be pushed. A pushed or updating task gets its notice
    /// again, but not at once: first the device has <see cref="NoticeTiming.ReconnectGrace"/> to report its version
    /// (SDKs do on connect, and one that has just installed the destination needs nothing more), and a task's notice
    /// is sent again at most once per <see cref="NoticeTiming.ResendInterval"/>, so a reconnect storm costs one
    /// notice and one timeline line. The timeout clock is not restarted. While a retry is pending the retry sends it.
    /// </summary>
    public static Outcome Reconnected(UpdateTask t, QueueContext q, TaskChangeSet c)
    {
        if (t.Status == OtaTaskStatus.Queued)
            return Requeue(t, q, c);
        if (t.Status is not (OtaTaskStatus.Notified or OtaTaskStatus.InProgress))
            return Outcome.Ignored($"task is {t.Status}");
        if (t.RetryDueAt is not null)
            return Outcome.Ignored("a retry is pending");
        t.ReconnectsSinceNotice++;
        var due = c.Now + c.Timing.ReconnectGrace;
        if (t.LastResentAt is { } last && last + c.Timing.ResendInterval > due)
            due = last + c.Timing.ResendInterval;
        if (t.NoticeDueAt is not { } pending || pending > due)
            t.NoticeDueAt = due;
        c.MarkUpdated(t);
        return Outcome.Done;
    }

    /// <summary>
    /// A notice is due by itself (<see cref="UpdateTask.NoticeDueAt"/>): after a reconnect, after a notice that
    /// could not be delivered, or because a Pushed or In upgrade task has shown no progress for
    /// <see cref="NoticeTiming.RenoticeAfter"/> (at most <see cref="NoticeTiming.MaxRenotices"/> times in all). Each re-send is one timeline line.
    /// </summary>
    public static Outcome NoticeDue(UpdateTask t, TaskChangeSet c)
    {
        if (t.NoticeDueAt is not { } due || due > c.Now)
            return Outcome.Ignored("no notice due");
        if (t.Status is not (OtaTaskStatus.Notified or OtaTaskStatus.InProgress) || t.RetryDueAt is not null)
        {
            t.NoticeDueAt = null;
            c.MarkUpdated(t);
            return Outcome.Ignored(t.RetryDueAt is null ? $"task is {t.Status}" : "a retry is pending");
        }
        NoticeCause cause;
        if (t.ReconnectsSinceNotice > 0)
        {
            cause = NoticeCause.Reconnect;
            c.Record(t, TaskEventKind.NoticeResent, null, null,
                t.ReconnectsSinceNotice == 1 ? "notice re-sent: device reconnected" : $"notice re-sent: device reconnected ({t.ReconnectsSinceNotice} times)");
        }
        else if (t.RedeliveryDue)
        {
            cause = NoticeCause.Redeliver; // the failure itself is in the timeline
        }
        else if (t.Renotices < c.Timing.MaxRenotices)
        {
            // No failure was reported since the last send: it reached the broker, and failures start over.
            t.UndeliveredNotices = 0;
            cause = NoticeCause.Renotice;
            t.Renotices++;
            c.Record(t, TaskEventKind.NoticeResent, null, null, t.Status == OtaTaskStatus.Notified
                ? $"no progress since the notice: notice re-sent ({t.Renotices} of {c.Timing.MaxRenotices})"
                : $"no progress for {c.Timing.RenoticeAfter.TotalMinutes:0.#} min: notice re-sent ({t.Renotices} of {c.Timing.MaxRenotices})");
        }
        else
        {
            t.NoticeDueAt = null;
            c.MarkUpdated(t);
            return Outcome.Ignored("no re-notice left");
        }
        Resent(t, c);
        c.Notices.Add(new NoticeRequest(t, cause));
        return Outcome.Done;
    }

    /// <summary>
    /// The notice could not be handed to the broker (its queue was full, the external broker was away): it is not
    /// counted as delivered, and goes out again after a wait that doubles with each failure in a row, up to
    /// <see cref="NoticeTiming.RenoticeAfter"/>. Timeline lines for the 1st, 2nd, 4th, 8th… failure only.
    /// </summary>
    public static Outcome NoticeUndelivered(UpdateTask t, string reason, TaskChangeSet c)
    {
        if (t.Status is not (OtaTaskStatus.Notified or OtaTaskStatus.InProgress))
            return Outcome.Ignored($"task is {t.Status}");
        t.UndeliveredNotices++;
        t.RedeliveryDue = true;
        var wait = TimeSpan.FromTicks(Math.Min(c.Timing.ResendInterval.Ticks << Math.Min(t.UndeliveredNotices - 1, 20), c.Timing.RenoticeAfter.Ticks));
        var due = c.Now + wait;
        if (t.NoticeDueAt is not { } pending || pending > due)
            t.NoticeDueAt = due;
        if ((t.UndeliveredNotices & (t.UndeliveredNotices - 1)) == 0)
            c.Record(t, TaskEventKind.NoticeResent, null, null, t.UndeliveredNotices == 1
                ? $"notice not delivered ({reason}); sent again at {t.NoticeDueAt:u}"
                : $"notice not delivered ({reason}), {t.UndeliveredNotices} times in a row; sent again at {t.NoticeDueAt:u}");
        c.MarkUpdated(t);
        return Outcome.Done;
    }

    /// <summary>
    /// A progress report. 0..100 is progress: the first one moves Pushed → In upgrade and starts the timeout
    /// clock. A negative step is a failure (-1 update, -2 download, -3 verification, -4 flashing), retried if
    /// the batch says so. Progress 100 alone is not success: only the destination version is.
    /// </summary>
    public static Outcome ReportProgress(UpdateTask t, int step, string? desc, TaskChangeSet c)
    {
        if (t.Status is not (OtaTaskStatus.Notified or OtaTaskStatus.InProgress))
            return Outcome.Ignored($"progress {step} ignored: task is {t.Status}");

        if (step < 0)
        {
            var reason = string.IsNullOrWhiteSpace(desc) ? FailureCodes.DescribeStep(step) : $"{FailureCodes.DescribeStep(step)}: {desc}";
            return FailOrRetry(t, step.ToString(System.Globalization.CultureInfo.InvariantCulture), reason, c);
        }

        step = Math.Min(step, 100);
        if (t.Status == OtaTaskStatus.Notified)
        {
            Move(t, OtaTaskStatus.InProgress, $"progress {step}", c);
            if (t.FirstProgressAt is null)
            {
                t.FirstProgressAt = c.Now;
                if (t.TimeoutMinutes is int minutes)
                    t.TimeoutAt = c.Now.AddMinutes(minutes);
            }
        }
        else if (step == t.Progress && t.RetryDueAt is null)
        {
            return Outcome.Ignored("same progress again");
        }
        else
        {
            c.Record(t, TaskEventKind.Progress, null, null, $"progress {step}");
        }
        t.Progress = step;
        // The device is working on its own: a pending retry or re-send would only interrupt it. Only if it then
        // falls silent for RenoticeAfter is its notice sent again: its last report may have been lost on the way
        // (a QoS 0 message, a console node that died holding it), and a device that has finished or given up
        // waits for nothing else.
        t.RetryDueAt = null;
        t.NoticeDueAt = SilenceDue(t, c);
        t.ReconnectsSinceNotice = 0;
        t.UndeliveredNotices = 0;
        t.RedeliveryDue = false;
        c.MarkUpdated(t);
        return Outcome.Done;
    }

    /// <summary>
    /// A version report for the task's module. The destination version is success; the source version changes
    /// nothing (a device that reconnects mid-update reports the version it still runs); any other version fails
    /// the task, retried if the batch says so (the seed's rule, for In upgrade tasks as for pending ones).
    /// When the source was unknown (the device never reported), the first version it reports becomes the source.
    /// </summary>
    public static Outcome ReportVersion(UpdateTask t, string version, TaskChangeSet c)
    {
        if (!IsUnfinished(t.Status))
            return Outcome.Ignored($"version {version} ignored: task is {t.Status}");

        if (version == t.DestVersion)
        {
            var wasPushed = t.Status is OtaTaskStatus.Notified or OtaTaskStatus.InProgress;
            Move(t, OtaTaskStatus.Succeeded, wasPushed ? $"reported version {version}" : $"reported version {version} before it was pushed", c);
            t.Progress = 100;
            t.QueueReason = QueueReason.None;
            t.FailureCode = null;
            t.FailureReason = null;
            End(t, c);
            return Outcome.Done;
        }

        if (t.SrcVersion is null)
        {
            t.SrcVersion = version;
            c.Record(t, TaskEventKind.VersionReport, null, null, $"reported version {version} (taken as the source version)");
            c.MarkUpdated(t);
            return Outcome.Done;
        }
        if (version == t.SrcVersion)
            return Outcome.Ignored("still on the source version");
        return FailOrRetry(t, FailureCodes.UnexpectedVersion, $"reported version {version}, neither source {t.SrcVersion} nor destination {t.DestVersion}", c);
    }

    /// <summary>A pending retry is due: the notice goes out again; the status shown stays as it was.</summary>
    public static Outcome RetryDue(UpdateTask t, TaskChangeSet c)
    {
        if (t.RetryDueAt is not DateTimeOffset due || due > c.Now)
            return Outcome.Ignored("no retry due");
        t.RetryDueAt = null;
        c.MarkUpdated(t);
        if (t.Status is not (OtaTaskStatus.Notified or OtaTaskStatus.InProgress))
            return Outcome.Done; // a queued task is simply pushed in its turn
        c.Record(t, TaskEventKind.NoticeResent, null, null, $"retry {t.RetryAttempts} of {t.RetryCount}: notice re-sent");
        Resent(t, c);
        c.Notices.Add(new NoticeRequest(t, NoticeCause.Retry));
        return Outcome.Done;
    }

    /// <summary>The timeout clock ran out: FAILED, never retried.</summary>
    public static Outcome TimeoutDue(UpdateTask t, TaskChangeSet c)
    {
        if (t.Status != OtaTaskStatus.InProgress || t.TimeoutAt is not DateTimeOffset at || at > c.Now)
            return Outcome.Ignored("no timeout due");
        return Fail(t, FailureCodes.Timeout, "timeout", $"timeout: no destination version within {t.TimeoutMinutes} min of the first progress report", c);
    }

    /// <summary>A verify batch ran out of time (Ota:Rollout:VerifyTimeout): an unfinished task fails, never retried.</summary>
    public static Outcome VerifyDeadlinePassed(UpdateTask t, string reason, TaskChangeSet c)
    {
        if (!IsUnfinished(t.Status))
            return Outcome.Ignored($"task is {t.Status}");
        return Fail(t, FailureCodes.VerifyTimeout, reason, reason, c);
    }

    /// <summary>Cancel an unfinished task (by an operator, a batch cancel, an overwrite, or the schedule's end). Never retried.</summary>
    public static Outcome Cancel(UpdateTask t, string cause, TaskChangeSet c)
    {
        if (!CanCancel(t.Status))
            return Outcome.Ignored($"a {t.Status} task cannot be cancelled");
        Move(t, OtaTaskStatus.Canceled, cause, c);
        t.QueueReason = QueueReason.None;
        t.FailureReason = cause;
        End(t, c);
        return Outcome.Done;
    }

    /// <summary>ReupgradeOTATask: a FAILED or CANCELED task starts over (and must be confirmed again if its batch needs confirmation).</summary>
    public static Outcome Reupgrade(UpdateTask t, bool needConfirm, QueueContext q, TaskChangeSet c)
    {
        if (!CanReupgrade(t.Status))
            return Outcome.Ignored($"only failed or cancelled tasks can be updated again; this one is {t.Status}");
        Move(t, needConfirm ? OtaTaskStatus.Confirm : OtaTaskStatus.Queued, "update again", c);
        t.QueueReason = needConfirm ? QueueReason.None : QueueReasonFor(q);
        t.Progress = 0;
        t.RetryAttempts = 0;
        t.FailureCode = null;
        t.FailureReason = null;
        t.RetryDueAt = null;
        t.TimeoutAt = null;
        t.FirstProgressAt = null;
        t.PushedAt = null;
        t.EndedAt = null;
        ResetNotice(t);
        c.MarkUpdated(t);
        return Outcome.Done;
    }

    private static Outcome FailOrRetry(UpdateTask t, string code, string reason, TaskChangeSet c)
    {
        // QoS 1 redelivers: a second failure report while a retry is pending is the same failure.
        if (t.RetryDueAt is not null)
            return Outcome.Ignored("a retry is already pending");

        if (t.RetryCount is int allowed && t.RetryAttempts < allowed)
        {
            t.RetryAttempts++;
            t.FailureCode = code;
            t.FailureReason = reason;
            var pushed = t.Status is OtaTaskStatus.Notified or OtaTaskStatus.InProgress;
            if (pushed)
            {
                t.RetryDueAt = c.Now.AddMinutes(t.RetryIntervalMinutes ?? 0);
                t.NoticeDueAt = null; // the retry sends the notice
            }
            c.Record(t, TaskEventKind.RetryScheduled, null, null,
                pushed ? $"{reason}; retry {t.RetryAttempts} of {allowed} at {t.RetryDueAt:u}" : $"{reason}; retry {t.RetryAttempts} of {allowed} when pushed");
            c.MarkUpdated(t);
            return Outcome.Done;
        }

        return Fail(t, code, reason, reason, c);
    }

    /// <summary>FAILED, for good: <paramref name="cause"/> in the timeline, <paramref name="reason"/> on the task.</summary>
    private static Outcome Fail(UpdateTask t, string code, string cause, string reason, TaskChangeSet c)
    {
        Move(t, OtaTaskStatus.Failed, cause, c);
        t.FailureCode = code;
        t.FailureReason = reason;
        t.QueueReason = QueueReason.None;
        End(t, c);
        return Outcome.Done;
    }

    private static void MarkPushed(UpdateTask t, string cause, TaskChangeSet c)
    {
        Move(t, OtaTaskStatus.Notified, cause, c);
        t.QueueReason = QueueReason.None;
        t.PushedAt = c.Now;
        ResetNotice(t);
        t.NoticeDueAt = c.Timing.MaxRenotices > 0 ? c.Now + c.Timing.RenoticeAfter : null;
        c.MarkUpdated(t);
    }

    /// <summary>The notice went out again: the next one by itself only if a Pushed task still shows no progress.</summary>
    private static void Resent(UpdateTask t, TaskChangeSet c)
    {
        t.LastResentAt = c.Now;
        t.ReconnectsSinceNotice = 0;
        t.RedeliveryDue = false;
        t.NoticeDueAt = t.RetryDueAt is null ? SilenceDue(t, c) : null;
        c.MarkUpdated(t);
    }

    /// <summary>When a pushed or updating task that stays silent gets its notice again, while re-notices are left.</summary>
    private static DateTimeOffset? SilenceDue(UpdateTask t, TaskChangeSet c) =>
        t.Status is OtaTaskStatus.Notified or OtaTaskStatus.InProgress && t.Renotices < c.Timing.MaxRenotices
            ? c.Now + c.Timing.RenoticeAfter
            : null;

    private static void ResetNotice(UpdateTask t)
    {
        t.NoticeDueAt = null;
        t.LastResentAt = null;
        t.Renotices = 0;
        t.ReconnectsSinceNotice = 0;
        t.UndeliveredNotices = 0;
        t.RedeliveryDue = false;
    }

    private static void End(UpdateTask t, TaskChangeSet c)
    {
        t.EndedAt = c.Now;
        t.RetryDueAt = null;
        t.TimeoutAt = null;
        t.NoticeDueAt = null;
        c.MarkUpdated(t);
    }

    private static void Move(UpdateTask t, OtaTaskStatus to, string cause, TaskChangeSet c)
    {
        var from = t.Status;
        if (!IsAllowed(from, to))
            throw new InvalidOperationException($"Illegal task transition {from} → {to} for task {t.Id}.");
        t.Status = to;
        c.MarkMoved(t, from, to);
        c.Record(t, TaskEventKind.Transition, from, to, cause);
        c.MarkUpdated(t);
    }
}
