using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Tasks;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Rollout;

/// <summary>What operators (console buttons and API calls alike) do to running batches and tasks.</summary>
internal static class OperatorCommands
{
    public const int MaxTasksPerCall = 10;
    public const int MaxDevicesPerCancel = 200;

    /// <summary>
    /// The console's Cancel. A static batch: its tasks pending confirmation, to be pushed and pushed are
    /// cancelled; In upgrade tasks finish. A dynamic batch: the policy stops; with <paramref name="alsoRunningTasks"/>
    /// its unfinished tasks, In upgrade included, are cancelled too.
    /// </summary>
    public static async Task<int> CancelBatchAsync(WriteScope scope, string batchId, bool alsoRunningTasks, int? expectedEditVersion, CancellationToken ct)
    {
        var batch = await scope.BatchAsync(batchId, ct);
        CheckEditVersion(batch, expectedEditVersion);
        if (!batch.CanCancel)
            throw OtaException.Conflict("JobFinished", $"Batch {batch.Id} is already {batch.Status}.");

        OtaTaskStatus[] statuses = batch.IsDynamic
            ? alsoRunningTasks ? TaskStateMachine.UnfinishedStatuses : []
            : [OtaTaskStatus.Confirm, OtaTaskStatus.Queued, OtaTaskStatus.Notified];
        var cancelled = await CancelWhereAsync(scope, batch, statuses, batch.IsDynamic ? "the dynamic batch was cancelled" : "the batch was cancelled", ct);
        BatchLifecycle.Cancel(scope, batch);
        return cancelled;
    }

    /// <summary>CancelOTATaskByJob. CancelQueuedTask without an explicit CancelUnconfirmedTask also cancels CONFIRM tasks.</summary>
    public static async Task<int> CancelTasksByJobAsync(WriteScope scope, string batchId, CancelTasksByJob flags, CancellationToken ct)
    {
        if (!flags.Any)
            throw new OtaValidationException([new FieldError("CancelQueuedTask", "set at least one of CancelScheduledTask, CancelQueuedTask, CancelNotifiedTask, CancelInProgressTask, CancelUnconfirmedTask.", Missing: true)]);
        var batch = await scope.BatchAsync(batchId, ct);
        var statuses = new List<OtaTaskStatus>();
        var planned = batch.Status == BatchStatus.Planned;
        if ((flags.CancelQueued && !planned) || (flags.CancelScheduled && planned))
            statuses.Add(OtaTaskStatus.Queued);
        if (flags.CancelUnconfirmed == true || (flags.CancelQueued && flags.CancelUnconfirmed is null))
            statuses.Add(OtaTaskStatus.Confirm);
        if (flags.CancelNotified)
            statuses.Add(OtaTaskStatus.Notified);
        if (flags.CancelInProgress)
            statuses.Add(OtaTaskStatus.InProgress);

        var cancelled = await CancelWhereAsync(scope, batch, [.. statuses], "cancelled by job", ct);
        if (planned && flags.CancelScheduled)
            BatchLifecycle.Cancel(scope, batch);
        return cancelled;
    }

    /// <summary>Cancel one task (the console's per-device Cancel). Returns the task's batch.</summary>
    public static async Task<string> CancelTaskAsync(WriteScope scope, long taskId, CancellationToken ct)
    {
        var task = (await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.Id == taskId), ct)).FirstOrDefault()
                   ?? throw OtaException.NotFound("Task", taskId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var outcome = TaskStateMachine.Cancel(task, "cancelled by an operator", scope.Changes);
        if (!outcome.Applied)
            throw OtaException.Conflict("TaskNotCancelable", $"Task {taskId}: {outcome.Reason}.");
        return task.BatchId;
    }

    /// <summary>CancelOTATaskByDevice: the named devices' unfinished tasks of one package, optionally of one batch.</summary>
    public static async Task<int> CancelTasksByDeviceAsync(WriteScope scope, string productKey, string packageId, IReadOnlyList<string> deviceNames, string? batchId, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        if (deviceNames.Count is 0 or > MaxDevicesPerCancel)
            errors.Add(new("DeviceName.N", $"name 1-{MaxDevicesPerCancel} devices; got {deviceNames.Count}.", deviceNames.Count == 0));
        if (deviceNames.Distinct(StringComparer.Ordinal).Count() != deviceNames.Count)
            errors.Add(new("DeviceName.N", "device names must be unique."));
        OtaValidationException.ThrowIfAny(errors);
        var package = await scope.PackageAsync(packageId, ct);
        if (package.ProductKey != productKey)
            throw OtaException.NotFound("Firmware", $"{packageId} of product {productKey}");

        var statuses = TaskStateMachine.UnfinishedStatuses;
        var names = deviceNames.ToList();
        var query = scope.Db.Tasks.Where(t => t.PackageId == packageId && names.Contains(t.DeviceName) && statuses.Contains(t.Status));
        if (batchId is not null)
            query = query.Where(t => t.BatchId == batchId);
        var count = 0;
        foreach (var t in await scope.LoadTasksAsync(query, ct))
            count += TaskStateMachine.Cancel(t, "cancelled by device", scope.Changes).Applied ? 1 : 0;
        return count;
    }

    /// <summary>ConfirmOTATask: up to 10 CONFIRM tasks join the queue; a scheduled batch only inside its window.</summary>
    public static async Task ConfirmTasksAsync(WriteScope scope, IReadOnlyList<long> taskIds, CancellationToken ct)
    {
        var tasks = await LoadListedAsync(scope, taskIds, "TaskId.N", ct);
        foreach (var t in tasks)
        {
            if (!TaskStateMachine.CanConfirm(t.Status))
                throw OtaException.Conflict("TaskNotConfirmable", $"Task {t.Id} is {t.Status}; only tasks pending confirmation can be confirmed.");
            if (WhyNotConfirmable(await scope.BatchAsync(t.BatchId, ct), scope.Now) is { } why)
                throw OtaException.Conflict(why.Code, $"Task {t.Id}: {why.Message}");
        }
        await ConfirmAsync(scope, tasks, ct);
    }

    /// <summary>Why a batch's tasks cannot be confirmed now (it ended, or it is scheduled and outside its window); null when they can.</summary>
    internal static (string Code, string Message)? WhyNotConfirmable(Batch batch, DateTimeOffset now) =>
        batch.IsFinished ? ("JobFinished", $"batch {batch.Id} is {batch.Status}.")
        : batch.ScheduleTime is DateTimeOffset start && (now < start || (batch.ScheduleFinishTime is DateTimeOffset end && now >= end))
            ? ("OutsideScheduleWindow", $"it belongs to a scheduled batch; confirm it between {start:u} and {batch.ScheduleFinishTime?.ToString("u") ?? "its end"}.")
            : null;

    /// <summary>Confirms tasks already checked: each is queued (or pushed) as its batch and device allow.</summary>
    internal static async Task ConfirmAsync(WriteScope scope, List<UpdateTask> tasks, CancellationToken ct)
    {
        var online = await OnlineAsync(scope, tasks, ct);
        foreach (var t in tasks)
        {
            var batch = await scope.BatchAsync(t.BatchId, ct);
            TaskStateMachine.Confirm(t, new QueueContext(batch.Status == BatchStatus.Planned, online.Contains(t.DeviceId), batch.NeedPush), scope.Changes);
        }
    }

    /// <summary>
    /// ReupgradeOTATask: up to 10 FAILED or CANCELED tasks of one batch start over. Refused as a whole when the
    /// batch was cancelled or a device is busy with another batch. A finished batch runs again.
    /// </summary>
    public static async Task ReupgradeTasksAsync(WriteScope scope, string batchId, IReadOnlyList<long> taskIds, CancellationToken ct)
    {
        var batch = await scope.BatchAsync(batchId, ct);
        if (batch.Status == BatchStatus.Canceled)
            throw OtaException.Conflict("JobCanceled", $"Batch {batch.Id} was cancelled; start a new batch instead.");
        var tasks = await LoadListedAsync(scope, taskIds, "TaskId.N", ct);
        foreach (var t in tasks)
        {
            if (t.BatchId != batchId)
                throw OtaException.NotFound("Task", $"{t.Id} in batch {batchId}");
            if (!TaskStateMachine.CanReupgrade(t.Status))
                throw OtaException.Conflict("TaskNotReupgradable", $"Task {t.Id} is {t.Status}; only failed or cancelled tasks can be updated again.");
        }
        var (busy, verdicts) = await BusyForReupgradeAsync(scope, batch, tasks, ct);
        if (busy.Count > 0)
            throw OtaException.Conflict("DeviceBusy", $"These devices already have an unfinished task, or are named twice: {string.Join(", ", tasks.Where(t => busy.Contains(t.Id)).Select(t => t.DeviceName).Distinct())}.");
        await ReupgradeAsync(scope, batch, tasks, verdicts, ct);
    }

    /// <summary>
    /// The tasks whose device already has an unfinished task (of another batch it may not overwrite, or of this
    /// one), or that name one device twice; and each task's verdict on the others.
    /// </summary>
    internal static async Task<(HashSet<long> Busy, Dictionary<long, TaskConflicts.Verdict> Verdicts)> BusyForReupgradeAsync(WriteScope scope, Batch batch, List<UpdateTask> tasks, CancellationToken ct)
    {
        var deviceIds = tasks.Select(t => t.DeviceId).ToList();
        var statuses = TaskStateMachine.UnfinishedStatuses;
        var others = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => deviceIds.Contains(t.DeviceId) && statuses.Contains(t.Status)), ct);
        var verdicts = tasks.ToDictionary(t => t.Id, t => TaskConflicts.Judge(others.Where(o => o.DeviceId == t.DeviceId), batch));
        // A dynamic batch may hold several tasks of one device (one per match): at most one may run.
        var busy = tasks.Where(t => verdicts[t.Id].BusyWith is not null
                                    || others.Any(o => o.DeviceId == t.DeviceId && o.BatchId == batch.Id)
                                    || tasks.Count(x => x.DeviceId == t.DeviceId) > 1)
            .Select(t => t.Id).ToHashSet();
        return (busy, verdicts);
    }

    /// <summary>Starts checked, free tasks over under the batch's policy; a finished batch runs again.</summary>
    internal static async Task ReupgradeAsync(WriteScope scope, Batch batch, List<UpdateTask> tasks, Dictionary<long, TaskConflicts.Verdict> verdicts, CancellationToken ct)
    {
        if (tasks.Count == 0)
            return;
        // The batch's overwrite policy applies as it did when the batch was made.
        foreach (var old in tasks.SelectMany(t => verdicts[t.Id].ToOverwrite))
            TaskStateMachine.Cancel(old, $"overwritten by batch {batch.Id}", scope.Changes);

        BatchLifecycle.Reopen(scope, batch);
        var online = await OnlineAsync(scope, tasks, ct);
        foreach (var t in tasks)
            TaskStateMachine.Reupgrade(t, batch.NeedConfirm, new QueueContext(batch.Status == BatchStatus.Planned, online.Contains(t.DeviceId), batch.NeedPush), scope.Changes);
        if (batch.Kind == BatchKind.Verify)
        {
            var package = await scope.PackageAsync(batch.PackageId, ct);
            if (package.Status != PackageStatus.NoVerificationNeeded)
                package.Status = PackageStatus.Verifying;
        }
        scope.TouchedBatches.Add(batch.Id);
    }

    /// <summary>An operator's pause: nothing new is pushed until someone resumes; what was pushed carries on.</summary>
    public static async Task PauseBatchAsync(WriteScope scope, string batchId, string by, CancellationToken ct)
    {
        var batch = await scope.BatchAsync(batchId, ct);
        if (!batch.CanPause)
            throw OtaException.Conflict("JobNotPausable", $"Batch {batch.Id} is {batch.Status}; only a batch In upgrade can be paused.");
        BatchLifecycle.Pause(scope, batch, $"paused by {by}");
    }

    /// <summary>A paused batch pushes again, paced from now.</summary>
    public static async Task ResumeBatchAsync(WriteScope scope, string batchId, CancellationToken ct)
    {
        var batch = await scope.BatchAsync(batchId, ct);
        if (!batch.CanResume)
            throw OtaException.Conflict("JobNotPaused", $"Batch {batch.Id} is {batch.Status}; only a paused batch can be resumed.");
        BatchLifecycle.Resume(scope, batch);
        await SafetyRules.SetBaselineAsync(scope, batch, ct);
    }

    /// <summary>A running batch's push rate, constant or variable, changed; it holds from the next tick (a quarter second).</summary>
    public static Task UpdatePushRateAsync(WriteScope scope, string batchId, PushRate rate, int? expectedEditVersion, CancellationToken ct) =>
        EditBatchAsync(scope, batchId, new BatchEdit { PushRate = rate }, expectedEditVersion, ct);

    /// <summary>A running batch's tags replaced; later notices carry them.</summary>
    public static Task UpdateTagsAsync(WriteScope scope, string batchId, IReadOnlyList<BatchTag> tags, int? expectedEditVersion, CancellationToken ct) =>
        EditBatchAsync(scope, batchId, new BatchEdit { Tags = tags }, expectedEditVersion, ct);

    /// <summary>
    /// A dynamic batch's policy: its timeout (new tasks only, as a task keeps the policy it was made with)
    /// and its source versions.
    /// </summary>
    public static Task UpdateDynamicPolicyAsync(WriteScope scope, string batchId, int? timeoutMinutes, IReadOnlyList<string>? srcVersions, int? expectedEditVersion, CancellationToken ct) =>
        EditBatchAsync(scope, batchId, new BatchEdit { TimeoutMinutes = timeoutMinutes, SrcVersions = srcVersions }, expectedEditVersion, ct);

    /// <summary>
    /// Changes to a running batch: every value is checked first, then all are made, as one edit; a refused value
    /// changes nothing.
    /// </summary>
    public static async Task EditBatchAsync(WriteScope scope, string batchId, BatchEdit edit, int? expectedEditVersion, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        if (edit.PushRate is { } rate)
            BatchRules.ValidatePushRate(rate, errors);
        if (edit.Tags is { } tags)
            BatchRules.ValidateTags(tags, errors);
        if (edit.FailureRules is { } rules)
            BatchRules.ValidateFailureRules(rules, errors);
        if (edit.Window is { } window)
            BatchRules.ValidateWindow(window, errors);
        OtaValidationException.ThrowIfAny(errors);
        var batch = await EditableAsync(scope, batchId, expectedEditVersion, ct);
        if (edit.WaveGates is { } gates)
            ValidateWaveGates(batch, gates);
        if (edit.TimeoutMinutes is not null || edit.SrcVersions is not null)
            await ValidatePolicyAsync(scope, batch, edit.TimeoutMinutes, edit.SrcVersions, ct);

        if (edit.PushRate is { } newRate)
        {
            batch.PushRate = newRate;
            PushScheduler.RestartStretch(batch, scope.Now, newRate.RateAfter(PushScheduler.CountedForRamp(batch)));
        }
        if (edit.TimeoutMinutes is not null)
            batch.TimeoutMinutes = edit.TimeoutMinutes;
        if (edit.SrcVersions is { } srcVersions)
            batch.SrcVersions = [.. srcVersions];
        if (edit.Tags is { } newTags)
            batch.Tags = newTags.Select(t => new BatchTag { Key = t.Key, Value = t.Value }).ToList();
        if (edit.FailureRules is { } newRules)
            batch.FailureRules = newRules.Select(r => r.Copy()).ToList();
        if (edit.WaveGates is { } newGates)
        {
            for (var i = 0; i < newGates.Count; i++)
            {
                batch.Waves[i].SuccessPercent = newGates[i].SuccessPercent;
                batch.Waves[i].SoakMinutes = newGates[i].SoakMinutes;
                batch.Waves[i].NeedsApproval = i > 0 && newGates[i].NeedsApproval;
            }
        }
        if (edit.ClearWindow)
            batch.Window = null;
        else if (edit.Window is { } newWindow)
            batch.Window = newWindow.Copy();
        Edited(scope, batch);
    }

    private static void ValidateWaveGates(Batch batch, IReadOnlyList<WaveGate> gates)
    {
        var errors = new List<FieldError>();
        if (gates.Count != batch.Waves.Count)
            errors.Add(new("Wave.N", batch.HasWaves
                ? $"give the gate of each of the batch's {batch.Waves.Count} waves; their sizes are fixed once the devices are split."
                : "this batch has no waves; they are set when a batch is created."));
        else
            BatchRules.ValidateWaves(batch.Waves.Zip(gates, (w, g) => w.WithGate(g)).ToList(), true, errors);
        OtaValidationException.ThrowIfAny(errors);
    }

    /// <summary>An operator approves the next wave, once the current one has passed.</summary>
    public static async Task<int> StartNextWaveAsync(WriteScope scope, string batchId, string by, CancellationToken ct)
    {
        var batch = await scope.BatchAsync(batchId, ct);
        if (!batch.CanStartNextWave)
            throw OtaException.Conflict("JobWaveNotReady", !batch.HasWaves ? $"Batch {batch.Id} has no waves."
                : batch.Status != BatchStatus.InProgress ? $"Batch {batch.Id} is {batch.Status}; a wave starts only while it is In upgrade."
                : batch.CurrentWave >= batch.Waves.Count ? $"Batch {batch.Id} is on its last wave."
                : batch.Current!.PassedAt is null ? $"Wave {batch.CurrentWave} of batch {batch.Id} has not met its success condition yet ({batch.Current.SucceededPercent} % succeeded of {batch.Current.SuccessPercent} % needed)."
                : $"Wave {batch.CurrentWave + 1} of batch {batch.Id} starts by itself.");
        Waves.Start(scope, batch, batch.CurrentWave + 1, by);
        return batch.CurrentWave;
    }

    private static async Task ValidatePolicyAsync(WriteScope scope, Batch batch, int? timeoutMinutes, IReadOnlyList<string>? srcVersions, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        BatchRules.ValidateTimeout(timeoutMinutes, errors);
        if (srcVersions is not null)
        {
            BatchRules.ValidateSrcVersions(srcVersions, errors);
            if (!batch.IsDynamic)
                errors.Add(new("SrcVersion.N", "only a dynamic batch's source versions can change."));
            else if (srcVersions.Count == 0)
                errors.Add(new("SrcVersion.N", "a dynamic batch needs 1-10 source versions.", Missing: true));
            var package = await scope.PackageAsync(batch.PackageId, ct);
            if (package.Type == PackageType.Differential && (srcVersions.Count != 1 || srcVersions[0] != package.SrcVersion))
                errors.Add(new("SrcVersion.N", $"a differential package updates from {package.SrcVersion} only."));
        }
        if (timeoutMinutes is int t && batch.RetryIntervalMinutes is int interval && interval >= t)
            errors.Add(new("TimeoutInMinutes", $"the timeout must stay longer than the retry interval ({interval} min)."));
        OtaValidationException.ThrowIfAny(errors);
    }

    private static async Task<Batch> EditableAsync(WriteScope scope, string batchId, int? expectedEditVersion, CancellationToken ct)
    {
        var batch = await scope.BatchAsync(batchId, ct);
        CheckEditVersion(batch, expectedEditVersion);
        if (!batch.CanEdit)
            throw OtaException.Conflict("JobNotEditable", $"Batch {batch.Id} is {batch.Status}; only a batch In upgrade can be edited.");
        return batch;
    }

    private static void CheckEditVersion(Batch batch, int? expected)
    {
        if (expected is int v && v != batch.EditVersion)
            throw OtaException.Conflict("JobChanged", $"Batch {batch.Id} was changed by someone else since you opened it; reload and try again.");
    }

    private static void Edited(WriteScope scope, Batch batch)
    {
        batch.EditVersion++;
        batch.ModifiedAt = scope.Now;
        scope.TouchedBatches.Add(batch.Id);
    }

    internal static async Task<int> CancelWhereAsync(WriteScope scope, Batch batch, OtaTaskStatus[] statuses, string cause, CancellationToken ct)
    {
        if (statuses.Length == 0)
            return 0;
        var id = batch.Id;
        var count = 0;
        foreach (var t in await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => t.BatchId == id && statuses.Contains(t.Status)), ct))
            count += TaskStateMachine.Cancel(t, cause, scope.Changes).Applied ? 1 : 0;
        return count;
    }

    private static async Task<List<UpdateTask>> LoadListedAsync(WriteScope scope, IReadOnlyList<long> taskIds, string field, CancellationToken ct)
    {
        if (taskIds.Count is 0 or > MaxTasksPerCall)
            throw new OtaValidationException([new FieldError(field, $"name 1-{MaxTasksPerCall} tasks; got {taskIds.Count}.", taskIds.Count == 0)]);
        var ids = taskIds.Distinct().ToList();
        var tasks = await scope.LoadTasksAsync(scope.Db.Tasks.Where(t => ids.Contains(t.Id)), ct);
        var missing = ids.Except(tasks.Select(t => t.Id)).ToList();
        if (missing.Count > 0)
            throw OtaException.NotFound("Task", string.Join(", ", missing));
        return tasks;
    }

    internal static async Task<HashSet<long>> OnlineAsync(WriteScope scope, List<UpdateTask> tasks, CancellationToken ct)
    {
        var ids = tasks.Select(t => t.DeviceId).ToList();
        return (await scope.Db.Devices.Where(d => ids.Contains(d.Id) && d.IsOnline).Select(d => d.Id).ToListAsync(ct)).ToHashSet();
    }
}
