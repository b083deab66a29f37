using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// A batch's waves: the split of its devices when it is made, and each tick's judgement of the current wave. The
/// scheduler pushes only tasks of the current wave and the ones before it; a wave passes when enough of its tasks
/// succeeded and its soak is over, and the next starts by itself or waits for an operator's Start next wave.
/// Judging reads only the batch row (each wave's counters live on it), never its tasks.
/// </summary>
internal static class Waves
{
    public static string PolicyActor => Audit.SafetyPolicy.Name;

    /// <summary>
    /// Which wave each candidate belongs to (1-based), in the batch's device order: a group wave takes the batch's
    /// devices of that group not taken before it, a percentage or a count takes the next devices in order, the last
    /// wave the rest. A device busy with another batch is in no wave: its task fails at once and counts in none.
    /// </summary>
    public static int[] Split(IReadOnlyList<RolloutWave> waves, IReadOnlyList<long> deviceIds, IReadOnlySet<int> busy,
        IReadOnlyDictionary<long, string?> groupOf, IReadOnlyDictionary<string, HashSet<string>> groupTrees)
    {
        var result = new int[deviceIds.Count];
        var free = Enumerable.Range(0, deviceIds.Count).Count(i => !busy.Contains(i));
        var next = 0; // the first candidate not yet looked at for a share by order
        for (var w = 0; w < waves.Count; w++)
        {
            var wave = waves[w];
            if (wave.Size == WaveSize.Group || w == waves.Count - 1)
            {
                var tree = wave.Size == WaveSize.Group ? groupTrees[wave.GroupId!] : null;
                for (var i = 0; i < deviceIds.Count; i++)
                    if (result[i] == 0 && !busy.Contains(i) && (tree is null || (groupOf.GetValueOrDefault(deviceIds[i]) is { } g && tree.Contains(g))))
                        result[i] = w + 1;
                continue;
            }
            var share = wave.Size == WaveSize.Count ? wave.Count ?? 0 : (int)Math.Ceiling(free * (wave.Percent ?? 0) / 100m);
            share = Math.Max(share, free > 0 ? 1 : 0);
            for (; next < deviceIds.Count && share > 0; next++)
            {
                if (result[next] != 0 || busy.Contains(next))
                    continue;
                result[next] = w + 1;
                share--;
            }
        }
        return result;
    }

    /// <summary>Each wave group's devices with its sub-groups, and the group of each device of the product that has one.</summary>
    public static async Task<(Dictionary<long, string?> GroupOf, Dictionary<string, HashSet<string>> Trees)> GroupsAsync(
        OtaDbContext db, string productKey, IReadOnlyList<RolloutWave> waves, CancellationToken ct)
    {
        var trees = new Dictionary<string, HashSet<string>>();
        foreach (var id in waves.Where(w => w.Size == WaveSize.Group).Select(w => w.GroupId!).Distinct())
            trees[id] = await TargetResolver.GroupWithDescendantsAsync(db, id, ct);
        if (trees.Count == 0)
            return ([], trees);
        var groupOf = await db.Devices.AsNoTracking().Where(d => d.ProductKey == productKey && d.GroupId != null)
            .Select(d => new { d.Id, d.GroupId }).ToDictionaryAsync(d => d.Id, d => d.GroupId, ct);
        return (groupOf, trees);
    }

    /// <summary>A wave starts: its tasks may be pushed from this tick on, at the batch's rate.</summary>
    public static void Start(WriteScope scope, Batch batch, int number, string startedBy)
    {
        var wave = batch.Waves[number - 1];
        batch.CurrentWave = number;
        wave.StartedAt = scope.Now;
        wave.StartedBy = startedBy;
        batch.ModifiedAt = scope.Now;
        scope.TouchedBatches.Add(batch.Id);
        PushScheduler.RestartStretch(batch, scope.Now, batch.PushRate.RateAfter(PushScheduler.CountedForRamp(batch)));
        Webhooks.OtaEvents.Batch(scope, batch, Webhooks.OtaEventTypes.WaveStarted, wave: number);
        Audit.Decision(scope.Db, scope.Now, "batch.wave-start", "batch", batch.Id,
            new { wave = number, of = batch.Waves.Count, tasks = wave.Counts.Total, startedBy });
    }

    /// <summary>Each tick: a running batch's current wave is judged, and the next started when it passed and needs no approval.</summary>
    public static async Task AdvanceAsync(WriteScope scope, CancellationToken ct)
    {
        var batches = await scope.LoadBatchesAsync(scope.Db.Batches.Where(b => b.Status == BatchStatus.InProgress && b.CurrentWave > 0), ct);
        foreach (var batch in batches)
        {
            if (batch.Current is not { } wave || batch.CurrentWave >= batch.Waves.Count)
                continue;
            if (wave.PassedAt is null)
            {
                if (!Passed(wave, scope.Now))
                    continue;
                wave.PassedAt = scope.Now;
                batch.ModifiedAt = scope.Now;
                scope.TouchedBatches.Add(batch.Id);
                Audit.Decision(scope.Db, scope.Now, "batch.wave-passed", "batch", batch.Id, new
                {
                    wave = batch.CurrentWave,
                    succeeded = wave.Counts.Succeeded,
                    judged = wave.Judged,
                    successPercent = wave.SucceededPercent,
                    threshold = wave.SuccessPercent,
                    soakMinutes = wave.SoakMinutes,
                });
            }
            if (!batch.Waves[batch.CurrentWave].NeedsApproval)
                Start(scope, batch, batch.CurrentWave + 1, PolicyActor);
        }
    }

    /// <summary>
    /// Succeeded, of the wave's tasks not cancelled, at least its threshold, and the soak after its last push over.
    /// A wave with no task left to judge passes at once.
    /// </summary>
    public static bool Passed(RolloutWave wave, DateTimeOffset now) =>
        wave.Judged == 0
        || (wave.Counts.Succeeded * 100m >= wave.SuccessPercent * wave.Judged && wave.SoakEndsAt is { } soak && soak <= now);
}
