using System.Text.Json;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Webhooks;

/// <summary>The CloudEvents types the console sends (reverse-DNS prefixed, as CloudEvents 1.0 recommends).</summary>
public static class OtaEventTypes
{
    public const string Prefix = "io.otaconsole.";
    public const string BatchCreated = Prefix + "batch.created";
    public const string BatchStarted = Prefix + "batch.started";
    public const string BatchPaused = Prefix + "batch.paused";
    public const string BatchResumed = Prefix + "batch.resumed";
    public const string WaveStarted = Prefix + "batch.wave_started";
    public const string BatchCompleted = Prefix + "batch.completed";
    public const string BatchCancelled = Prefix + "batch.cancelled";
    public const string PackageUploaded = Prefix + "package.uploaded";
    public const string PackageVerified = Prefix + "package.verified";
    public const string PackageVerificationFailed = Prefix + "package.verification_failed";
    public const string TaskSucceeded = Prefix + "task.succeeded";
    public const string TaskFailed = Prefix + "task.failed";
    public const string TaskCancelled = Prefix + "task.cancelled";
    public const string Ping = Prefix + "ping";
    /// <summary>
    /// A task's status changed without ending (pushed, in progress, waiting for confirmation): written only for
    /// Alibaba's OTA update status messages, which report every status; not a webhook event.
    /// </summary>
    public const string TaskStatusChanged = Prefix + "task.status_changed";

    public static IReadOnlyList<string> Rollout { get; } =
        [BatchCreated, BatchStarted, BatchPaused, BatchResumed, WaveStarted, BatchCompleted, BatchCancelled, PackageUploaded, PackageVerified, PackageVerificationFailed];
    public static IReadOnlyList<string> Device { get; } = [TaskSucceeded, TaskFailed, TaskCancelled];
    public static IReadOnlyList<string> All { get; } = [.. Rollout, .. Device];
}

/// <summary>
/// Makes the outbox's events from what a writer step changed; the step writes them in its own transaction, so an
/// event exists exactly when its change was committed. Only while some subscription is enabled (see
/// <see cref="EngineWriter"/>): with none, nothing is written and nothing would be sent.
/// </summary>
internal static class OtaEvents
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static void Batch(WriteScope scope, Batch batch, string type, string? reason = null, int? wave = null) =>
        scope.Outbox.Add(new OutboxEvent
        {
            Type = type,
            Subject = batch.Id,
            ProductKey = batch.ProductKey,
            Time = scope.Now,
            Data = JsonSerializer.Serialize(new
            {
                batchId = batch.Id, productKey = batch.ProductKey, packageId = batch.PackageId, moduleName = batch.ModuleName,
                destVersion = batch.DestVersion, name = batch.Name, kind = batch.Kind.ToString(), status = batch.Status.ToString(),
                reason, wave, waves = batch.Waves.Count == 0 ? (int?)null : batch.Waves.Count,
                counts = new { total = batch.Counts.Total, succeeded = batch.Counts.Succeeded, failed = batch.Counts.Failed, canceled = batch.Counts.Canceled, unfinished = batch.Counts.Unfinished },
            }, Json),
        });

    public static OutboxEvent Package(UpdatePackage package, string type, DateTimeOffset now) => new()
    {
        Type = type,
        Subject = package.Id,
        ProductKey = package.ProductKey,
        Time = now,
        Data = JsonSerializer.Serialize(new
        {
            packageId = package.Id, productKey = package.ProductKey, name = package.Name, moduleName = package.ModuleName,
            destVersion = package.DestVersion, status = package.Status.ToString(), failure = package.VerifyFailure,
        }, Json),
    };

    /// <summary>The tasks this step ended, as device events.</summary>
    public static IEnumerable<OutboxEvent> EndedTasks(TaskChangeSet changes) =>
        changes.Created.Concat(changes.Updated).Where(t => Ended(t, changes)).Select(t => TaskEvent(t, t.Status switch
        {
            OtaTaskStatus.Succeeded => OtaEventTypes.TaskSucceeded,
            OtaTaskStatus.Failed => OtaEventTypes.TaskFailed,
            _ => OtaEventTypes.TaskCancelled,
        }, changes.Now));

    /// <summary>The tasks whose status this step changed without ending them (for Alibaba's messages).</summary>
    public static IEnumerable<OutboxEvent> StatusChanges(TaskChangeSet changes) =>
        changes.Moved.Where(t => !Ended(t, changes)).Select(t => TaskEvent(t, OtaEventTypes.TaskStatusChanged, changes.Now));

    private static bool Ended(UpdateTask t, TaskChangeSet changes) => t.EndedAt == changes.Now && !TaskStateMachine.IsUnfinished(t.Status);

    private static OutboxEvent TaskEvent(UpdateTask t, string type, DateTimeOffset now) => new()
    {
        Type = type,
        Subject = t.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ProductKey = t.ProductKey,
        IsDeviceEvent = true,
        Time = now,
        Data = JsonSerializer.Serialize(new TaskData(t.Id, t.BatchId, t.PackageId, t.ProductKey, t.DeviceName, t.ModuleName, t.SrcVersion, t.DestVersion,
            t.Status.ToString(), t.FailureCode, t.FailureReason), Json),
    };

    internal sealed record TaskData(long TaskId, string BatchId, string PackageId, string ProductKey, string DeviceName, string ModuleName, string? SrcVersion,
        string DestVersion, string Status, string? FailureCode, string? FailureReason);
}
