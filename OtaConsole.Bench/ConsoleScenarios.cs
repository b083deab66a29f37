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
        using var w = await BenchWorld.CreateAsync();
        await w.SeedDevicesAsync(Tasks, "1.0.0");
        var package = await w.PackageAsync("2.0.0");
        var batchId = (await w.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await MixStatesAsync(w, batchId);

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
        await using var conn = await w.OpenRawAsync();
        foreach (var c in cases)
        {
            console[c.Name] = [];
            raw[c.Name] = [];
            await using var cmd = Prepared(conn, c.Sql, batchId);
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
        await using (var cmd = Prepared(conn, "SELECT * FROM \"Batches\" WHERE \"Id\"=$b", batchId))
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
            reference = "each page as hand-written SQL prepared once on one open connection with the console's pragmas, reading the same 14 columns, " +
                        "and counting by the console's rule: the batch row's counters without a search, nothing for a short first page of a search; " +
                        "the status counters read the batch row, as the console does. The console opens a pooled connection and a DbContext per query",
            target = "p95_ms <= 50 and ratio <= 5",
        };
    }

    private static SqliteCommand Prepared(SqliteConnection conn, string sql, string batchId)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$b", batchId);
        cmd.Prepare();
        return cmd;
    }

    private static async Task<int> ReadAllAsync(SqliteCommand cmd)
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
        await using var c = new SqliteConnection(OtaDatabase.ConnectionString(w.Path));
        await c.OpenAsync();
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync();
        var start = w.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var cmd = BenchWorld.Command(c, tx, "UPDATE \"Tasks\" SET \"Status\"=@s,\"QueueReason\"=@q,\"Progress\"=@p,\"FailureCode\"=@fc,\"ModifiedAt\"=@m WHERE \"Id\"=@id", "@s", "@q", "@p", "@fc", "@m", "@id");
        var random = new Random(11);
        var ids = new List<long>();
        await using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT \"Id\" FROM \"Tasks\"";
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                ids.Add(r.GetInt64(0));
        }
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
            cmd.Parameters[0].Value = status;
            cmd.Parameters[1].Value = reason;
            cmd.Parameters[2].Value = progress;
            cmd.Parameters[3].Value = (object?)code ?? DBNull.Value;
            cmd.Parameters[4].Value = start + random.Next(0, 3_600_000);
            cmd.Parameters[5].Value = id;
            await cmd.ExecuteNonQueryAsync();
        }
        var counts = new TaskCounts();
        await using (var q = c.CreateCommand())
        {
            q.Transaction = tx;
            q.CommandText = "SELECT \"Status\", COUNT(*) FROM \"Tasks\" GROUP BY \"Status\"";
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
                counts[Enum.Parse<OtaTaskStatus>(r.GetString(0))] = r.GetInt32(1);
        }
        await using (var u = c.CreateCommand())
        {
            u.Transaction = tx;
            u.CommandText = "UPDATE \"Batches\" SET \"Counts_Confirm\"=@c,\"Counts_Queued\"=@q,\"Counts_Notified\"=@n,\"Counts_InProgress\"=@i,\"Counts_Succeeded\"=@s,\"Counts_Failed\"=@f,\"Counts_Canceled\"=@x WHERE \"Id\"=@b";
            u.Parameters.AddWithValue("@c", counts.Confirm);
            u.Parameters.AddWithValue("@q", counts.Queued);
            u.Parameters.AddWithValue("@n", counts.Notified);
            u.Parameters.AddWithValue("@i", counts.InProgress);
            u.Parameters.AddWithValue("@s", counts.Succeeded);
            u.Parameters.AddWithValue("@f", counts.Failed);
            u.Parameters.AddWithValue("@x", counts.Canceled);
            u.Parameters.AddWithValue("@b", batchId);
            await u.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
    }

    internal static double P95(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s[(int)Math.Ceiling(s.Count * 0.95) - 1];
    }
}
