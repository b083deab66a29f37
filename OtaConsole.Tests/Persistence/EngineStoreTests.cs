using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Persistence;

/// <summary>The hand-written statements and the EF model must agree on every column.</summary>
public sealed class EngineStoreTests
{
    [Fact]
    public async Task Tasks_written_by_the_store_read_back_through_EF_with_every_field()
    {
        using var database = new TestDatabase();
        var t0 = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        var task = new UpdateTask
        {
            BatchId = "B",
            PackageId = "P",
            DeviceId = 42,
            ProductKey = "pk",
            DeviceName = "dev-1",
            ModuleName = "MCU",
            DestVersion = "2.0.0",
            TimeoutMinutes = 30,
            RetryIntervalMinutes = 10,
            RetryCount = 2,
        };
        SetState(task, "1.0.0", OtaTaskStatus.InProgress, QueueReason.None, 55, "-2", "download failed", 1, t0.AddMinutes(10), t0.AddMinutes(30), t0, t0.AddSeconds(5), t0.AddSeconds(6), null, t0.AddSeconds(7));
        var ev = new TaskEvent { At = t0, Kind = TaskEventKind.Transition, FromStatus = OtaTaskStatus.Notified, ToStatus = OtaTaskStatus.InProgress, Detail = "progress 0 — ünïcødé" };

        await using (var db = database.CreateDbContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var store = EngineStore.For(db);
            await store.InsertTasksAsync([task], default);
            ev.TaskId = task.Id;
            await store.InsertEventsAsync([ev], default);
            await tx.CommitAsync();
        }
        Assert.NotEqual(0, task.Id);
        await AssertSameAsync(database, task);
        await using (var db = database.CreateDbContext())
            AssertSame(task, Assert.Single(await EngineStore.For(db).UnfinishedOfDevicesAsync([42, 7], default)));
        await using (var db = database.CreateDbContext())
        {
            var read = await db.TaskEvents.SingleAsync();
            Assert.Equal((ev.TaskId, ev.At, ev.Kind, ev.FromStatus, ev.ToStatus, ev.Detail), (read.TaskId, read.At, read.Kind, read.FromStatus, read.ToStatus, read.Detail));
        }

        SetState(task, null, OtaTaskStatus.Failed, QueueReason.None, 60, "TIMEOUT", "timeout", 2, null, null, t0, null, null, t0.AddHours(1), t0.AddHours(1));
        await using (var db = database.CreateDbContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await EngineStore.For(db).UpdateTasksAsync([task], default);
            await tx.CommitAsync();
        }
        await AssertSameAsync(database, task);
        await using (var db = database.CreateDbContext())
            Assert.Empty(await EngineStore.For(db).UnfinishedOfDevicesAsync([42], default)); // a failed task is finished
    }

    private static void SetState(UpdateTask t, string? src, OtaTaskStatus status, QueueReason reason, int progress, string? code, string? why, int attempts,
        DateTimeOffset? retryDue, DateTimeOffset? timeoutAt, DateTimeOffset created, DateTimeOffset? pushed, DateTimeOffset? firstProgress, DateTimeOffset? ended, DateTimeOffset modified)
    {
        // Test data only: outside the engine, the state machine alone sets these.
        t.SrcVersion = src;
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.Status))!.SetValue(t, status);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.QueueReason))!.SetValue(t, reason);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.Progress))!.SetValue(t, progress);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.FailureCode))!.SetValue(t, code);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.FailureReason))!.SetValue(t, why);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.RetryAttempts))!.SetValue(t, attempts);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.RetryDueAt))!.SetValue(t, retryDue);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.TimeoutAt))!.SetValue(t, timeoutAt);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.CreatedAt))!.SetValue(t, created);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.PushedAt))!.SetValue(t, pushed);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.FirstProgressAt))!.SetValue(t, firstProgress);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.EndedAt))!.SetValue(t, ended);
        typeof(UpdateTask).GetProperty(nameof(UpdateTask.ModifiedAt))!.SetValue(t, modified);
    }

    private static async Task AssertSameAsync(TestDatabase database, UpdateTask expected)
    {
        await using var db = database.CreateDbContext();
        AssertSame(expected, await db.Tasks.AsNoTracking().SingleAsync(t => t.Id == expected.Id));
    }

    private static void AssertSame(UpdateTask expected, UpdateTask actual)
    {
        foreach (var p in typeof(UpdateTask).GetProperties())
            Assert.True(Equals(p.GetValue(expected), p.GetValue(actual)), $"{p.Name}: wrote {p.GetValue(expected)}, read {p.GetValue(actual)}");
    }
}
