using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Persistence;

/// <summary>
/// The engine's hot reads and writes as hand-written statements inside the writer's transaction: a step's
/// devices and their unfinished tasks, the devices a new batch reaches, task inserts and updates, timeline
/// lines, presence and versions. EF Core costs about ten times more per row on these paths (materialising an
/// entity, translating a 2,000-element Contains, binding parameters by name), and a rollout moves hundreds of
/// thousands of rows. Column names follow the EF model; a round-trip test keeps the two in line.
/// </summary>
internal sealed class EngineStore(OtaDbContext db)
{
    private const string TaskColumns =
        "\"Id\",\"BatchId\",\"PackageId\",\"DeviceId\",\"ProductKey\",\"DeviceName\",\"ModuleName\",\"SrcVersion\",\"DestVersion\"," +
        "\"Status\",\"QueueReason\",\"Progress\",\"FailureCode\",\"FailureReason\",\"RetryAttempts\"," +
        "\"TimeoutMinutes\",\"RetryIntervalMinutes\",\"RetryCount\",\"RetryDueAt\",\"TimeoutAt\"," +
        "\"CreatedAt\",\"PushedAt\",\"FirstProgressAt\",\"EndedAt\",\"ModifiedAt\"," +
        "\"NoticeDueAt\",\"LastResentAt\",\"Renotices\",\"ReconnectsSinceNotice\",\"UndeliveredNotices\",\"RedeliveryDue\",\"Wave\"";

    private const string InsertTaskSql =
        "INSERT INTO \"Tasks\" (" + TaskColumns + ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,?32)";

    // Only the fields the state machine changes.
    private const string UpdateTaskSql =
        "UPDATE \"Tasks\" SET \"SrcVersion\"=?1,\"Status\"=?2,\"QueueReason\"=?3,\"Progress\"=?4,\"FailureCode\"=?5," +
        "\"FailureReason\"=?6,\"RetryAttempts\"=?7,\"RetryDueAt\"=?8,\"TimeoutAt\"=?9,\"PushedAt\"=?10," +
        "\"FirstProgressAt\"=?11,\"EndedAt\"=?12,\"ModifiedAt\"=?13,\"NoticeDueAt\"=?14,\"LastResentAt\"=?15," +
        "\"Renotices\"=?16,\"ReconnectsSinceNotice\"=?17,\"UndeliveredNotices\"=?18,\"RedeliveryDue\"=?19 WHERE \"Id\"=?20";

    private const string InsertEventSql =
        "INSERT INTO \"TaskEvents\" (\"TaskId\",\"At\",\"Kind\",\"FromStatus\",\"ToStatus\",\"Detail\") VALUES (?1,?2,?3,?4,?5,?6)";

    private const string UpsertVersionSql =
        "INSERT INTO \"DeviceVersions\" (\"DeviceId\",\"ModuleName\",\"Version\",\"ReportedAt\") VALUES (?1,?2,?3,?4) " +
        "ON CONFLICT (\"DeviceId\",\"ModuleName\") DO UPDATE SET \"Version\"=excluded.\"Version\",\"ReportedAt\"=excluded.\"ReportedAt\"";

    private const string PresenceSql = "UPDATE \"Devices\" SET \"IsOnline\"=?1,\"LastSeenAt\"=?2 WHERE \"Id\"=?3";

    private const string UnfinishedSql = "('Confirm','Queued','Notified','InProgress')";

    /// <summary>The unfinished tasks of the given devices: one indexed probe per device.</summary>
    public async Task<List<UpdateTask>> UnfinishedOfDevicesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        if (deviceIds.Count == 0)
            return [];
        // CROSS JOIN makes SQLite walk the id list and probe the (DeviceId, Status) index for each.
        var sql = "SELECT " + Prefixed("t", TaskColumns) + " FROM json_each(@ids) j CROSS JOIN \"Tasks\" t ON t.\"DeviceId\" = j.value WHERE t.\"Status\" IN " + UnfinishedSql;
        await using var cmd = await CommandAsync(sql, ct, ("@ids", JsonSerializer.Serialize(deviceIds)));
        var list = new List<UpdateTask>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(ReadTask(r));
        return list;
    }

    /// <summary>Online flag and group of the given devices.</summary>
    public async Task<Dictionary<long, (bool Online, string? GroupId)>> DeviceStatesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        var result = new Dictionary<long, (bool, string?)>(deviceIds.Count);
        if (deviceIds.Count == 0)
            return result;
        await using var cmd = await CommandAsync("SELECT d.\"Id\",d.\"IsOnline\",d.\"GroupId\" FROM json_each(@ids) j CROSS JOIN \"Devices\" d ON d.\"Id\" = j.value",
            ct, ("@ids", JsonSerializer.Serialize(deviceIds)));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            result[r.GetInt64(0)] = (r.GetBoolean(1), Str(r, 2));
        return result;
    }

    /// <summary>
    /// The devices a batch scope reaches, with their version of <paramref name="module"/>: all devices of the
    /// product, or only those named, or only those in the given groups.
    /// </summary>
    public async Task<List<(long Id, string Name, bool Online, string? Version)>> TargetRowsAsync(
        string productKey, string module, IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? groups, CancellationToken ct)
    {
        var sql = new System.Text.StringBuilder("SELECT d.\"Id\",d.\"DeviceName\",d.\"IsOnline\",v.\"Version\" FROM ");
        var parameters = new List<(string, object)> { ("@pk", productKey), ("@m", module) };
        if (names is not null)
        {
            sql.Append("json_each(@names) n CROSS JOIN \"Devices\" d ON d.\"ProductKey\" = @pk AND d.\"DeviceName\" = n.value ");
            parameters.Add(("@names", JsonSerializer.Serialize(names)));
        }
        else
        {
            sql.Append("\"Devices\" d ");
        }
        sql.Append("LEFT JOIN \"DeviceVersions\" v ON v.\"DeviceId\" = d.\"Id\" AND v.\"ModuleName\" = @m WHERE d.\"ProductKey\" = @pk");
        if (groups is not null)
        {
            sql.Append(" AND d.\"GroupId\" IN (SELECT value FROM json_each(@groups))");
            parameters.Add(("@groups", JsonSerializer.Serialize(groups)));
        }
        await using var cmd = await CommandAsync(sql.ToString(), ct, [.. parameters]);
        var rows = new List<(long, string, bool, string?)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add((r.GetInt64(0), r.GetString(1), r.GetBoolean(2), Str(r, 3)));
        return rows;
    }

    /// <summary>
    /// Inserts new tasks, giving each its id: only the single writer inserts tasks, so ids are handed out here
    /// and the insert needs no result to read back.
    /// </summary>
    public async Task InsertTasksAsync(IReadOnlyList<UpdateTask> tasks, CancellationToken ct)
    {
        if (tasks.Count == 0)
            return;
        await using (var max = await CommandAsync("SELECT COALESCE(MAX(\"Id\"),0) FROM \"Tasks\"", ct))
        {
            var next = Convert.ToInt64(await max.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            foreach (var t in tasks)
                t.Id = ++next;
        }
        using var cmd = Native(InsertTaskSql);
        foreach (var t in tasks)
        {
            ct.ThrowIfCancellationRequested();
            cmd.Bind(1, t.Id);
            cmd.Bind(2, t.BatchId);
            cmd.Bind(3, t.PackageId);
            cmd.Bind(4, t.DeviceId);
            cmd.Bind(5, t.ProductKey);
            cmd.Bind(6, t.DeviceName);
            cmd.Bind(7, t.ModuleName);
            cmd.Bind(8, t.SrcVersion);
            cmd.Bind(9, t.DestVersion);
            BindState(cmd, 10, t);
            cmd.Bind(16, t.TimeoutMinutes);
            cmd.Bind(17, t.RetryIntervalMinutes);
            cmd.Bind(18, t.RetryCount);
            cmd.Bind(19, t.RetryDueAt);
            cmd.Bind(20, t.TimeoutAt);
            cmd.Bind(21, t.CreatedAt);
            cmd.Bind(22, t.PushedAt);
            cmd.Bind(23, t.FirstProgressAt);
            cmd.Bind(24, t.EndedAt);
            cmd.Bind(25, t.ModifiedAt);
            BindNotice(cmd, 26, t);
            cmd.Bind(32, t.Wave);
            cmd.Execute();
        }
    }

    public void InsertUnknownDevices(IReadOnlyList<BatchUnknownDevice> names)
    {
        if (names.Count == 0)
            return;
        using var cmd = Native("INSERT INTO \"BatchUnknownDevices\" (\"BatchId\", \"DeviceName\") VALUES (?1, ?2)");
        foreach (var n in names)
        {
            cmd.Bind(1, n.BatchId);
            cmd.Bind(2, n.DeviceName);
            cmd.Execute();
        }
    }

    public void UpdateTasks(IReadOnlyCollection<UpdateTask> tasks)
    {
        if (tasks.Count == 0)
            return;
        using var cmd = Native(UpdateTaskSql);
        foreach (var t in tasks)
        {
            cmd.Bind(1, t.SrcVersion);
            BindState(cmd, 2, t);
            cmd.Bind(8, t.RetryDueAt);
            cmd.Bind(9, t.TimeoutAt);
            cmd.Bind(10, t.PushedAt);
            cmd.Bind(11, t.FirstProgressAt);
            cmd.Bind(12, t.EndedAt);
            cmd.Bind(13, t.ModifiedAt);
            BindNotice(cmd, 14, t);
            cmd.Bind(20, t.Id);
            cmd.Execute();
        }
    }

    public void InsertEvents(IReadOnlyList<TaskEvent> events)
    {
        if (events.Count == 0)
            return;
        using var cmd = Native(InsertEventSql);
        foreach (var e in events)
        {
            cmd.Bind(1, e.TaskId);
            cmd.Bind(2, e.At);
            cmd.Bind(3, e.Kind.ToString());
            cmd.Bind(4, e.FromStatus?.ToString());
            cmd.Bind(5, e.ToStatus?.ToString());
            cmd.Bind(6, e.Detail);
            cmd.Execute();
        }
    }

    public void UpsertVersions(IReadOnlyCollection<(long DeviceId, string Module, string Version)> versions, DateTimeOffset at)
    {
        if (versions.Count == 0)
            return;
        using var cmd = Native(UpsertVersionSql);
        foreach (var (deviceId, module, version) in versions)
        {
            cmd.Bind(1, deviceId);
            cmd.Bind(2, module);
            cmd.Bind(3, version);
            cmd.Bind(4, at);
            cmd.Execute();
        }
    }

    public void SetPresence(IReadOnlyCollection<(long DeviceId, bool Online)> presence, DateTimeOffset at)
    {
        if (presence.Count == 0)
            return;
        using var cmd = Native(PresenceSql);
        foreach (var (deviceId, online) in presence)
        {
            cmd.Bind(1, online);
            cmd.Bind(2, at);
            cmd.Bind(3, deviceId);
            cmd.Execute();
        }
    }

    private static void BindState(NativeStatement cmd, int i, UpdateTask t)
    {
        cmd.Bind(i, t.Status.ToString());
        cmd.Bind(i + 1, t.QueueReason.ToString());
        cmd.Bind(i + 2, t.Progress);
        cmd.Bind(i + 3, t.FailureCode);
        cmd.Bind(i + 4, t.FailureReason);
        cmd.Bind(i + 5, t.RetryAttempts);
    }

    private static void BindNotice(NativeStatement cmd, int i, UpdateTask t)
    {
        cmd.Bind(i, t.NoticeDueAt);
        cmd.Bind(i + 1, t.LastResentAt);
        cmd.Bind(i + 2, t.Renotices);
        cmd.Bind(i + 3, t.ReconnectsSinceNotice);
        cmd.Bind(i + 4, t.UndeliveredNotices);
        cmd.Bind(i + 5, t.RedeliveryDue);
    }

    private static UpdateTask ReadTask(DbDataReader r) => new()
    {
        Id = r.GetInt64(0),
        BatchId = r.GetString(1),
        PackageId = r.GetString(2),
        DeviceId = r.GetInt64(3),
        ProductKey = r.GetString(4),
        DeviceName = r.GetString(5),
        ModuleName = r.GetString(6),
        SrcVersion = Str(r, 7),
        DestVersion = r.GetString(8),
        Status = Enum.Parse<OtaTaskStatus>(r.GetString(9)),
        QueueReason = Enum.Parse<QueueReason>(r.GetString(10)),
        Progress = r.GetInt32(11),
        FailureCode = Str(r, 12),
        FailureReason = Str(r, 13),
        RetryAttempts = r.GetInt32(14),
        TimeoutMinutes = Int(r, 15),
        RetryIntervalMinutes = Int(r, 16),
        RetryCount = Int(r, 17),
        RetryDueAt = Time(r, 18),
        TimeoutAt = Time(r, 19),
        CreatedAt = Time(r, 20)!.Value,
        PushedAt = Time(r, 21),
        FirstProgressAt = Time(r, 22),
        EndedAt = Time(r, 23),
        ModifiedAt = Time(r, 24)!.Value,
        NoticeDueAt = Time(r, 25),
        LastResentAt = Time(r, 26),
        Renotices = r.GetInt32(27),
        ReconnectsSinceNotice = r.GetInt32(28),
        UndeliveredNotices = r.GetInt32(29),
        RedeliveryDue = r.GetBoolean(30),
        Wave = r.GetInt32(31),
    };

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static int? Int(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
    private static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static string Prefixed(string alias, string columns) =>
        string.Join(",", columns.Split(',').Select(c => $"{alias}.{c}"));

    /// <summary>An ADO command on the context's connection, opened if need be (the preview reads outside the writer's transaction).</summary>
    private async Task<DbCommand> CommandAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(ct);
        var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private NativeStatement Native(string sql) => new((SqliteConnection)db.Database.GetDbConnection(), sql);
}
