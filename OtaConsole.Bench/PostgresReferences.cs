using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Bench;

/// <summary>
/// The plain-Npgsql references for <c>--db postgres</c>: the same work as the engine's, written the fastest
/// plain way PostgreSQL offers (binary COPY for rows in bulk, one UPDATE over arrays per step), on the same
/// server in the same run.
/// </summary>
internal static class PostgresReferences
{
    private const string Targets =
        "SELECT d.\"Id\",d.\"DeviceName\",d.\"IsOnline\",v.\"Version\" FROM \"Devices\" d LEFT JOIN \"DeviceVersions\" v " +
        "ON v.\"DeviceId\" = d.\"Id\" AND v.\"ModuleName\" = 'default' WHERE d.\"ProductKey\" = @pk";

    public const string InsertTasksReference =
        "reads the product's devices with their version (the engine's join), reserves 100,000 ids from the identity sequence (nextval over generate_series), " +
        "then writes the same task rows with all 32 columns (PostgreSQL has no defaults for them) in one binary COPY, in one transaction, on the same durable server; it does not write the batch row";

    public const string ApplyReference =
        "per step of the pump's size, one transaction that finds the step's devices' unfinished tasks (= ANY over an id array; device ids from memory, " +
        "as the engine's directory), then updates the tasks' 13 state columns in one UPDATE … FROM unnest(arrays), writes the timeline lines in one binary COPY, " +
        "upserts the reported versions in one INSERT … SELECT unnest … ON CONFLICT, and updates the batch's counters; on the same durable server";

    public static async Task<double> InsertTasksAsync(BenchWorld w, string packageId, int expected)
    {
        await using var c = await w.OpenPostgresAsync();
        var now = w.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var sw = Stopwatch.StartNew();
        var targets = new List<(long Id, string Name, bool Online, string? Version)>(expected);
        await using (var q = new NpgsqlCommand(Targets, c))
        {
            q.Parameters.AddWithValue("pk", BenchWorld.ProductKey);
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                targets.Add((r.GetInt64(0), r.GetString(1), r.GetBoolean(2), r.IsDBNull(3) ? null : r.GetString(3)));
        }
        await using var tx = await c.BeginTransactionAsync();
        var ids = new List<long>(targets.Count);
        await using (var q = new NpgsqlCommand("SELECT nextval(pg_get_serial_sequence('\"Tasks\"', 'Id')) FROM generate_series(1, @n)", c, tx))
        {
            q.Parameters.AddWithValue("n", targets.Count);
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                ids.Add(r.GetInt64(0));
        }
        await using (var copy = await c.BeginBinaryImportAsync(
                         "COPY \"Tasks\" (\"Id\",\"BatchId\",\"PackageId\",\"DeviceId\",\"ProductKey\",\"DeviceName\",\"ModuleName\",\"SrcVersion\",\"DestVersion\"," +
                         "\"Status\",\"QueueReason\",\"Progress\",\"FailureCode\",\"FailureReason\",\"RetryAttempts\",\"TimeoutMinutes\",\"RetryIntervalMinutes\",\"RetryCount\"," +
                         "\"RetryDueAt\",\"TimeoutAt\",\"CreatedAt\",\"PushedAt\",\"FirstProgressAt\",\"EndedAt\",\"ModifiedAt\"," +
                         "\"NoticeDueAt\",\"LastResentAt\",\"Renotices\",\"ReconnectsSinceNotice\",\"UndeliveredNotices\",\"RedeliveryDue\",\"Wave\") FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < targets.Count; i++)
            {
                var (id, name, online, version) = targets[i];
                await copy.StartRowAsync();
                await copy.WriteAsync(ids[i], NpgsqlDbType.Bigint);
                await copy.WriteAsync("RAWBATCH", NpgsqlDbType.Text);
                await copy.WriteAsync(packageId, NpgsqlDbType.Text);
                await copy.WriteAsync(id, NpgsqlDbType.Bigint);
                await copy.WriteAsync(BenchWorld.ProductKey, NpgsqlDbType.Text);
                await copy.WriteAsync(name, NpgsqlDbType.Text);
                await copy.WriteAsync("default", NpgsqlDbType.Text);
                await NullableAsync(copy, version);
                await copy.WriteAsync("2.0.0", NpgsqlDbType.Text);
                await copy.WriteAsync("Queued", NpgsqlDbType.Text);
                await copy.WriteAsync(online ? "WaitingForSlot" : "Offline", NpgsqlDbType.Text);
                await copy.WriteAsync(0, NpgsqlDbType.Integer);
                await copy.WriteNullAsync();
                await copy.WriteNullAsync();
                await copy.WriteAsync(0, NpgsqlDbType.Integer);
                for (var n = 0; n < 5; n++)
                    await copy.WriteNullAsync(); // timeout, retry interval, retry count, retry due, timeout at
                await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                for (var n = 0; n < 3; n++)
                    await copy.WriteNullAsync(); // pushed, first progress, ended
                await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                await copy.WriteNullAsync();
                await copy.WriteNullAsync();
                for (var n = 0; n < 3; n++)
                    await copy.WriteAsync(0, NpgsqlDbType.Integer); // re-notices, reconnects, undelivered
                await copy.WriteAsync(false, NpgsqlDbType.Boolean);
                await copy.WriteAsync(0, NpgsqlDbType.Integer);
            }
            await copy.CompleteAsync();
        }
        await tx.CommitAsync();
        var seconds = sw.Elapsed.TotalSeconds;
        if (targets.Count != expected)
            throw new InvalidOperationException($"the reference found {targets.Count} devices");
        return seconds;
    }

    public static async Task<double> ApplyAsync(BenchWorld w, string batchId, List<DeviceEvent> events)
    {
        await using var c = await w.OpenPostgresAsync();
        var deviceIds = new Dictionary<string, long>();
        await using (var q = new NpgsqlCommand("SELECT \"Id\",\"DeviceName\" FROM \"Devices\"", c))
        await using (var r = await q.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
                deviceIds[r.GetString(1)] = r.GetInt64(0);
        }
        var now = w.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        long notified;
        await using (var q = new NpgsqlCommand("SELECT COUNT(*) FROM \"Tasks\" WHERE \"Status\"='Notified'", c))
            notified = (long)(await q.ExecuteScalarAsync())!;
        long inProgress = 0, succeeded = 0;

        var sw = Stopwatch.StartNew();
        var tasks = new Dictionary<long, (long Id, string Status)>();
        for (var i = 0; i < events.Count; i += DeviceEventPump.MaxPerStep)
        {
            var step = events.GetRange(i, Math.Min(DeviceEventPump.MaxPerStep, events.Count - i));
            await using var tx = await c.BeginTransactionAsync();
            tasks.Clear();
            await using (var find = new NpgsqlCommand(
                             "SELECT \"Id\",\"DeviceId\",\"Status\" FROM \"Tasks\" WHERE \"DeviceId\" = ANY(@ids) AND \"Status\" IN ('Confirm','Queued','Notified','InProgress')", c, tx))
            {
                find.Parameters.AddWithValue("ids", step.Select(e => deviceIds[e.Device.DeviceName]).Distinct().ToArray());
                await using var r = await find.ExecuteReaderAsync();
                while (await r.ReadAsync())
                    tasks[r.GetInt64(1)] = (r.GetInt64(0), r.GetString(2));
            }
            // Each task's last state in the step, its timeline lines, and the versions reported.
            var updated = new Dictionary<long, (string Status, int Progress)>();
            var lines = new List<(long TaskId, string Kind, string? From, string? To, string Detail)>(step.Count);
            var versions = new Dictionary<long, string>();
            foreach (var e in step)
            {
                var deviceId = deviceIds[e.Device.DeviceName];
                if (!tasks.TryGetValue(deviceId, out var task))
                    continue;
                var (to, progress, detail) = e switch
                {
                    ProgressReported p => ("InProgress", p.Step, $"progress {p.Step}"),
                    VersionReported v => ("Succeeded", 100, $"reported version {v.Version}"),
                    _ => throw new InvalidOperationException(),
                };
                updated[task.Id] = (to, progress);
                var changed = task.Status != to;
                lines.Add((task.Id, changed ? "Transition" : "Progress", changed ? task.Status : null, changed ? to : null, detail));
                if (e is VersionReported vr)
                    versions[deviceId] = vr.Version;
                if (changed)
                {
                    if (task.Status == "Notified") { notified--; inProgress++; }
                    if (to == "Succeeded") { inProgress--; succeeded++; }
                    tasks[deviceId] = task with { Status = to };
                }
            }
            await using (var update = new NpgsqlCommand(
                             "UPDATE \"Tasks\" AS t SET \"SrcVersion\"='1.0.0',\"Status\"=u.s,\"QueueReason\"='None',\"Progress\"=u.p,\"FailureCode\"=NULL,\"FailureReason\"=NULL," +
                             "\"RetryAttempts\"=0,\"RetryDueAt\"=NULL,\"TimeoutAt\"=NULL,\"PushedAt\"=@now,\"FirstProgressAt\"=@now," +
                             "\"EndedAt\"=CASE WHEN u.s='Succeeded' THEN @now END,\"ModifiedAt\"=@now FROM unnest(@id,@s,@p) AS u(id,s,p) WHERE t.\"Id\" = u.id", c, tx))
            {
                update.Parameters.AddWithValue("id", updated.Keys.ToArray());
                update.Parameters.AddWithValue("s", updated.Values.Select(v => v.Status).ToArray());
                update.Parameters.AddWithValue("p", updated.Values.Select(v => v.Progress).ToArray());
                update.Parameters.AddWithValue("now", now);
                await update.ExecuteNonQueryAsync();
            }
            await using (var copy = await c.BeginBinaryImportAsync("COPY \"TaskEvents\" (\"TaskId\",\"At\",\"Kind\",\"FromStatus\",\"ToStatus\",\"Detail\") FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var (taskId, kind, from, to, detail) in lines)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(taskId, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(now, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(kind, NpgsqlDbType.Text);
                    await NullableAsync(copy, from);
                    await NullableAsync(copy, to);
                    await copy.WriteAsync(detail, NpgsqlDbType.Text);
                }
                await copy.CompleteAsync();
            }
            if (versions.Count > 0)
            {
                await using var upsert = new NpgsqlCommand(
                    "INSERT INTO \"DeviceVersions\" (\"DeviceId\",\"ModuleName\",\"Version\",\"ReportedAt\") SELECT u.d,'default',u.v,@now FROM unnest(@d,@v) AS u(d,v) " +
                    "ON CONFLICT (\"DeviceId\",\"ModuleName\") DO UPDATE SET \"Version\"=excluded.\"Version\",\"ReportedAt\"=excluded.\"ReportedAt\"", c, tx);
                upsert.Parameters.AddWithValue("d", versions.Keys.ToArray());
                upsert.Parameters.AddWithValue("v", versions.Values.ToArray());
                upsert.Parameters.AddWithValue("now", now);
                await upsert.ExecuteNonQueryAsync();
            }
            await using (var counts = new NpgsqlCommand(
                             "UPDATE \"Batches\" SET \"Counts_Notified\"=@n,\"Counts_InProgress\"=@i,\"Counts_Succeeded\"=@s,\"ModifiedAt\"=@now WHERE \"Id\"=@b", c, tx))
            {
                counts.Parameters.AddWithValue("n", (int)notified);
                counts.Parameters.AddWithValue("i", (int)inProgress);
                counts.Parameters.AddWithValue("s", (int)succeeded);
                counts.Parameters.AddWithValue("now", now);
                counts.Parameters.AddWithValue("b", batchId);
                await counts.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }
        var seconds = sw.Elapsed.TotalSeconds;
        if (succeeded != deviceIds.Count)
            throw new InvalidOperationException($"the reference finished {succeeded} tasks");
        return seconds;
    }

    private static Task NullableAsync(NpgsqlBinaryImporter copy, string? value) =>
        value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, NpgsqlDbType.Text);
}
