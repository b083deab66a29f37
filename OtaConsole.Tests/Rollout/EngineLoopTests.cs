using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Rollout;

/// <summary>The engine's loops: the change feed to pages, and the pump from devices.</summary>
public sealed class EngineLoopTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    // Set around each writer call: a subscriber called inside the writer's call (on its thread, in its lock) sees it.
    private static readonly AsyncLocal<bool> InWriterCall = new();

    [Fact]
    public async Task A_subscriber_that_blocks_never_blocks_the_writer_and_is_never_called_inside_it()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(3);
        using var release = new ManualResetEventSlim();
        var calls = 0;
        var calledInside = false;
        using var blocking = _h.Feed.Subscribe(_ =>
        {
            Interlocked.Increment(ref calls);
            if (InWriterCall.Value)
            {
                calledInside = true;
                return;
            }
            release.Wait(Guard); // a page stuck in its reload
        });
        var heard = new SemaphoreSlim(0);
        using var other = _h.Feed.Subscribe(_ => heard.Release());

        for (var i = 0; i < 20; i++)
        {
            InWriterCall.Value = true;
            var step = _h.Engine.ApplyDeviceEventsAsync([new VersionReported(EngineHarness.Key("dev-000"), OtaModule.Default, $"1.0.{i}")]);
            InWriterCall.Value = false;
            await step.WaitAsync(Guard);
        }

        // The other page still hears of the changes while the first is stuck, and the writer went on.
        Assert.True(await heard.WaitAsync(Guard));
        release.Set();
        Assert.False(calledInside);
        Assert.InRange(Volatile.Read(ref calls), 1, 20);
    }

    [Fact]
    public async Task A_progress_step_that_moves_no_counter_still_reaches_the_batchs_live_pages()
    {
        await _h.ProductAsync();
        await _h.DevicesAsync(1);
        var p = await _h.PackageAsync();
        var batchId = (await _h.BatchAsync(p.Id)).BatchId;
        await _h.AdvanceAsync(TimeSpan.FromSeconds(1));
        await _h.ProgressAsync("dev-000", 10); // Pushed → In upgrade
        var heard = new SemaphoreSlim(0);
        using var _ = _h.Feed.Subscribe(c =>
        {
            if (c.TaskBatchIds.Contains(batchId) && !c.BatchIds.Contains(batchId))
                heard.Release();
        });

        await _h.ProgressAsync("dev-000", 60); // still In upgrade: only the progress bar moves

        Assert.True(await heard.WaitAsync(Guard));
    }

    [Fact]
    public async Task Reports_still_queued_at_a_graceful_stop_are_applied_before_the_pump_ends()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(100);
        var queue = new DeviceEventQueue();
        var pump = new DeviceEventPump(queue, _h.Engine, _h.Time, NullLogger<DeviceEventPump>.Instance);
        await pump.StartAsync(CancellationToken.None);
        for (var round = 1; round <= 100; round++)
            foreach (var d in devices)
                await queue.EnqueueAsync(new VersionReported(EngineHarness.Key(d), OtaModule.Default, $"1.{round}.0"));

        await pump.StopAsync(CancellationToken.None).WaitAsync(Guard);

        Assert.Equal((10_000, 0), (queue.Applied, queue.Dropped));
        await using var db = _h.Database.CreateDbContext();
        Assert.Equal(100, await db.DeviceVersions.CountAsync(v => v.Version == "1.100.0"));
        // Stopped means stopped: a late report is refused, not lost in a queue nobody reads.
        await queue.EnqueueAsync(new VersionReported(EngineHarness.Key(devices[0]), OtaModule.Default, "9.9.9"));
        Assert.Equal(1, queue.Refused);
    }

    [Fact]
    public async Task A_transient_database_failure_is_waited_out_and_no_report_is_dropped()
    {
        // The failure is SQLite's "database is locked", injected into a SQLite file.
        Assert.SkipWhen(TestDatabase.IsPostgres, "SQLite's lock error; PostgreSQL's transient errors are NpgsqlException.IsTransient");
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(50);
        var locked = new LockedDatabase();
        var dbs = locked.Over(_h.Database.Path);
        var engine = new RolloutEngine(new EngineWriter(dbs, _h.Time, _h.Gateway, _h.Feed, NullLogger<EngineWriter>.Instance), dbs, new DeviceDirectory());
        var queue = new DeviceEventQueue();
        var pump = new DeviceEventPump(queue, engine, _h.Time, NullLogger<DeviceEventPump>.Instance);
        var changed = new SemaphoreSlim(0);
        using var _ = _h.Feed.Subscribe(_ => changed.Release());
        await pump.StartAsync(CancellationToken.None);

        locked.FailNext(5); // "database is locked", five times over
        foreach (var d in devices)
            await queue.EnqueueAsync(new VersionReported(EngineHarness.Key(d), OtaModule.Default, "1.5.0"));
        for (var i = 0; i < 600 && queue.Applied < devices.Count; i++)
        {
            _h.Time.Advance(TimeSpan.FromSeconds(1)); // the pump's back-off runs on the console's clock
            await changed.WaitAsync(TimeSpan.FromMilliseconds(20));
        }
        await pump.StopAsync(CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(0, locked.Remaining);
        Assert.Equal((50, 0), (queue.Applied, queue.Dropped));
        await using var db = _h.Database.CreateDbContext();
        Assert.Equal(50, await db.DeviceVersions.CountAsync(v => v.Version == "1.5.0"));
    }

    [Fact]
    public async Task An_event_that_fails_in_itself_is_dropped_and_counted_while_its_neighbours_are_applied()
    {
        await _h.ProductAsync();
        var devices = await _h.DevicesAsync(3);
        var queue = new DeviceEventQueue();
        var engine = new RolloutEngine(new EngineWriter(_h.Database, _h.Time, _h.Gateway, _h.Feed, NullLogger<EngineWriter>.Instance), _h.Database, new DeviceDirectory());
        var pump = new DeviceEventPump(queue, engine, _h.Time, NullLogger<DeviceEventPump>.Instance);
        await pump.StartAsync(CancellationToken.None);
        // A report without a version cannot be stored (the codec never lets one through: only a bug would send it).
        await queue.EnqueueAsync(new VersionReported(EngineHarness.Key(devices[0]), OtaModule.Default, "1.7.0"));
        await queue.EnqueueAsync(new VersionReported(EngineHarness.Key(devices[1]), OtaModule.Default, null!));
        await queue.EnqueueAsync(new VersionReported(EngineHarness.Key(devices[2]), OtaModule.Default, "1.7.0"));
        await pump.StopAsync(CancellationToken.None).WaitAsync(Guard);

        Assert.Equal((2, 1), (queue.Applied, queue.Dropped));
        await using var db = _h.Database.CreateDbContext();
        Assert.Equal(2, await db.DeviceVersions.CountAsync(v => v.Version == "1.7.0"));
    }

    /// <summary>The console's database, whose queries fail as a locked SQLite file does, as often as told.</summary>
    private sealed class LockedDatabase : DbCommandInterceptor
    {
        private int _remaining;
        public int Remaining => Volatile.Read(ref _remaining);
        public void FailNext(int count) => Volatile.Write(ref _remaining, count);

        public IDbContextFactory<OtaDbContext> Over(string path)
        {
            var b = new DbContextOptionsBuilder<OtaDbContext>();
            OtaDatabase.Configure(b, OtaDatabase.ConnectionString(path));
            b.AddInterceptors(this);
            return new Factory(b.Options);
        }

        public override ValueTask<InterceptionResult<System.Data.Common.DbDataReader>> ReaderExecutingAsync(System.Data.Common.DbCommand command,
            CommandEventData eventData, InterceptionResult<System.Data.Common.DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Decrement(ref _remaining) >= 0)
                throw new SqliteException("database is locked", 6);
            Interlocked.Exchange(ref _remaining, 0);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        private sealed class Factory(DbContextOptions<OtaDbContext> options) : IDbContextFactory<OtaDbContext>
        {
            public OtaDbContext CreateDbContext() => new(options);
        }
    }
}
