using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Security;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// Quarantine (Ota:Rollout:QuarantineFailures, off by default): a device whose updates failed that many times
/// within the window, across batches, is held from new pushes for the cooling time, then released by the
/// scheduler (or by an operator). Its tasks stay To Be Pushed; the scheduler passes them over while it is held.
/// </summary>
internal static class Quarantine
{
    /// <summary>After a step's failures: the devices that failed once too often within the window are held.</summary>
    public static async Task JudgeAsync(WriteScope scope, CancellationToken ct)
    {
        var o = scope.Options;
        if (o.QuarantineFailures <= 0)
            return;
        var failedNow = scope.Changes.Updated.Concat(scope.Changes.Created)
            .Where(t => t.Status == OtaTaskStatus.Failed && t.EndedAt == scope.Now && SafetyRules.Counts(FailureKind.All, t.FailureCode))
            .ToList();
        foreach (var deviceId in failedNow.Select(t => t.DeviceId).Distinct())
        {
            var device = await scope.Db.Devices.FirstAsync(d => d.Id == deviceId, ct);
            if (device.QuarantinedUntil > scope.Now)
                continue;
            var since = scope.Now - o.QuarantineWindow;
            var changedIds = failedNow.Where(t => t.DeviceId == deviceId).Select(t => t.Id).ToList();
            var earlier = await scope.Db.Tasks.AsNoTracking().CountAsync(t => t.DeviceId == deviceId && t.Status == OtaTaskStatus.Failed
                && t.EndedAt >= since && t.FailureCode != FailureCodes.DeviceBusy && !changedIds.Contains(t.Id), ct);
            var failures = earlier + changedIds.Count;
            if (failures < o.QuarantineFailures)
                continue;
            device.QuarantinedUntil = scope.Now + o.QuarantineCooling;
            device.QuarantineReason = $"its updates failed {failures} times within {Describe(o.QuarantineWindow)}";
            scope.DevicesChanged = true;
            Audit.Decision(scope.Db, scope.Now, "device.quarantine", "device", $"{device.ProductKey}/{device.DeviceName}",
                new { failures, window = o.QuarantineWindow.ToString(), until = device.QuarantinedUntil });
        }
    }

    /// <summary>Each tick: the devices whose cooling time is over go back to normal, longest due first and at most 1,000 a tick (by the partial index).</summary>
    public static async Task ReleaseDueAsync(WriteScope scope, CancellationToken ct)
    {
        var now = scope.Now;
        var due = await scope.Db.Devices.Where(d => d.QuarantinedUntil <= now).OrderBy(d => d.QuarantinedUntil).Take(1000).ToListAsync(ct);
        foreach (var d in due)
            Release(d);
        if (due.Count > 0)
            scope.DevicesChanged = true;
    }

    public static void Release(Device d)
    {
        d.QuarantinedUntil = null;
        d.QuarantineReason = null;
    }

    private static string Describe(TimeSpan t) => t.TotalDays >= 1 && t.TotalDays % 1 == 0 ? $"{t.TotalDays:0} day(s)" : t.TotalHours >= 1 ? $"{t.TotalHours:0.#} h" : $"{t.TotalMinutes:0} min";
}
