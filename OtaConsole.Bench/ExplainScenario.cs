using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Queries;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;

namespace OtaConsole.Bench;

/// <summary>
/// <c>explain</c> (PostgreSQL): the hot queries' plans on a 100,000-task batch. The SQL is what the console
/// itself sends, caught as EF Core runs it (Device List pages, the batch's counters, scheduler ticks, a step of
/// device reports), plus the engine's own hand-written probes; each is run again under
/// EXPLAIN (ANALYZE, BUFFERS) with its own parameters, inside a transaction that is rolled back.
/// </summary>
internal static class ExplainScenario
{
    private const int Tasks = 100_000;

    public static async Task<object> ExplainAsync(int runs)
    {
        BenchArgs.Db = BenchDb.Postgres;
        var capture = new CommandCapture();
        using var w = await BenchWorld.CreateAsync(db: BenchDb.Postgres, interceptor: capture);
        await w.SeedDevicesAsync(Tasks, "1.0.0");
        var package = await w.PackageAsync("2.0.0");
        var batchId = (await w.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id, PushRate = PushRate.Constant(PushRate.Max) })).BatchId;
        await ConsoleScenarios.MixStatesAsync(w, batchId);

        var queries = new BatchQueries(w);
        capture.Enabled = true;
        await queries.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { PageSize = 100 });
        await queries.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Status = OtaTaskStatus.InProgress, PageSize = 100 });
        await queries.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Search = "4242", PageSize = 100 });
        await queries.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Sort = TaskSort.LastUpdate, Direction = SortDirection.Descending, PageSize = 100 });
        await queries.DeviceListAsync(Actor.System, new DeviceListQuery(batchId) { Page = 499, PageSize = 100 });
        await queries.FindAsync(Actor.System, batchId);
        for (var i = 0; i < 8; i++)
        {
            w.Time.Advance(RolloutScheduler.Interval);
            await w.Engine.TickAsync();
        }
        var reports = Enumerable.Range(0, DeviceEventPump.MaxPerStep)
            .Select(i => (DeviceEvent)new ProgressReported(new DeviceKey(BenchWorld.ProductKey, BenchWorld.DeviceName(i * 37 % Tasks)), null, 50, null)).ToList();
        await w.Engine.ApplyDeviceEventsAsync(reports);
        capture.Enabled = false;

        await using var c = await w.OpenPostgresAsync();
        var ids = Enumerable.Range(0, DeviceEventPump.MaxPerStep).Select(i => (long)(i * 37 % Tasks + 1)).ToArray();
        var statements = capture.Commands.Where(x => x.Sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || x.Sql.Contains("UPDATE", StringComparison.Ordinal))
            .GroupBy(x => x.Sql).Select(g => g.First()).ToList();
        // The engine's own probes (PostgresEngineStore), with a step's worth of device ids.
        statements.Add(new("SELECT * FROM \"Tasks\" WHERE \"DeviceId\" = ANY(@ids) AND \"Status\" IN ('Confirm','Queued','Notified','InProgress')", [new NpgsqlParameter("ids", ids)]));
        statements.Add(new("SELECT \"Id\",\"IsOnline\",\"GroupId\",\"PresenceAt\" FROM \"Devices\" WHERE \"Id\" = ANY(@ids)", [new NpgsqlParameter("ids", ids)]));
        // The same probe as PostgreSQL's default planner costs see it (random_page_cost 4, for spinning disks).
        statements.Add(new("SET LOCAL random_page_cost = 4; EXPLAIN (ANALYZE) SELECT * FROM \"Tasks\" WHERE \"DeviceId\" = ANY(@ids) AND \"Status\" IN ('Confirm','Queued','Notified','InProgress')", [new NpgsqlParameter("ids", ids)]));

        var plans = new List<object>();
        var seqScans = 0;
        foreach (var (sql, parameters) in statements)
        {
            await using var tx = await c.BeginTransactionAsync();
            await using var cmd = new NpgsqlCommand(sql.StartsWith("SET LOCAL", StringComparison.Ordinal) ? sql : "EXPLAIN (ANALYZE, BUFFERS) " + sql, c, tx);
            foreach (var p in parameters)
                cmd.Parameters.Add(p.Clone());
            var lines = new List<string>();
            try
            {
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync())
                    lines.Add(r.GetString(0));
            }
            catch (PostgresException e)
            {
                lines.Add("not explained: " + e.MessageText);
            }
            await tx.RollbackAsync();
            var time = lines.LastOrDefault(l => l.StartsWith("Execution Time", StringComparison.Ordinal));
            var seqScan = lines.Any(l => l.Contains("Seq Scan on \"Tasks\"", StringComparison.Ordinal));
            seqScans += seqScan ? 1 : 0;
            plans.Add(new
            {
                sql = sql.Length > 400 ? sql[..400] + "…" : sql,
                execution = time,
                seq_scan_on_tasks = seqScan,
                plan = lines.Where(l => !l.TrimStart().StartsWith("Buffers", StringComparison.Ordinal)).Take(12).Select(l => l.Length > 200 ? l[..200] + "…" : l).ToList(),
            });
        }
        // What a row costs on disk, indexes and TOAST included: the scale model's per-task and per-line sizes.
        var sizes = new Dictionary<string, object>();
        foreach (var table in new[] { "Tasks", "TaskEvents", "Devices", "DeviceVersions" })
        {
            await using var size = new NpgsqlCommand($"VACUUM ANALYZE \"{table}\"", c);
            await size.ExecuteNonQueryAsync();
            size.CommandText = $"SELECT COUNT(*), pg_total_relation_size('\"{table}\"'), pg_relation_size('\"{table}\"') FROM \"{table}\"";
            await using var r = await size.ExecuteReaderAsync();
            await r.ReadAsync();
            var rows = r.GetInt64(0);
            sizes[table] = new { rows, total_bytes = r.GetInt64(1), bytes_per_row = rows == 0 ? 0 : r.GetInt64(1) / rows, heap_bytes_per_row = rows == 0 ? 0 : r.GetInt64(2) / rows };
        }
        return new
        {
            scenario = "explain",
            sizes,
            db = "Postgres",
            tasks = Tasks,
            statements = plans.Count,
            seq_scans_on_tasks = seqScans,
            plans,
        };
    }

    /// <summary>The SQL EF Core sends while enabled, with its parameters (copied, as the command is reused).</summary>
    internal sealed class CommandCapture : DbCommandInterceptor
    {
        public bool Enabled { get; set; }
        public List<(string Sql, List<NpgsqlParameter> Parameters)> Commands { get; } = [];

        private void Keep(DbCommand command)
        {
            if (!Enabled || command is not NpgsqlCommand n)
                return;
            lock (Commands)
                Commands.Add((n.CommandText, n.Parameters.Select(p => p.Clone()).ToList()));
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Keep(command);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Keep(command);
            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Keep(command);
            return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
