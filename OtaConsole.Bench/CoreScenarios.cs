using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Bench;

/// <summary>The core engine's scenarios: batch creation, event application, push-rate accuracy.</summary>
internal static class CoreScenarios
{
    /// <summary>
    /// Create a static batch over 100,000 devices. Reference: the same 100,000 task rows inserted into the
    /// same table (same indexes) by one prepared statement in one transaction.
    /// </summary>
    public static async Task<object> BatchCreateAsync(int runs)
    {
        const int devices = 100_000;
        using var template = await BenchWorld.CreateAsync();
        await template.SeedDevicesAsync(devices, "1.0.0");
        var package = await template.PackageAsync("2.0.0");

        var engine = new List<double>();
        var raw = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            using (var w = template.CopyTo())
            {
                var sw = Stopwatch.StartNew();
                var created = await w.Engine.CreateBatchAsync(new CreateBatchRequest { PackageId = package.Id });
                engine.Add(sw.Elapsed.TotalSeconds);
                if (created.Preview.Tasks != devices)
                    throw new InvalidOperationException($"batch has {created.Preview.Tasks} tasks");
            }
            using (var w = template.CopyTo())
                raw.Add(await RawInsertTasksAsync(w, package.Id));
        }
        var seconds = Median(engine);
        var tasksPerS = devices / seconds;
        var rawPerS = devices / Median(raw);
        return new
        {
            scenario = "batch-create",
            devices,
            runs,
            seconds = Round(seconds, 3),
            tasks_per_s = Round(tasksPerS, 0),
            raw_insert_per_s = Round(rawPerS, 0),
            ratio = Round(tasksPerS / rawPerS, 3),
            target = "ratio >= 0.5 and seconds < 2",
        };
    }

    private static async Task<double> RawInsertTasksAsync(BenchWorld w, string packageId)
    {
        await using var c = new SqliteConnection(OtaDatabase.ConnectionString(w.Path));
        await c.OpenAsync();
        var ids = new List<(long Id, string Name)>();
        await using (var q = c.CreateCommand())
        {
            q.CommandText = "SELECT \"Id\",\"DeviceName\" FROM \"Devices\" ORDER BY \"Id\"";
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                ids.Add((r.GetInt64(0), r.GetString(1)));
        }
        var now = w.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var sw = Stopwatch.StartNew();
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync();
        var cmd = BenchWorld.Command(c, tx,
            "INSERT INTO \"Tasks\" (\"BatchId\",\"PackageId\",\"DeviceId\",\"ProductKey\",\"DeviceName\",\"ModuleName\",\"SrcVersion\",\"DestVersion\",\"Status\",\"QueueReason\",\"Progress\",\"RetryAttempts\",\"CreatedAt\",\"ModifiedAt\") " +
            "VALUES ('RAWBATCH',@pkg,@d,@pk,@n,'default','1.0.0','2.0.0','Queued','WaitingForSlot',0,0,@t,@t)", "@pkg", "@d", "@pk", "@n", "@t");
        foreach (var (id, name) in ids)
        {
            cmd.Parameters[0].Value = packageId;
            cmd.Parameters[1].Value = id;
            cmd.Parameters[2].Value = BenchWorld.ProductKey;
            cmd.Parameters[3].Value = name;
            cmd.Parameters[4].Value = now;
            await cmd.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Apply 200,000 device reports (9 progress steps and the final version for each of 20,000 pushed
    /// devices, interleaved as devices report) through the engine, in steps of the event pump's size.
    /// Reference: the same 200,000 task-row updates as plain prepared UPDATEs in transactions of that size.
    /// </summary>
    public static async Task<object> EventApplyAsync(int runs)
    {
        const int devices = 20_000;
        using var template = await BenchWorld.CreateAsync();
        await template.SeedDevicesAsync(devices, "1.0.0");
        var package = await template.PackageAsync("2.0.0");
        await template.Engine.CreateBatchAsync(new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(PushRate.Max) });
        await template.TickUntilAsync(() => template.Gateway.Notices >= devices, TimeSpan.FromMinutes(2));

        var steps = new[] { 0, 10, 20, 30, 40, 50, 60, 70, 80 };
        var events = new List<DeviceEvent>(devices * (steps.Length + 1));
        foreach (var step in steps)
            for (var i = 0; i < devices; i++)
                events.Add(new ProgressReported(new(BenchWorld.ProductKey, BenchWorld.DeviceName(i)), null, step, null));
        for (var i = 0; i < devices; i++)
            events.Add(new VersionReported(new(BenchWorld.ProductKey, BenchWorld.DeviceName(i)), OtaModule.Default, "2.0.0"));

        var engine = new List<double>();
        var raw = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            using (var w = template.CopyTo())
            {
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < events.Count; i += DeviceEventPump.MaxPerStep)
                    await w.Engine.ApplyDeviceEventsAsync(events.GetRange(i, Math.Min(DeviceEventPump.MaxPerStep, events.Count - i)));
                engine.Add(sw.Elapsed.TotalSeconds);
                await using var db = w.CreateDbContext();
                var succeeded = await db.Tasks.CountAsync(t => t.Status == OtaTaskStatus.Succeeded);
                if (succeeded != devices)
                    throw new InvalidOperationException($"{succeeded} of {devices} succeeded");
            }
            using (var w = template.CopyTo())
                raw.Add(await RawUpdateTasksAsync(w, steps));
        }
        var eventsPerS = events.Count / Median(engine);
        var rawPerS = events.Count / Median(raw);
        return new
        {
            scenario = "event-apply",
            events = events.Count,
            devices,
            runs,
            seconds = Round(Median(engine), 3),
            events_per_s = Round(eventsPerS, 0),
            raw_update_per_s = Round(rawPerS, 0),
            ratio = Round(eventsPerS / rawPerS, 3),
            target = "events_per_s >= 20000 and ratio >= 0.3",
        };
    }

    private static async Task<double> RawUpdateTasksAsync(BenchWorld w, int[] steps)
    {
        await using var c = new SqliteConnection(OtaDatabase.ConnectionString(w.Path));
        await c.OpenAsync();
        var ids = new List<long>();
        await using (var q = c.CreateCommand())
        {
            q.CommandText = "SELECT \"Id\" FROM \"Tasks\" ORDER BY \"DeviceId\"";
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                ids.Add(r.GetInt64(0));
        }
        var updates = new List<(long Id, string Status, int Progress)>();
        foreach (var step in steps)
            updates.AddRange(ids.Select(id => (id, "InProgress", step)));
        updates.AddRange(ids.Select(id => (id, "Succeeded", 100)));

        var now = w.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < updates.Count; i += DeviceEventPump.MaxPerStep)
        {
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync();
            await using var cmd = BenchWorld.Command(c, tx, "UPDATE \"Tasks\" SET \"Status\"=@s,\"Progress\"=@p,\"ModifiedAt\"=@m WHERE \"Id\"=@id", "@s", "@p", "@m", "@id");
            foreach (var (id, status, progress) in updates.Skip(i).Take(DeviceEventPump.MaxPerStep))
            {
                cmd.Parameters[0].Value = status;
                cmd.Parameters[1].Value = progress;
                cmd.Parameters[2].Value = now;
                cmd.Parameters[3].Value = id;
                await cmd.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// On fake time, ticking once a second as the console does: constant rates over two whole minutes each,
    /// and one ramp over four. The error of a minute is |pushed − configured| / configured, where a ramp's
    /// configured count is its rate integrated over the minute at the push counts actually reached.
    /// </summary>
    public static async Task<object> PushRateAsync()
    {
        var results = new List<object>();
        double worst = 0;
        foreach (var rate in new[] { 10, 1_000, 10_000, 100_000 })
        {
            var (errors, pushed) = await MeasureAsync(PushRate.Constant(rate), minutes: 2, devices: Math.Max(40, rate * 2 + 100));
            worst = Math.Max(worst, errors.Max());
            results.Add(new { rate_per_min = rate, pushed_per_min = pushed, worst_error_pct = Round(errors.Max(), 3) });
        }
        var ramp = PushRate.Variable(1000, 2, 2000, RampCriterion.Pushed, 16_000);
        var (rampErrors, rampPushed) = await MeasureAsync(ramp, minutes: 4, devices: 30_000);
        worst = Math.Max(worst, rampErrors.Max());
        results.Add(new { rate_per_min = ramp.ToString(), pushed_per_min = rampPushed, worst_error_pct = Round(rampErrors.Max(), 3) });
        return new { scenario = "push-rate", rates = results, worst_error_pct = Round(worst, 3), target = "worst_error_pct <= 1" };
    }

    private static async Task<(List<double> ErrorsPct, List<int> PushedPerMinute)> MeasureAsync(PushRate rate, int minutes, int devices)
    {
        using var w = await BenchWorld.CreateAsync();
        await w.SeedDevicesAsync(devices, "1.0.0");
        var package = await w.PackageAsync("2.0.0");
        var start = w.Time.GetUtcNow();
        var created = await w.Engine.CreateBatchAsync(new CreateBatchRequest { PackageId = package.Id, PushRate = rate });
        for (var s = 0; s < minutes * 60; s++)
        {
            await w.Engine.TickAsync();
            w.Time.Advance(TimeSpan.FromSeconds(1));
        }
        await using var db = w.CreateDbContext();
        var pushTimes = (await db.Tasks.Where(t => t.BatchId == created.BatchId && t.PushedAt != null).Select(t => t.PushedAt!.Value).ToListAsync())
            .Select(t => (t - start).TotalSeconds).Order().ToList();
        if (pushTimes.Count >= devices)
            throw new InvalidOperationException("the fleet ran out before the measurement ended");

        var errors = new List<double>();
        var perMinute = new List<int>();
        for (var m = 0; m < minutes; m++)
        {
            var actual = pushTimes.Count(t => t >= m * 60 && t < (m + 1) * 60);
            // The configured count: the rate the ramp prescribes in each second, at the pushes made before it.
            double expected = 0;
            for (var s = m * 60; s < (m + 1) * 60; s++)
                expected += rate.RateAfter(pushTimes.Count(t => t < s)) / 60.0;
            perMinute.Add(actual);
            errors.Add(Math.Abs(actual - expected) / expected * 100);
        }
        return (errors, perMinute);
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static double Round(double v, int digits) => Math.Round(v, digits);
}
