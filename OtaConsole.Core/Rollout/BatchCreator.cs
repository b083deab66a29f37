using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;
using OtaConsole.Core.Tasks;
using OtaConsole.Core.Validation;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// Creates batches: validates every option, checks the package's state, resolves devices, judges conflicts
/// with other batches, and hands each new task its first status. The preview runs the same steps without writing.
/// </summary>
internal static class BatchCreator
{
    private const int ProductWideLookupThreshold = 1000;

    public static async Task<BatchPreview> PreviewAsync(OtaDbContext db, Actor actor, CreateBatchRequest r, DateTimeOffset now, CancellationToken ct)
    {
        var package = await db.Packages.AsNoTracking().VisibleTo(actor).FirstOrDefaultAsync(p => p.Id == r.PackageId, ct)
                      ?? throw OtaException.NotFound("Firmware", r.PackageId);
        await CheckAsync(db, r, package, now, ct);
        var resolution = await TargetResolver.ResolveAsync(db, r, package, ct);
        var unfinished = await UnfinishedByDeviceAsync(db, package.ProductKey, resolution.Candidates,
            q => q.AsNoTracking().ToListAsync(ct), ct);
        var draft = NewBatch(r, package, now);
        var verdicts = Verdicts(draft, resolution, unfinished);
        var waves = await WavesOfAsync(db, draft, resolution.Candidates, verdicts, ct);
        return Summarize(draft, resolution, verdicts, waves);
    }

    public static async Task<BatchCreated> CreateAsync(WriteScope scope, CreateBatchRequest r, CancellationToken ct)
    {
        var package = await scope.PackageAsync(r.PackageId, ct);
        await CheckAsync(scope.Db, r, package, scope.Now, ct);
        var resolution = await TargetResolver.ResolveAsync(scope.Db, r, package, ct);

        if (r.Kind == BatchKind.Verify && resolution.UnknownDeviceNames.Count > 0)
            throw new OtaValidationException([new FieldError("TargetDeviceName.N", $"unknown devices of product {package.ProductKey}: {string.Join(", ", resolution.UnknownDeviceNames.Take(10))}.")]);
        if (r.Selection == SelectionType.Static && resolution.Candidates.Count == 0)
            throw new OtaValidationException([new FieldError(r.Target == TargetSelection.Specific ? "TargetDeviceName.N" : "TargetSelection", NothingToUpdate(resolution))]);

        var unfinished = await UnfinishedByDeviceAsync(scope.Db, package.ProductKey, resolution.Candidates,
            q => scope.LoadTasksAsync(q, ct), ct);

        var batch = NewBatch(r, package, scope.Now);
        var verdicts = Verdicts(batch, resolution, unfinished);
        var waves = await WavesOfAsync(scope.Db, batch, resolution.Candidates, verdicts, ct);
        var preview = Summarize(batch, resolution, verdicts, waves);
        scope.AddBatch(batch);
        // Kept with the batch, shown on it and downloadable; a name longer than any device name is kept cut short.
        scope.UnknownDevices.AddRange(resolution.UnknownDeviceNames.Select(n => new BatchUnknownDevice
        {
            BatchId = batch.Id,
            DeviceName = n.Length <= BatchRules.MaxUnknownNameLength ? n : n[..BatchRules.MaxUnknownNameLength],
        }));
        var planned = batch.Status == BatchStatus.Planned;
        for (var i = 0; i < resolution.Candidates.Count; i++)
        {
            var (c, verdict) = (resolution.Candidates[i], verdicts[i]);
            foreach (var old in verdict.ToOverwrite)
                TaskStateMachine.Cancel(old, $"overwritten by batch {batch.Id}", scope.Changes);
            var task = NewTask(batch, package, c.DeviceId, c.DeviceName, c.Version);
            task.Wave = waves?[i] ?? 0;
            TaskStateMachine.Start(task, new QueueContext(planned, c.Online, batch.NeedPush), batch.NeedConfirm, verdict.BusyWith, scope.Changes);
        }

        if (batch.Kind == BatchKind.Verify)
            batch.DeadlineAt = scope.Now + scope.Options.VerifyTimeout;
        if (batch.Kind == BatchKind.Verify && package.Status != PackageStatus.NoVerificationNeeded)
        {
            package.Status = PackageStatus.Verifying;
            package.VerifyProgress = 0;
            package.VerifyFailure = null;
            package.ModifiedAt = scope.Now;
        }
        return new BatchCreated(batch.Id, preview, batch.CreatedAt);
    }

    /// <summary>The first wave starts with the batch (when it is not planned for later); the others wait.</summary>
    private static RolloutWave FirstOrLater(RolloutWave wave, int index, bool planned, DateTimeOffset now)
    {
        if (index == 0)
            (wave.StartedAt, wave.StartedBy) = (planned ? null : now, "batch start");
        return wave;
    }

    /// <summary>Each candidate's wave, when the batch has waves.</summary>
    private static async Task<int[]?> WavesOfAsync(OtaDbContext db, Batch batch, List<Candidate> candidates, List<TaskConflicts.Verdict> verdicts, CancellationToken ct)
    {
        if (!batch.HasWaves)
            return null;
        var busy = Enumerable.Range(0, candidates.Count).Where(i => verdicts[i].BusyWith is not null).ToHashSet();
        var (groupOf, trees) = await Waves.GroupsAsync(db, batch.ProductKey, batch.Waves, ct);
        return Waves.Split(batch.Waves, candidates.Select(c => c.DeviceId).ToList(), busy, groupOf, trees);
    }

    /// <summary>Each candidate's conflict with the unfinished tasks of its device, in candidate order.</summary>
    private static List<TaskConflicts.Verdict> Verdicts(Batch batch, Resolution resolution, Dictionary<long, List<UpdateTask>> unfinished) =>
        resolution.Candidates.Select(c => TaskConflicts.Judge(unfinished.GetValueOrDefault(c.DeviceId), batch)).ToList();

    /// <summary>The new task for one device, carrying the batch's policy as it is now.</summary>
    public static UpdateTask NewTask(Batch batch, UpdatePackage package, long deviceId, string deviceName, string? version) => new()
    {
        BatchId = batch.Id,
        PackageId = package.Id,
        DeviceId = deviceId,
        ProductKey = package.ProductKey,
        DeviceName = deviceName,
        ModuleName = package.ModuleName,
        SrcVersion = version,
        DestVersion = package.DestVersion,
        TimeoutMinutes = batch.TimeoutMinutes,
        RetryIntervalMinutes = batch.RetryIntervalMinutes,
        RetryCount = batch.RetryCount,
    };

    /// <summary>The package's state rules: verified before upgrade, not re-verified while verifying or verified, one dynamic batch.</summary>
    private static async Task CheckAsync(OtaDbContext db, CreateBatchRequest r, UpdatePackage package, DateTimeOffset now, CancellationToken ct)
    {
        OtaValidationException.ThrowIfAny(BatchRules.Validate(r, package, now));

        if (r.Kind == BatchKind.Upgrade && !package.CanStartBatch)
            throw OtaException.Conflict("FirmwareNotVerified", $"Package {package.Name} must be verified before a batch update (its status is {package.Status}). Start a verify batch first.");
        if (r.Kind == BatchKind.Verify && package.Status is PackageStatus.Verifying or PackageStatus.Verified)
            throw OtaException.Conflict("FirmwareVerifyConflict", $"Package {package.Name} is {package.Status}; it cannot be verified again.");
        if (r.Selection == SelectionType.Dynamic)
        {
            var running = await db.Batches.AsNoTracking().Where(b => b.PackageId == package.Id && b.Selection == SelectionType.Dynamic
                    && (b.Status == BatchStatus.Planned || b.Status == BatchStatus.InProgress || b.Status == BatchStatus.Paused))
                .Select(b => b.Id).FirstOrDefaultAsync(ct);
            if (running is not null)
                throw OtaException.Conflict("DynamicJobExists", $"Package {package.Name} already has a running dynamic batch ({running}); cancel it first.");
        }
    }

    private static Batch NewBatch(CreateBatchRequest r, UpdatePackage package, DateTimeOffset now)
    {
        var planned = r.ScheduleTime is DateTimeOffset start && start > now;
        var rate = r.PushRate;
        return new Batch
        {
            Id = OtaIds.NewJobId(),
            PackageId = package.Id,
            ProductKey = package.ProductKey,
            ModuleName = package.ModuleName,
            DestVersion = package.DestVersion,
            Name = r.Name,
            Description = r.Description,
            Kind = r.Kind,
            Selection = r.Selection,
            Target = r.Target,
            DynamicMode = r.Selection == SelectionType.Dynamic ? r.DynamicMode : null,
            GrayPercent = r.Target == TargetSelection.Gray ? r.GrayPercent : null,
            GroupId = r.Target == TargetSelection.Group ? r.GroupId : null,
            SrcVersions = [.. TargetResolver.EffectiveSourceVersions(r.SrcVersions, package)],
            ScheduleTime = r.ScheduleTime,
            ScheduleFinishTime = r.ScheduleFinishTime,
            PushRate = rate,
            RetryIntervalMinutes = r.RetryIntervalMinutes,
            RetryCount = r.RetryCount,
            TimeoutMinutes = r.TimeoutMinutes,
            OverwriteMode = r.OverwriteMode,
            MultiModuleMode = r.MultiModuleMode,
            NeedPush = r.NeedPush,
            NeedConfirm = r.NeedConfirm,
            DownloadProtocol = r.DownloadProtocol,
            Tags = r.Tags.Select(t => new BatchTag { Key = t.Key, Value = t.Value }).ToList(),
            RollbackOf = r.RollbackOf,
            Window = r.Window?.Copy(),
            FailureRules = r.FailureRules.Select(x => x.Copy()).ToList(),
            Waves = r.Waves.Select((w, i) => FirstOrLater(w.WithGate(w.Gate with { NeedsApproval = i > 0 && w.NeedsApproval }), i, planned, now)).ToList(),
            CurrentWave = r.Waves.Count > 0 ? 1 : 0,
            Status = planned ? BatchStatus.Planned : BatchStatus.InProgress,
            CreatedAt = now,
            ModifiedAt = now,
            StartedAt = planned ? null : now,
            RateSegmentStart = now,
            RateSegmentPerMinute = rate.RateAfter(0),
        };
    }

    /// <summary>Each candidate device's unfinished tasks (any batch): by device id for small batches, product-wide for large ones.</summary>
    private static async Task<Dictionary<long, List<UpdateTask>>> UnfinishedByDeviceAsync(
        OtaDbContext db, string productKey, List<Candidate> candidates,
        Func<IQueryable<UpdateTask>, Task<List<UpdateTask>>> load, CancellationToken ct)
    {
        if (candidates.Count == 0)
            return [];
        var statuses = TaskStateMachine.UnfinishedStatuses;
        List<UpdateTask> tasks;
        if (candidates.Count > ProductWideLookupThreshold)
        {
            var wanted = candidates.Select(c => c.DeviceId).ToHashSet();
            tasks = (await load(db.Tasks.Where(t => t.ProductKey == productKey && statuses.Contains(t.Status))))
                .Where(t => wanted.Contains(t.DeviceId)).ToList();
        }
        else
        {
            var ids = candidates.Select(c => c.DeviceId).ToList();
            tasks = await load(db.Tasks.Where(t => ids.Contains(t.DeviceId) && statuses.Contains(t.Status)));
        }
        ct.ThrowIfCancellationRequested();
        return tasks.GroupBy(t => t.DeviceId).ToDictionary(g => g.Key, g => g.ToList());
    }

    private static BatchPreview Summarize(Batch batch, Resolution resolution, List<TaskConflicts.Verdict> verdicts, int[]? waves)
    {
        int busy = 0, overwrites = 0, offline = 0, pushable = 0;
        for (var i = 0; i < resolution.Candidates.Count; i++)
        {
            var (c, v) = (resolution.Candidates[i], verdicts[i]);
            if (v.BusyWith is not null)
            {
                busy++;
                continue;
            }
            overwrites += v.ToOverwrite.Count;
            if (c.Online)
                pushable++;
            else
                offline++;
        }
        return new BatchPreview
        {
            Tasks = resolution.Candidates.Count,
            Online = pushable,
            Offline = offline,
            Busy = busy,
            Overwrites = overwrites,
            Skipped = resolution.Skipped,
            UnknownDeviceNames = resolution.UnknownDeviceNames,
            WaveSizes = waves is null ? [] : Enumerable.Range(1, batch.Waves.Count).Select(w => waves.Count(x => x == w)).ToList(),
            // A maintenance window stretches the push phase over the windows it needs.
            PushDuration = !batch.NeedPush ? null
                : batch.Window is { } w ? MaintenanceWindows.WallClock(w, batch.ScheduleTime ?? batch.CreatedAt, PushPacing.Duration(batch.PushRate, pushable))
                : PushPacing.Duration(batch.PushRate, pushable),
        };
    }

    private static string NothingToUpdate(Resolution r)
    {
        var parts = r.Skipped.Select(kv => $"{kv.Value} {kv.Key.Describe()}").ToList();
        if (r.UnknownDeviceNames.Count > 0)
            parts.Add($"{r.UnknownDeviceNames.Count} unknown device names");
        return parts.Count == 0 ? "no device matches this scope." : $"no device to update: {string.Join(", ", parts)}.";
    }
}
