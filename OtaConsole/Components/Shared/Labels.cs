using System.Globalization;
using MudBlazor;
using OtaConsole.Core.Model;

namespace OtaConsole.Components.Shared;

/// <summary>The console's words for states, as Alibaba's OTA Update screens name them (seed text).</summary>
public static class Labels
{
    public static string Task(OtaTaskStatus status, QueueReason reason = QueueReason.None, DateTimeOffset? scheduledFor = null, OperatorTime? clock = null) => status switch
    {
        OtaTaskStatus.Confirm => "Pending Confirmation",
        OtaTaskStatus.Queued => reason switch
        {
            QueueReason.Offline => "To Be Pushed (Device Offline)",
            QueueReason.Scheduled => scheduledFor is { } at ? $"To Be Pushed (Scheduled: {(clock ?? OperatorTime.Utc).Time(at)})" : "To Be Pushed (Scheduled)",
            QueueReason.AwaitingRequest => "To Be Pushed (Waiting for Device Request)",
            _ => "To Be Pushed",
        },
        OtaTaskStatus.Notified => "Pushed",
        OtaTaskStatus.InProgress => "In upgrade",
        OtaTaskStatus.Succeeded => "Updated",
        OtaTaskStatus.Failed => "Update Failed",
        OtaTaskStatus.Canceled => "Canceled",
        _ => status.ToString(),
    };

    public static Color TaskColor(OtaTaskStatus status) => status switch
    {
        OtaTaskStatus.Succeeded => Color.Success,
        OtaTaskStatus.Failed => Color.Error,
        OtaTaskStatus.InProgress => Color.Info,
        OtaTaskStatus.Notified => Color.Primary,
        OtaTaskStatus.Canceled => Color.Dark,
        OtaTaskStatus.Confirm => Color.Warning,
        _ => Color.Default,
    };

    public static string Batch(BatchStatus status) => status switch
    {
        BatchStatus.Planned => "Planned",
        BatchStatus.InProgress => "In upgrade",
        BatchStatus.Completed => "Completed",
        BatchStatus.Canceled => "Canceled",
        BatchStatus.Paused => "Paused",
        _ => status.ToString(),
    };

    /// <summary>
    /// A batch's status with what is still going on: a cancelled batch's remaining tasks carry on to their end (a
    /// dynamic batch's policy stops, its tasks go on at its rate; a static batch's In upgrade tasks finish).
    /// </summary>
    /// <remarks>A batch that completed with failures says how many, so it is not mistaken for a clean rollout.</remarks>
    public static string Batch(BatchStatus status, SelectionType selection, TaskCounts counts) =>
        status == BatchStatus.Canceled && counts.Unfinished > 0
            ? $"{(selection == SelectionType.Dynamic ? "Policy cancelled" : "Canceled")}, {counts.Unfinished} {(counts.Unfinished == 1 ? "task" : "tasks")} still running"
            : status == BatchStatus.Completed && counts.Failed > 0
                ? $"Completed, {counts.Failed:N0} of {counts.Total:N0} failed"
                : Batch(status);

    /// <summary>Green only for a batch that completed without a failure; amber with some, red when every device failed.</summary>
    public static Color BatchColor(BatchStatus status, TaskCounts counts) => status switch
    {
        BatchStatus.InProgress => Color.Info,
        BatchStatus.Completed when counts.Failed > 0 && counts.Failed == counts.Total => Color.Error,
        BatchStatus.Completed when counts.Failed > 0 => Color.Warning,
        BatchStatus.Completed => Color.Success,
        BatchStatus.Canceled => Color.Dark,
        BatchStatus.Paused => Color.Warning,
        _ => Color.Warning,
    };

    public static string BatchType(BatchKind kind) => kind == BatchKind.Verify ? "Verify Update Package" : "Batch Update";

    public static string Package(PackageStatus status) => status switch
    {
        PackageStatus.NoVerificationNeeded => "No verification needed",
        PackageStatus.Unverified => "Unverified",
        PackageStatus.Verifying => "Verifying",
        PackageStatus.Verified => "Verified",
        PackageStatus.VerificationFailed => "Verification failed",
        _ => status.ToString(),
    };

    public static Color PackageColor(PackageStatus status) => status switch
    {
        PackageStatus.Verified or PackageStatus.NoVerificationNeeded => Color.Success,
        PackageStatus.Verifying => Color.Info,
        PackageStatus.VerificationFailed => Color.Error,
        _ => Color.Warning,
    };

    public static string PackageType(PackageType type) => type == Core.Model.PackageType.Differential ? "Differential" : "Full";


    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        _ => $"{bytes / 1024.0 / 1024.0:0.##} MB",
    };

    /// <summary>What a bulk action did: "Cancelled 18 updates; 2 left as they were (already ended: 2)."</summary>
    public static string Bulk(Core.Rollout.BulkTaskAction action, Core.Rollout.BulkTaskResult r)
    {
        var verb = action switch
        {
            Core.Rollout.BulkTaskAction.Cancel => "Cancelled",
            Core.Rollout.BulkTaskAction.Confirm => "Confirmed",
            _ => "Started again",
        };
        var text = $"{verb} {Count(r.Done)} {(r.Done == 1 ? "update" : "updates")}";
        if (r.SkippedCount > 0)
            text += $"; {Count(r.SkippedCount)} left as {(r.SkippedCount == 1 ? "it was" : "they were")} ({string.Join(", ", r.Skipped.Select(kv => $"{kv.Key}: {Count(kv.Value)}"))})";
        return text + ".";
    }

    /// <summary>A count as every page shows counts: 12,600.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A rough duration: "40 s", "12 min", "7 h", "6 h 40 min", "2.5 days".</summary>
    public static string Duration(TimeSpan d) => d switch
    {
        _ when d < TimeSpan.FromSeconds(1) => "under a second",
        _ when d.TotalMinutes < 1 => $"{d.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s",
        _ when d.TotalHours < 1 => $"{d.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} min",
        _ when d.TotalHours < 48 => d.Minutes == 0 || d.TotalHours >= 10 ? $"{Math.Round(d.TotalHours).ToString(CultureInfo.InvariantCulture)} h" : $"{(int)d.TotalHours} h {d.Minutes} min",
        _ => $"{d.TotalDays.ToString("0.#", CultureInfo.InvariantCulture)} days",
    };

    public static string Percent(double share) => share.ToString("0.##%", CultureInfo.InvariantCulture);
}
