using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Bench;

/// <summary>The console's read side: the query behind a page of a 100,000-task Device List, and its counters.</summary>
internal static class ConsoleScenarios
{
    private const int Tasks = 100_000;
    private const int PageSize = 100;

    private sealed record Case(string Name, DeviceListQuery Query, string Sql, object[] Args);

    public static async Task<object> DeviceListAsync(int runs)
    {
        using var w = await BenchWorld.CreateAsync();
        await w.SeedDevicesAsync(Tasks, "1.0.0");
        var package = await w.PackageAsync("2.0.0");
        var batchId = (await w.Engine.CreateBatchAsync(new CreateBatchRequest { PackageId = package.Id })).BatchId;
        await MixStatesAsync(w, batchId);

        var queries = new BatchQueries(w);
        const string columns = "\"Id\",\"DeviceName\",\"ModuleName\",\"Status\",\"QueueReason\",\"Progress\",\"SrcVersion\",\"DestVersion\",\"FailureCode\",\"FailureReason\",\"RetryAttempts\",\"RetryDueAt\",\"CreatedAt\",\"ModifiedAt\"";
        var cases = new List<Case>
        {
            new("first page", new DeviceListQuery(batchId) { PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=@b ORDER BY \"DeviceName\", \"Id\" LIMIT 100", []),
            new("status filter", new DeviceListQuery(batchId) { Status = OtaTaskStatus.InProgress, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=@b AND \"Status\"='InProgress' ORDER BY \"DeviceName\", \"Id\" LIMIT 100", []),
            new("name search", new DeviceListQuery(batchId) { Search = "4242", PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=@b AND \"DeviceName\" LIKE '%4242%' ORDER BY \"DeviceName\", \"Id\" LIMIT 100; SELECT COUNT(*) FROM \"Tasks\" WHERE \"BatchId\"=@b AND \"DeviceName\" LIKE '%4242%'", []),
            new("sort by last update", new DeviceListQuery(batchId) { Sort = TaskSort.LastUpdate, Direction = SortDirection.Descending, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=@b ORDER BY \"ModifiedAt\" DESC, \"Id\" DESC LIMIT 100", []),
            new("page 500 of 1,000", new DeviceListQuery(batchId) { Page = 499, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=@b ORDER BY \"DeviceName\", \"Id\" LIMIT 100 OFFSET 49900", []),
            new("failed, by name, page 50", new DeviceListQuery(batchId) { Status = OtaTaskStatus.Failed, Sort = TaskSort.DeviceName, Page = 49, PageSize = PageSize },
                $"SELECT {columns} FROM \"Tasks\" WHERE \"BatchId\"=@b AND \"Status\"='Failed' ORDER BY \"DeviceName\", \"Id\" LIMIT 100 OFFSET 4900", []),
        };

        var iterations = 20 * Math.Max(1, runs);
        var console = new Dictionary<string, List<double>>();
        var raw = new Dictionary<string, List<double>>();
        await using var conn = new SqliteConnection(OtaDatabase.ConnectionString(w.Path));
        await conn.OpenAsync();
        foreach (var c in cases)
        {
            console[c.Name] = [];
            raw[c.Name] = [];
            for (var i = 0; i < iterations + 2; i++)
            {
                var sw = Stopwatch.StartNew();
                var page = await queries.DeviceListAsync(c.Query);
                var consoleMs = sw.Elapsed.TotalMilliseconds;
                if (page.Items.Count == 0)
                    throw new InvalidOperationException($"{c.Name} found nothing");
                sw.Restart();
                await RawAsync(conn, c.Sql, batchId);
                var rawMs = sw.Elapsed.TotalMilliseconds;
                if (i >= 2) // the first two warm caches and compile queries
                {
                    console[c.Name].Add(consoleMs);
                    raw[c.Name].Add(rawMs);
                }
            }
        }
        // The status counters: the batch's own columns.
        var counters = new List<double>();
        var rawCounters = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            var batch = await queries.FindAsync(batchId);
            counters.Add(sw.Elapsed.TotalMilliseconds);
            if (batch!.Counts.Total != Tasks)
                throw new InvalidOperationException("counters do not add up");
            sw.Restart();
            await RawAsync(conn, "SELECT \"Status\", COUNT(*) FROM \"Tasks\" WHERE \"BatchId\"=@b GROUP BY \"Status\"", batchId);
            rawCounters.Add(sw.Elapsed.TotalMilliseconds);
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
            per_query_p95_ms = console.ToDictionary(kv => kv.Key, kv => new { console = Math.Round(P95(kv.Value), 2), raw_sql = Math.Round(P95(raw[kv.Key]), 2) }),
            target = "p95_ms <= 50 and ratio <= 5",
        };
    }

    private static async Task RawAsync(SqliteConnection conn, string sql, string batchId)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("@b", batchId);
        await using var r = await cmd.ExecuteReaderAsync();
        do
        {
            while (await r.ReadAsync())
            {
                for (var i = 0; i < r.FieldCount; i++)
                    _ = r.GetValue(i);
            }
        }
        while (await r.NextResultAsync());
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
