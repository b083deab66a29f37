using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Persistence.Postgres;

/// <summary>
/// PostgreSQL: new rows by binary COPY, changes as one set-based statement over arrays (<c>unnest</c>), id
/// lists as one array parameter (<c>= ANY</c>); a step costs a few round trips however many rows it moves.
/// Task ids come from the table's identity sequence, reserved in one call, so several nodes never hand out
/// the same id.
/// </summary>
internal sealed class PostgresEngineStore(OtaDbContext db) : EngineStore(db)
{
    private const string UpdateTaskSql =
        "UPDATE \"Tasks\" AS t SET \"SrcVersion\"=u.src,\"Status\"=u.status,\"QueueReason\"=u.qr,\"Progress\"=u.progress," +
        "\"FailureCode\"=u.fc,\"FailureReason\"=u.fr,\"RetryAttempts\"=u.ra,\"RetryDueAt\"=u.rda,\"TimeoutAt\"=u.ta,\"PushedAt\"=u.pa," +
        "\"FirstProgressAt\"=u.fpa,\"EndedAt\"=u.ea,\"ModifiedAt\"=u.ma,\"NoticeDueAt\"=u.nda,\"LastResentAt\"=u.lra," +
        "\"Renotices\"=u.rn,\"ReconnectsSinceNotice\"=u.rsn,\"UndeliveredNotices\"=u.un,\"RedeliveryDue\"=u.rd " +
        "FROM unnest(@id,@src,@status,@qr,@progress,@fc,@fr,@ra,@rda,@ta,@pa,@fpa,@ea,@ma,@nda,@lra,@rn,@rsn,@un,@rd) " +
        "AS u(id,src,status,qr,progress,fc,fr,ra,rda,ta,pa,fpa,ea,ma,nda,lra,rn,rsn,un,rd) WHERE t.\"Id\" = u.id";

    private NpgsqlConnection Connection => (NpgsqlConnection)Db.Database.GetDbConnection();

    public override async Task<List<UpdateTask>> UnfinishedOfDevicesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        if (deviceIds.Count == 0)
            return [];
        await using var cmd = await CommandAsync("SELECT " + TaskColumns + " FROM \"Tasks\" WHERE \"DeviceId\" = ANY(@ids) AND \"Status\" IN " + UnfinishedSql,
            ct, ("@ids", deviceIds.ToArray()));
        return await ReadTasksAsync(cmd, ct);
    }

    public override async Task<Dictionary<long, DevicePresence>> DeviceStatesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        if (deviceIds.Count == 0)
            return [];
        await using var cmd = await CommandAsync("SELECT \"Id\",\"IsOnline\",\"GroupId\",\"PresenceAt\",\"LastSeenAt\" FROM \"Devices\" WHERE \"Id\" = ANY(@ids)", ct, ("@ids", deviceIds.ToArray()));
        return await ReadStatesAsync(cmd, deviceIds.Count, ct);
    }

    public override async Task<List<(long Id, string Name, bool Online, string? Version)>> TargetRowsAsync(
        string productKey, string module, IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? groups, CancellationToken ct)
    {
        var sql = new System.Text.StringBuilder("SELECT d.\"Id\",d.\"DeviceName\",d.\"IsOnline\",v.\"Version\" FROM \"Devices\" d " +
            "LEFT JOIN \"DeviceVersions\" v ON v.\"DeviceId\" = d.\"Id\" AND v.\"ModuleName\" = @m WHERE d.\"ProductKey\" = @pk");
        var parameters = new List<(string, object)> { ("@pk", productKey), ("@m", module) };
        if (names is not null)
        {
            sql.Append(" AND d.\"DeviceName\" = ANY(@names)");
            parameters.Add(("@names", names.ToArray()));
        }
        if (groups is not null)
        {
            sql.Append(" AND d.\"GroupId\" = ANY(@groups)");
            parameters.Add(("@groups", groups.ToArray()));
        }
        await using var cmd = await CommandAsync(sql.ToString(), ct, [.. parameters]);
        return await ReadTargetsAsync(cmd, ct);
    }

    public override async Task InsertTasksAsync(IReadOnlyList<UpdateTask> tasks, CancellationToken ct)
    {
        if (tasks.Count == 0)
            return;
        await using (var ids = await CommandAsync("SELECT nextval(pg_get_serial_sequence('\"Tasks\"', 'Id')) FROM generate_series(1, @n)", ct, ("@n", tasks.Count)))
        await using (var r = await ids.ExecuteReaderAsync(ct))
        {
            var i = 0;
            while (await r.ReadAsync(ct))
                tasks[i++].Id = r.GetInt64(0);
        }

        await using var copy = await Connection.BeginBinaryImportAsync("COPY \"Tasks\" (" + TaskColumns + ") FROM STDIN (FORMAT BINARY)", ct);
        foreach (var t in tasks)
        {
            copy.StartRow();
            copy.Write(t.Id, NpgsqlDbType.Bigint);
            copy.Write(t.BatchId, NpgsqlDbType.Text);
            copy.Write(t.PackageId, NpgsqlDbType.Text);
            copy.Write(t.DeviceId, NpgsqlDbType.Bigint);
            copy.Write(t.ProductKey, NpgsqlDbType.Text);
            copy.Write(t.DeviceName, NpgsqlDbType.Text);
            copy.Write(t.ModuleName, NpgsqlDbType.Text);
            Text(copy, t.SrcVersion);
            copy.Write(t.DestVersion, NpgsqlDbType.Text);
            copy.Write(t.Status.ToString(), NpgsqlDbType.Text);
            copy.Write(t.QueueReason.ToString(), NpgsqlDbType.Text);
            copy.Write(t.Progress, NpgsqlDbType.Integer);
            Text(copy, t.FailureCode);
            Text(copy, t.FailureReason);
            copy.Write(t.RetryAttempts, NpgsqlDbType.Integer);
            Int(copy, t.TimeoutMinutes);
            Int(copy, t.RetryIntervalMinutes);
            Int(copy, t.RetryCount);
            Time(copy, t.RetryDueAt);
            Time(copy, t.TimeoutAt);
            Time(copy, t.CreatedAt);
            Time(copy, t.PushedAt);
            Time(copy, t.FirstProgressAt);
            Time(copy, t.EndedAt);
            Time(copy, t.ModifiedAt);
            Time(copy, t.NoticeDueAt);
            Time(copy, t.LastResentAt);
            copy.Write(t.Renotices, NpgsqlDbType.Integer);
            copy.Write(t.ReconnectsSinceNotice, NpgsqlDbType.Integer);
            copy.Write(t.UndeliveredNotices, NpgsqlDbType.Integer);
            copy.Write(t.RedeliveryDue, NpgsqlDbType.Boolean);
            copy.Write(t.Wave, NpgsqlDbType.Integer);
        }
        await copy.CompleteAsync(ct);
    }

    public override async Task InsertUnknownDevicesAsync(IReadOnlyList<BatchUnknownDevice> names, CancellationToken ct)
    {
        if (names.Count == 0)
            return;
        await using var copy = await Connection.BeginBinaryImportAsync("COPY \"BatchUnknownDevices\" (\"BatchId\",\"DeviceName\") FROM STDIN (FORMAT BINARY)", ct);
        foreach (var n in names)
        {
            copy.StartRow();
            copy.Write(n.BatchId, NpgsqlDbType.Text);
            copy.Write(n.DeviceName, NpgsqlDbType.Text);
        }
        await copy.CompleteAsync(ct);
    }

    public override async Task UpdateTasksAsync(IReadOnlyCollection<UpdateTask> tasks, CancellationToken ct)
    {
        if (tasks.Count == 0)
            return;
        var list = tasks as IReadOnlyList<UpdateTask> ?? tasks.ToList();
        await using var cmd = await CommandAsync(UpdateTaskSql, ct,
            ("@id", Column(list, t => t.Id)),
            ("@src", Column(list, t => t.SrcVersion)),
            ("@status", Column(list, t => t.Status.ToString())),
            ("@qr", Column(list, t => t.QueueReason.ToString())),
            ("@progress", Column(list, t => t.Progress)),
            ("@fc", Column(list, t => t.FailureCode)),
            ("@fr", Column(list, t => t.FailureReason)),
            ("@ra", Column(list, t => t.RetryAttempts)),
            ("@rda", Column(list, t => Ms(t.RetryDueAt))),
            ("@ta", Column(list, t => Ms(t.TimeoutAt))),
            ("@pa", Column(list, t => Ms(t.PushedAt))),
            ("@fpa", Column(list, t => Ms(t.FirstProgressAt))),
            ("@ea", Column(list, t => Ms(t.EndedAt))),
            ("@ma", Column(list, t => t.ModifiedAt.ToUnixTimeMilliseconds())),
            ("@nda", Column(list, t => Ms(t.NoticeDueAt))),
            ("@lra", Column(list, t => Ms(t.LastResentAt))),
            ("@rn", Column(list, t => t.Renotices)),
            ("@rsn", Column(list, t => t.ReconnectsSinceNotice)),
            ("@un", Column(list, t => t.UndeliveredNotices)),
            ("@rd", Column(list, t => t.RedeliveryDue)));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public override async Task InsertEventsAsync(IReadOnlyList<TaskEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
            return;
        await using var copy = await Connection.BeginBinaryImportAsync(
            "COPY \"TaskEvents\" (\"TaskId\",\"At\",\"Kind\",\"FromStatus\",\"ToStatus\",\"Detail\") FROM STDIN (FORMAT BINARY)", ct);
        foreach (var e in events)
        {
            copy.StartRow();
            copy.Write(e.TaskId, NpgsqlDbType.Bigint);
            Time(copy, e.At);
            copy.Write(e.Kind.ToString(), NpgsqlDbType.Text);
            Text(copy, e.FromStatus?.ToString());
            Text(copy, e.ToStatus?.ToString());
            Text(copy, e.Detail);
        }
        await copy.CompleteAsync(ct);
    }

    public override async Task InsertOutboxAsync(IReadOnlyList<Webhooks.OutboxEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
            return;
        // COPY keeps the rows' order, so the identity values follow the list.
        await using var copy = await Connection.BeginBinaryImportAsync(
            "COPY \"OutboxEvents\" (\"Type\",\"Subject\",\"ProductKey\",\"IsDeviceEvent\",\"Time\",\"Data\") FROM STDIN (FORMAT BINARY)", ct);
        foreach (var e in events)
        {
            copy.StartRow();
            copy.Write(e.Type, NpgsqlDbType.Text);
            copy.Write(e.Subject, NpgsqlDbType.Text);
            Text(copy, e.ProductKey);
            copy.Write(e.IsDeviceEvent, NpgsqlDbType.Boolean);
            Time(copy, e.Time);
            copy.Write(e.Data, NpgsqlDbType.Text);
        }
        await copy.CompleteAsync(ct);
    }

    public override async Task UpsertVersionsAsync(IReadOnlyCollection<(long DeviceId, string Module, string Version)> versions, DateTimeOffset at, CancellationToken ct)
    {
        if (versions.Count == 0)
            return;
        var list = versions as IReadOnlyList<(long DeviceId, string Module, string Version)> ?? versions.ToList();
        await using var cmd = await CommandAsync(
            "INSERT INTO \"DeviceVersions\" (\"DeviceId\",\"ModuleName\",\"Version\",\"ReportedAt\") SELECT u.d, u.m, u.v, @at FROM unnest(@d,@m,@v) AS u(d,m,v) " +
            "ON CONFLICT (\"DeviceId\",\"ModuleName\") DO UPDATE SET \"Version\"=excluded.\"Version\",\"ReportedAt\"=excluded.\"ReportedAt\"", ct,
            ("@d", Column(list, v => v.DeviceId)), ("@m", Column(list, v => v.Module)), ("@v", Column(list, v => v.Version)), ("@at", at.ToUnixTimeMilliseconds()));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public override async Task SetPresenceAsync(IReadOnlyCollection<(long DeviceId, bool Online, DateTimeOffset? Stamp)> presence, DateTimeOffset at, CancellationToken ct)
    {
        if (presence.Count == 0)
            return;
        var list = presence as IReadOnlyList<(long DeviceId, bool Online, DateTimeOffset? Stamp)> ?? presence.ToList();
        await using var cmd = await CommandAsync(
            "UPDATE \"Devices\" AS d SET \"IsOnline\"=u.o,\"LastSeenAt\"=@at,\"PresenceAt\"=COALESCE(u.s,d.\"PresenceAt\") " +
            "FROM unnest(@id,@o,@s) AS u(id,o,s) WHERE d.\"Id\" = u.id", ct,
            ("@id", Column(list, p => p.DeviceId)), ("@o", Column(list, p => p.Online)),
            ("@s", Column(list, p => p.Stamp?.ToUnixTimeMilliseconds())), ("@at", at.ToUnixTimeMilliseconds()));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static T[] Column<TRow, T>(IReadOnlyList<TRow> rows, Func<TRow, T> value)
    {
        var a = new T[rows.Count];
        for (var i = 0; i < a.Length; i++)
            a[i] = value(rows[i]);
        return a;
    }

    private static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    private static void Text(NpgsqlBinaryImporter copy, string? value)
    {
        if (value is null)
            copy.WriteNull();
        else
            copy.Write(value, NpgsqlDbType.Text);
    }

    private static void Int(NpgsqlBinaryImporter copy, int? value)
    {
        if (value is int v)
            copy.Write(v, NpgsqlDbType.Integer);
        else
            copy.WriteNull();
    }

    private static void Time(NpgsqlBinaryImporter copy, DateTimeOffset? value)
    {
        if (value is { } v)
            copy.Write(v.ToUnixTimeMilliseconds(), NpgsqlDbType.Bigint);
        else
            copy.WriteNull();
    }
}
