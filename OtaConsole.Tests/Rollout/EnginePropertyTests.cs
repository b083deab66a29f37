using Microsoft.EntityFrameworkCore;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;
using OtaConsole.Tests.Support;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Rollout;

/// <summary>
/// Random sequences of device reports, operator actions and clock moves. After every step: no transition
/// outside the state machine's table was ever recorded, every batch's counters equal its tasks' statuses,
/// a device has at most one unfinished task, each task's fields agree with its status, no device of a paused
/// batch is pushed (batches pause by hand, resume, and pause by themselves on a failure rule), no task of a wave that
/// has not started is pushed and each wave's counters equal its tasks, and no task is pushed outside its batch's
/// maintenance window.
/// </summary>
public sealed class EnginePropertyTests
{
    private static readonly string[] Versions = ["1.0.0", "2.0.0", "3.0.0", "9.9.9"];

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 24)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task No_illegal_transition_and_counts_always_add_up(int seed)
    {
        var rng = new Random(seed);
        using var h = new EngineHarness();
        await h.ProductAsync();
        var devices = await h.DevicesAsync(8, "1.0.0");
        var packages = new[] { await h.PackageAsync("2.0.0"), await h.PackageAsync("3.0.0"), await h.PackageAsync("2.0.0", type: PackageType.Differential, src: "1.0.0") };
        var batches = new List<string>();
        var seen = new Dictionary<string, (BatchStatus Status, int Pushed)>();

        for (var step = 0; step < 60; step++)
        {
            var op = rng.Next(100);
            try
            {
                if (op < 10)
                    batches.Add((await h.Engine.CreateBatchAsync(Actor.System, RandomBatch(rng, packages[rng.Next(packages.Length)].Id, devices, h.Now))).BatchId);
                else if (op < 50)
                    await h.Engine.ApplyDeviceEventsAsync(Enumerable.Range(0, rng.Next(1, 6)).Select(_ => RandomEvent(rng, devices)).ToList());
                else if (op < 70)
                {
                    h.Time.Advance(TimeSpan.FromSeconds(rng.Next(1, 90)) * (rng.Next(10) == 0 ? 60 : 1));
                    await h.TickAsync();
                }
                else if (batches.Count > 0)
                    await RandomCommandAsync(rng, h, batches[rng.Next(batches.Count)]);
            }
            catch (OtaException)
            {
                // A refusal is a legitimate outcome; it must leave everything consistent, which the checks below verify.
            }
            await CheckInvariantsAsync(h, $"seed {seed}, step {step}, op {op}", seen);
        }
    }

    private static CreateBatchRequest RandomBatch(Random rng, string packageId, List<string> devices, DateTimeOffset now)
    {
        var dynamic = rng.Next(4) == 0;
        var retry = rng.Next(2) == 0;
        return new CreateBatchRequest
        {
            PackageId = packageId,
            Selection = dynamic ? SelectionType.Dynamic : SelectionType.Static,
            SrcVersions = dynamic ? ["1.0.0"] : [],
            Target = !dynamic && rng.Next(3) == 0 ? TargetSelection.Specific : TargetSelection.All,
            DeviceNames = [],
            NeedConfirm = rng.Next(4) == 0,
            NeedPush = rng.Next(5) != 0,
            OverwriteMode = rng.Next(2) == 0 ? OverwriteMode.Overwrite : OverwriteMode.DoNotOverwrite,
            TimeoutMinutes = rng.Next(2) == 0 ? 60 : null,
            RetryIntervalMinutes = retry ? 0 : null,
            RetryCount = retry ? 2 : null,
            ScheduleTime = !dynamic && rng.Next(5) == 0 ? now.AddMinutes(6) : null,
            PushRate = PushRate.Constant(rng.Next(2) == 0 ? 10 : 10_000),
            FailureRules = rng.Next(3) == 0 ? [new FailureRule { Failures = (FailureKind)rng.Next(4), ThresholdPercent = rng.Next(0, 60), MinEnded = rng.Next(1, 4), Action = (RuleAction)rng.Next(2), Scope = (RuleScope)rng.Next(2) }] : [],
            Waves = !dynamic && rng.Next(2) == 0
                ? [new RolloutWave { Size = WaveSize.Percent, Percent = 25, SuccessPercent = rng.Next(0, 101), SoakMinutes = rng.Next(3) },
                   new RolloutWave { Size = WaveSize.Count, Count = 2, SuccessPercent = rng.Next(0, 101), NeedsApproval = rng.Next(2) == 0 },
                   new RolloutWave { Size = WaveSize.Rest, NeedsApproval = rng.Next(2) == 0 }]
                : [],
            Window = rng.Next(3) switch
            {
                0 => new MaintenanceWindow { TimeZone = "Europe/Berlin", Cron = "*/3 * * * *", DurationMinutes = 1 },
                1 => new MaintenanceWindow { TimeZone = "Asia/Tokyo", Days = [.. Enum.GetValues<DayOfWeek>()], Start = new(now.AddHours(9).Hour, 10), End = new(now.AddHours(9).Hour, 40) },
                _ => null,
            },
        } is var r && r.Target == TargetSelection.Specific
            ? r with { DeviceNames = devices.Where(_ => rng.Next(2) == 0).DefaultIfEmpty(devices[0]).ToList() }
            : r;
    }

    private static DeviceEvent RandomEvent(Random rng, List<string> devices)
    {
        var key = EngineHarness.Key(devices[rng.Next(devices.Count)]);
        return rng.Next(6) switch
        {
            0 => new DeviceConnected(key),
            1 => new DeviceDisconnected(key),
            2 => new VersionReported(key, OtaModule.Default, Versions[rng.Next(Versions.Length)]),
            3 => new FirmwareRequested(key, null, rng.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => new ProgressReported(key, null, rng.Next(-4, 101), null),
        };
    }

    private static async Task RandomCommandAsync(Random rng, EngineHarness h, string batchId)
    {
        var tasks = await h.TasksAsync(batchId);
        var someIds = tasks.Where(_ => rng.Next(2) == 0).Take(3).Select(t => t.Id).DefaultIfEmpty(tasks.FirstOrDefault()?.Id ?? 1).ToList();
        switch (rng.Next(10))
        {
            case 0: await h.Engine.CancelBatchAsync(Actor.System, batchId, alsoRunningTasks: rng.Next(2) == 0); break;
            case 1: await h.Engine.CancelTaskAsync(Actor.System, someIds[0]); break;
            case 2: await h.Engine.ConfirmTasksAsync(Actor.System, someIds); break;
            case 3: await h.Engine.ReupgradeTasksAsync(Actor.System, batchId, someIds); break;
            case 4: await h.Engine.UpdatePushRateAsync(Actor.System, batchId, PushRate.Constant(rng.Next(10, 2000))); break;
            case 5: await h.Engine.UpdateTagsAsync(Actor.System, batchId, [new BatchTag { Key = "k", Value = rng.Next().ToString(System.Globalization.CultureInfo.InvariantCulture) }]); break;
            case 6:
                await h.Engine.CancelTasksByJobAsync(Actor.System, batchId, new CancelTasksByJob { CancelQueued = rng.Next(2) == 0, CancelNotified = rng.Next(2) == 0, CancelInProgress = rng.Next(2) == 0, CancelScheduled = true });
                break;
            case 7: await h.Engine.UpdatePushRateAsync(Actor.System, batchId, PushRate.Variable(10, 2, 2, RampCriterion.Pushed, 1000)); break;
            case 8: await h.Engine.PauseBatchAsync(Actor.System, batchId); break;
            default:
                if (rng.Next(2) == 0)
                    await h.Engine.ResumeBatchAsync(Actor.System, batchId);
                else
                    await h.Engine.StartNextWaveAsync(Actor.System, batchId);
                break;
        }
    }

    private static async Task CheckInvariantsAsync(EngineHarness h, string where, Dictionary<string, (BatchStatus Status, int Pushed)> seen)
    {
        await using var db = h.Database.CreateDbContext();
        var transitions = await db.TaskEvents.Where(e => e.Kind == TaskEventKind.Transition).ToListAsync();
        foreach (var e in transitions)
            Assert.True(TaskStateMachine.IsAllowed(e.FromStatus!.Value, e.ToStatus!.Value), $"{where}: illegal {e.FromStatus} → {e.ToStatus}");

        var tasks = await db.Tasks.AsNoTracking().ToListAsync();
        foreach (var b in await db.Batches.AsNoTracking().ToListAsync())
        {
            var mine = tasks.Where(t => t.BatchId == b.Id).ToList();
            Assert.Equal(mine.Count, b.Counts.Total);
            foreach (var s in Enum.GetValues<OtaTaskStatus>())
                Assert.True(mine.Count(t => t.Status == s) == b.Counts[s], $"{where}: batch {b.Id} counts {s}={b.Counts[s]}, tasks say {mine.Count(t => t.Status == s)}");
            if (b.Status == BatchStatus.Completed)
                Assert.Equal(0, b.Counts.Unfinished);
            // Paused at the last check and still paused: nobody of it was pushed in between.
            if (seen.TryGetValue(b.Id, out var before) && before.Status == BatchStatus.Paused && b.Status == BatchStatus.Paused)
                Assert.True(b.PushedCount == before.Pushed, $"{where}: paused batch {b.Id} pushed {b.PushedCount - before.Pushed} devices");
            seen[b.Id] = (b.Status, b.PushedCount);
            for (var w = 1; w <= b.Waves.Count; w++)
            {
                var wave = mine.Where(t => t.Wave == w).ToList();
                foreach (var s in Enum.GetValues<OtaTaskStatus>())
                    Assert.True(wave.Count(t => t.Status == s) == b.Waves[w - 1].Counts[s], $"{where}: batch {b.Id} wave {w} counts {s}={b.Waves[w - 1].Counts[s]}, tasks say {wave.Count(t => t.Status == s)}");
            }
            Assert.True(b.HasWaves == (b.CurrentWave > 0), $"{where}: batch {b.Id} has {b.Waves.Count} waves and is on wave {b.CurrentWave}");
            foreach (var t in mine.Where(t => t.Wave > b.CurrentWave))
                Assert.True(t.PushedAt is null, $"{where}: task {t.Id} of wave {t.Wave} pushed while batch {b.Id} is on wave {b.CurrentWave}");
            if (b.Window is { } window)
                foreach (var t in mine.Where(t => t.PushedAt is not null))
                    Assert.True(MaintenanceWindows.IsOpen(window, t.PushedAt!.Value), $"{where}: task {t.Id} pushed at {t.PushedAt} outside batch {b.Id}'s window {window}");
        }

        foreach (var g in tasks.Where(t => TaskStateMachine.IsUnfinished(t.Status)).GroupBy(t => t.DeviceId))
            Assert.True(g.Count() == 1, $"{where}: device {g.Key} has {g.Count()} unfinished tasks: {string.Join("; ", g.Select(t => $"{t.Id} {t.BatchId} {t.Status}"))}");

        foreach (var t in tasks)
        {
            Assert.True(TaskStateMachine.IsUnfinished(t.Status) == (t.EndedAt is null), $"{where}: task {t.Id} {t.Status} EndedAt={t.EndedAt}");
            Assert.True(t.TimeoutAt is null || t.Status == OtaTaskStatus.InProgress, $"{where}: task {t.Id} {t.Status} has a timeout");
            Assert.True(t.RetryDueAt is null || t.Status is OtaTaskStatus.Notified or OtaTaskStatus.InProgress, $"{where}: task {t.Id} {t.Status} has a retry due");
            Assert.True((t.QueueReason != QueueReason.None) == (t.Status == OtaTaskStatus.Queued), $"{where}: task {t.Id} {t.Status} waits as {t.QueueReason}");
            Assert.InRange(t.Progress, 0, 100);
        }
    }
}
