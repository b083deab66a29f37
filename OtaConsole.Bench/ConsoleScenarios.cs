using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;

namespace OtaConsole.Bench;

/// <summary>The console's read side: the query behind a page of a 100,000-task Device List, and its counters.</summary>
internal static class ConsoleScenarios
{
    private const int Tasks = 100_000;
    private const int PageSize = 100;

    private sealed record Case(string Name, DeviceListQuery Query, string Sql);

    // The console's count rule (BatchQueries.TotalAsync): without a search, the batch row's counters; a short first
    // page of a search is its own count. The references follow it, so both do the same work.
    private const string CountersSql = "SELECT \"Counts_Confirm\",\"Counts_Queued\",\"Counts_Notified\",\"Counts_InProgress\",\"Counts_Succeeded\",\"Counts_Failed\",\"Counts_Canceled\" FROM \"Batches\" WHERE \"Id\"=$b";

    public static async Task<object> DeviceListAsync(int runs)
    {
        using var w = await BenchWorld.CreateAsync(db: BenchArgs.Db);
        await w.SeedDevicesAsync(Tasks, "1.0.0");
        var package = await w.PackageAsync("2.0.0");
        var batchId = (await w.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await MixStatesAsync(w, batchId);
        var postgres = w.Db == BenchDb.Postgres;

        var queries = new BatchQueries(w);
        const string columns = "\"Id\",\"DeviceName\",\"ModuleName\",\"Status\",\"QueueReason\",\"Progress\",\"SrcVersion\",\"DestVersion\",\"FailureCode\",\"FailureReason\",\"RetryAttempts\",\"RetryDueAt\",\"CreatedAt\",\"ModifiedAt\"";
        var cases = new List<Case>
        {
            new("first page", new DeviceListQuery(batchId) { PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=$b ORDER BY \"DeviceName\", \"Id\" LIMIT 100; {CountersSql}"),
            new("status filter", new DeviceListQuery(batchId) { Status = OtaTaskStatus.InProgress, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=$b AND \"Status\"='InProgress' ORDER BY \"DeviceName\", \"Id\" LIMIT 100; {CountersSql}"),
            // Ten matches: a short first page, so neither side counts.
            new("name search", new DeviceListQuery(batchId) { Search = "4242", PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=$b AND \"DeviceName\" LIKE '%4242%' ESCAPE '\\' ORDER BY \"DeviceName\", \"Id\" LIMIT 100"),
            new("sort by last update", new DeviceListQuery(batchId) { Sort = TaskSort.LastUpdate, Direction = SortDirection.Descending, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=$b ORDER BY \"ModifiedAt\" DESC, \"Id\" DESC LIMIT 100; {CountersSql}"),
            new("page 500 of 1,000", new DeviceListQuery(batchId) { Page = 499, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=$b ORDER BY \"DeviceName\", \"Id\" LIMIT 100 OFFSET 49900; {CountersSql}"),
            new("failed, by name, page 50", new DeviceListQuery(batchId) { Status = OtaTaskStatus.Failed, Sort = TaskSort.DeviceName, Page = 49, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=$b AND \"Status\"='Failed' ORDER BY \"DeviceName\", \"Id\" LIMIT 100 OFFSET 4900; {CountersSql}"),
        };

        var iterations = 20 * Math.Max(1, runs);
        var console = new Dictionary<string, List<double>>();
        var raw = new Dictionary<string, List<double>>();
        await using DbConnection conn = postgres ? await w.OpenPostgresAsync() : await w.OpenRawAsync();
        foreach (var c in cases)
        {
            console[c.Name] = [];
            raw[c.Name] = [];
            // PostgreSQL's spelling: named parameters, and ILIKE, as the console searches there.
            var sql = postgres ? c.Sql.Replace("$b", "@b", StringComparison.Ordinal).Replace(" LIKE ", " ILIKE ", StringComparison.Ordinal) : c.Sql;
            await using var cmd = Prepared(conn, sql, batchId);
            for (var i = 0; i < iterations + 2; i++)
            {
                var sw = Stopwatch.StartNew();
                var page = await queries.DeviceListAsync(Actor.System, c.Query);
                var consoleMs = sw.Elapsed.TotalMilliseconds;
                if (page.Items.Count == 0)
                    throw new InvalidOperationException($"{c.Name} found nothing");
                sw.Restart();
                var rows = await ReadAllAsync(cmd);
                var rawMs = sw.Elapsed.TotalMilliseconds;
                if (rows < page.Items.Count)
                    throw new InvalidOperationException($"{c.Name}: the reference read {rows} rows");
                if (i >= 2) // the first two warm caches and compile queries
                {
                    console[c.Name].Add(consoleMs);
                    raw[c.Name].Add(rawMs);
                }
            }
        }
        // The status counters: the console reads the batch row (its own columns); so does the reference.
        var counters = new List<double>();
        var rawCounters = new List<double>();
        await using (var cmd = Prepared(conn, postgres ? "SELECT * FROM \"Batches\" WHERE \"Id\"=@b" : "SELECT * FROM \"Batches\" WHERE \"Id\"=$b", batchId))
        {
            for (var i = 0; i < iterations; i++)
            {
                var sw = Stopwatch.StartNew();
                var batch = await queries.FindAsync(Actor.System, batchId);
                counters.Add(sw.Elapsed.TotalMilliseconds);
                if (batch!.Counts.Total != Tasks)
                    throw new InvalidOperationException("counters do not add up");
                sw.Restart();
                await ReadAllAsync(cmd);
                rawCounters.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        console["status counters"] = counters;
        raw["status counters"] = rawCounters;

        var all = console.Values.SelectMany(x => x).ToList();
        var allRaw = raw.Values.SelectMany(x => x).ToList();
        return new
        {
            scenario = "device-list",
            db = w.Db.ToString(),
            tasks = Tasks,
            page_size = PageSize,
            samples = all.Count,
            p95_ms = Math.Round(P95(all), 2),
            raw_sql_p95_ms = Math.Round(P95(allRaw), 2),
            ratio = Math.Round(P95(all) / P95(allRaw), 2),
            per_query = console.ToDictionary(kv => kv.Key, kv => new
            {
                console_p50_ms = Math.Round(CoreScenarios.Median(kv.Value), 2),
                console_p95_ms = Math.Round(P95(kv.Value), 2),
                raw_sql_p50_ms = Math.Round(CoreScenarios.Median(raw[kv.Key]), 2),
                raw_sql_p95_ms = Math.Round(P95(raw[kv.Key]), 2),
                ratio_p95 = Math.Round(P95(kv.Value) / P95(raw[kv.Key]), 2),
            }),
            reference = (postgres ? "PostgreSQL (plain Npgsql, the same durable server): " : "") +
                        "each page as hand-written SQL prepared once on one open connection with the console's pragmas, reading the same 14 columns, " +
                        "and counting by the console's rule: the batch row's counters without a search, nothing for a short first page of a search; " +
                        "the status counters read the batch row, as the console does. The console opens a pooled connection and a DbContext per query",
            target = "p95_ms <= 50 and ratio <= 5",
        };
    }

    private static DbCommand Prepared(DbConnection conn, string sql, string batchId)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var b = cmd.CreateParameter();
        b.ParameterName = conn is SqliteConnection ? "$b" : "b";
        b.Value = batchId;
        cmd.Parameters.Add(b);
        cmd.Prepare();
        return cmd;
    }

    private static async Task<int> ReadAllAsync(DbCommand cmd)
    {
        var rows = 0;
        await using var r = await cmd.ExecuteReaderAsync();
        do
        {
            while (await r.ReadAsync())
            {
                rows++;
                for (var i = 0; i < r.FieldCount; i++)
                    _ = r.GetValue(i);
            }
        }
        while (await r.NextResultAsync());
        return rows;
    }

    /// <summary>Mixes the batch's tasks over the statuses a real rollout shows (setup, not measured), and recounts.</summary>
    internal static async Task MixStatesAsync(BenchWorld w, string batchId)
    {
        await using DbConnection c = w.Db == BenchDb.Postgres ? await w.OpenPostgresAsync() : new SqliteConnection(OtaDatabase.ConnectionString(w.Path));
        if (c.State != System.Data.ConnectionState.Open)
            await c.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var start = w.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var random = new Random(11);
        var ids = new List<long>();
        await using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT \"Id\" FROM \"Tasks\" ORDER BY \"Id\"";
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                ids.Add(r.GetInt64(0));
        }
        var rows = new List<(long Id, string Status, string Reason, int Progress, string? Code, long Modified)>(ids.Count);
        foreach (var id in ids)
        {
            var roll = random.Next(100);
            var (status, reason, progress, code) = roll switch
            {
                < 40 => ("Succeeded", "None", 100, (string?)null),
                < 50 => ("Failed", "None", random.Next(0, 90), "-2"),
                < 70 => ("InProgress", "None", random.Next(0, 100), null),
                < 80 => ("Notified", "None", 0, null),
                < 90 => ("Queued", "Offline", 0, null),
                _ => ("Queued", "WaitingForSlot", 0, null),
            };
            rows.Add((id, status, reason, progress, code, start + random.Next(0, 3_600_000)));
        }
        if (c is Npgsql.NpgsqlConnection pg)
        {
            await using var u = new Npgsql.NpgsqlCommand("UPDATE \"Tasks\" AS t SET \"Status\"=u.s,\"QueueReason\"=u.q,\"Progress\"=u.p,\"FailureCode\"=u.fc,\"ModifiedAt\"=u.m " +
                                                      "FROM unnest(@id,@s,@q,@p,@fc,@m) AS u(id,s,q,p,fc,m) WHERE t.\"Id\" = u.id", pg, (Npgsql.NpgsqlTransaction)tx);
            u.Parameters.AddWithValue("id", rows.Select(r => r.Id).ToArray());
            u.Parameters.AddWithValue("s", rows.Select(r => r.Status).ToArray());
            u.Parameters.AddWithValue("q", rows.Select(r => r.Reason).ToArray());
            u.Parameters.AddWithValue("p", rows.Select(r => r.Progress).ToArray());
            u.Parameters.AddWithValue("fc", rows.Select(r => r.Code).ToArray());
            u.Parameters.AddWithValue("m", rows.Select(r => r.Modified).ToArray());
            await u.ExecuteNonQueryAsync();
        }
        else
        {
            var cmd = BenchWorld.Command(c, tx, "UPDATE \"Tasks\" SET \"Status\"=@s,\"QueueReason\"=@q,\"Progress\"=@p,\"FailureCode\"=@fc,\"ModifiedAt\"=@m WHERE \"Id\"=@id", "@s", "@q", "@p", "@fc", "@m", "@id");
            foreach (var (id, status, reason, progress, code, modified) in rows)
            {
                cmd.Parameters[0].Value = status;
                cmd.Parameters[1].Value = reason;
                cmd.Parameters[2].Value = progress;
                cmd.Parameters[3].Value = (object?)code ?? DBNull.Value;
                cmd.Parameters[4].Value = modified;
                cmd.Parameters[5].Value = id;
                await cmd.ExecuteNonQueryAsync();
            }
        }
        var counts = new TaskCounts();
        await using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT \"Status\", COUNT(*) FROM \"Tasks\" GROUP BY \"Status\"";
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                counts[Enum.Parse<OtaTaskStatus>(r.GetString(0))] = Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }
        await using (var u = c.CreateCommand())
        {
            u.Transaction = tx;
            u.CommandText = "UPDATE \"Batches\" SET \"Counts_Confirm\"=@c,\"Counts_Queued\"=@q,\"Counts_Notified\"=@n,\"Counts_InProgress\"=@i,\"Counts_Succeeded\"=@s,\"Counts_Failed\"=@f,\"Counts_Canceled\"=@x WHERE \"Id\"=@b";
            foreach (var (name, value) in new (string, object)[] { ("c", counts.Confirm), ("q", counts.Queued), ("n", counts.Notified), ("i", counts.InProgress),
                         ("s", counts.Succeeded), ("f", counts.Failed), ("x", counts.Canceled), ("b", batchId) })
            {
                var p = u.CreateParameter();
                p.ParameterName = "@" + name;
                p.Value = value;
                u.Parameters.Add(p);
            }
            await u.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        if (c is Npgsql.NpgsqlConnection analyzed)
        {
            await using var a = new Npgsql.NpgsqlCommand("ANALYZE", analyzed);
            await a.ExecuteNonQueryAsync();
        }
    }

    internal static double P95(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s[(int)Math.Ceiling(s.Count * 0.95) - 1];
    }
}
