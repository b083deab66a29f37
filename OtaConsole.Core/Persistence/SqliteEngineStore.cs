using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Persistence;

/// <summary>SQLite: statements prepared once per step and bound by position (<see cref="NativeStatement"/>), id lists walked with json_each.</summary>
internal sealed class SqliteEngineStore(OtaDbContext db) : EngineStore(db)
{
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

    private const string InsertOutboxSql =
        "INSERT INTO \"OutboxEvents\" (\"Type\",\"Subject\",\"ProductKey\",\"IsDeviceEvent\",\"Time\",\"Data\") VALUES (?1,?2,?3,?4,?5,?6)";

    private const string UpsertVersionSql =
        "INSERT INTO \"DeviceVersions\" (\"DeviceId\",\"ModuleName\",\"Version\",\"ReportedAt\") VALUES (?1,?2,?3,?4) " +
        "ON CONFLICT (\"DeviceId\",\"ModuleName\") DO UPDATE SET \"Version\"=excluded.\"Version\",\"ReportedAt\"=excluded.\"ReportedAt\"";

    private const string PresenceSql = "UPDATE \"Devices\" SET \"IsOnline\"=?1,\"LastSeenAt\"=?2,\"PresenceAt\"=COALESCE(?4,\"PresenceAt\") WHERE \"Id\"=?3";

    public override async Task<List<UpdateTask>> UnfinishedOfDevicesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        if (deviceIds.Count == 0)
            return [];
        // CROSS JOIN makes SQLite walk the id list and probe the (DeviceId, Status) index for each.
        var sql = "SELECT " + Prefixed("t", TaskColumns) + " FROM json_each(@ids) j CROSS JOIN \"Tasks\" t ON t.\"DeviceId\" = j.value WHERE t.\"Status\" IN " + UnfinishedSql;
        await using var cmd = await CommandAsync(sql, ct, ("@ids", JsonSerializer.Serialize(deviceIds)));
        return await ReadTasksAsync(cmd, ct);
    }

    public override async Task<Dictionary<long, DevicePresence>> DeviceStatesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        if (deviceIds.Count == 0)
            return [];
        await using var cmd = await CommandAsync("SELECT d.\"Id\",d.\"IsOnline\",d.\"GroupId\",d.\"PresenceAt\",d.\"LastSeenAt\" FROM json_each(@ids) j CROSS JOIN \"Devices\" d ON d.\"Id\" = j.value",
            ct, ("@ids", JsonSerializer.Serialize(deviceIds)));
        return await ReadStatesAsync(cmd, deviceIds.Count, ct);
    }

    public override async Task<List<(long Id, string Name, bool Online, string? Version)>> TargetRowsAsync(
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
        return await ReadTargetsAsync(cmd, ct);
    }

    /// <summary>Ids from MAX(Id): only the one writer inserts tasks into a SQLite file.</summary>
    public override async Task InsertTasksAsync(IReadOnlyList<UpdateTask> tasks, CancellationToken ct)
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

    public override Task InsertUnknownDevicesAsync(IReadOnlyList<BatchUnknownDevice> names, CancellationToken ct)
    {
        if (names.Count == 0)
            return Task.CompletedTask;
        using var cmd = Native("INSERT INTO \"BatchUnknownDevices\" (\"BatchId\", \"DeviceName\") VALUES (?1, ?2)");
        foreach (var n in names)
        {
            cmd.Bind(1, n.BatchId);
            cmd.Bind(2, n.DeviceName);
            cmd.Execute();
        }
        return Task.CompletedTask;
    }

    public override Task UpdateTasksAsync(IReadOnlyCollection<UpdateTask> tasks, CancellationToken ct)
    {
        if (tasks.Count == 0)
            return Task.CompletedTask;
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
        return Task.CompletedTask;
    }

    public override Task InsertEventsAsync(IReadOnlyList<TaskEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
            return Task.CompletedTask;
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
        return Task.CompletedTask;
    }

    public override Task InsertOutboxAsync(IReadOnlyList<Webhooks.OutboxEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
            return Task.CompletedTask;
        using var cmd = Native(InsertOutboxSql);
        foreach (var e in events)
        {
            cmd.Bind(1, e.Type);
            cmd.Bind(2, e.Subject);
            cmd.Bind(3, e.ProductKey);
            cmd.Bind(4, e.IsDeviceEvent);
            cmd.Bind(5, e.Time);
            cmd.Bind(6, e.Data);
            cmd.Execute();
        }
        return Task.CompletedTask;
    }

    public override Task UpsertVersionsAsync(IReadOnlyCollection<(long DeviceId, string Module, string Version)> versions, DateTimeOffset at, CancellationToken ct)
    {
        if (versions.Count == 0)
            return Task.CompletedTask;
        using var cmd = Native(UpsertVersionSql);
        foreach (var (deviceId, module, version) in versions)
        {
            cmd.Bind(1, deviceId);
            cmd.Bind(2, module);
            cmd.Bind(3, version);
            cmd.Bind(4, at);
            cmd.Execute();
        }
        return Task.CompletedTask;
    }

    public override Task SetPresenceAsync(IReadOnlyCollection<(long DeviceId, bool Online, DateTimeOffset? Stamp)> presence, DateTimeOffset at, CancellationToken ct)
    {
        if (presence.Count == 0)
            return Task.CompletedTask;
        using var cmd = Native(PresenceSql);
        foreach (var (deviceId, online, stamp) in presence)
        {
            cmd.Bind(1, online);
            cmd.Bind(2, at);
            cmd.Bind(3, deviceId);
            cmd.Bind(4, stamp);
            cmd.Execute();
        }
        return Task.CompletedTask;
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

    private NativeStatement Native(string sql) => new((SqliteConnection)Db.Database.GetDbConnection(), sql);
}
