using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using OtaConsole.Core.Model;

namespace OtaConsole.Core.Persistence;

/// <summary>
/// The engine's hot reads and writes as hand-written statements inside the writer's transaction: a step's
/// devices and their unfinished tasks, the devices a new batch reaches, task inserts and updates, timeline
/// lines, presence and versions. EF Core costs about ten times more per row on these paths (materialising an
/// entity, translating a 2,000-element Contains, binding parameters by name), and a rollout moves hundreds of
/// thousands of rows. One implementation per provider, each in its database's fastest plain form (SQLite:
/// statements prepared once and bound by position; PostgreSQL: binary COPY and set-based statements over
/// arrays). Column names follow the EF model; a round-trip test on both keeps them in line.
/// </summary>
internal abstract class EngineStore(OtaDbContext db)
{
    protected const string TaskColumns =
        "\"Id\",\"BatchId\",\"PackageId\",\"DeviceId\",\"ProductKey\",\"DeviceName\",\"ModuleName\",\"SrcVersion\",\"DestVersion\"," +
        "\"Status\",\"QueueReason\",\"Progress\",\"FailureCode\",\"FailureReason\",\"RetryAttempts\"," +
        "\"TimeoutMinutes\",\"RetryIntervalMinutes\",\"RetryCount\",\"RetryDueAt\",\"TimeoutAt\"," +
        "\"CreatedAt\",\"PushedAt\",\"FirstProgressAt\",\"EndedAt\",\"ModifiedAt\"," +
        "\"NoticeDueAt\",\"LastResentAt\",\"Renotices\",\"ReconnectsSinceNotice\",\"UndeliveredNotices\",\"RedeliveryDue\",\"Wave\"";

    protected const string UnfinishedSql = "('Confirm','Queued','Notified','InProgress')";

    protected OtaDbContext Db => db;

    public static EngineStore For(OtaDbContext db) =>
        db.Database.IsNpgsql() ? new Postgres.PostgresEngineStore(db) : new SqliteEngineStore(db);

    /// <summary>The unfinished tasks of the given devices: one indexed probe per device.</summary>
    public abstract Task<List<UpdateTask>> UnfinishedOfDevicesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct);

    /// <summary>Online flag and group of the given devices.</summary>
    public abstract Task<Dictionary<long, DevicePresence>> DeviceStatesAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct);

    /// <summary>
    /// The devices a batch scope reaches, with their version of <paramref name="module"/>: all devices of the
    /// product, or only those named, or only those in the given groups.
    /// </summary>
    public abstract Task<List<(long Id, string Name, bool Online, string? Version)>> TargetRowsAsync(
        string productKey, string module, IReadOnlyCollection<string>? names, IReadOnlyCollection<string>? groups, CancellationToken ct);

    /// <summary>
    /// Inserts new tasks, giving each its id first: the step's timeline lines and notices name them before the
    /// rows are read back, so the insert needs no result.
    /// </summary>
    public abstract Task InsertTasksAsync(IReadOnlyList<UpdateTask> tasks, CancellationToken ct);

    public abstract Task InsertUnknownDevicesAsync(IReadOnlyList<BatchUnknownDevice> names, CancellationToken ct);

    /// <summary>Writes back the fields the state machine changes.</summary>
    public abstract Task UpdateTasksAsync(IReadOnlyCollection<UpdateTask> tasks, CancellationToken ct);

    public abstract Task InsertEventsAsync(IReadOnlyList<TaskEvent> events, CancellationToken ct);
    /// <summary>Outbox events, in the list's order (their ids are the delivery order).</summary>
    public abstract Task InsertOutboxAsync(IReadOnlyList<Webhooks.OutboxEvent> events, CancellationToken ct);

    public abstract Task UpsertVersionsAsync(IReadOnlyCollection<(long DeviceId, string Module, string Version)> versions, DateTimeOffset at, CancellationToken ct);

    /// <summary>Sets each device's presence and LastSeenAt; a null stamp leaves its PresenceAt as it was.</summary>
    public abstract Task SetPresenceAsync(IReadOnlyCollection<(long DeviceId, bool Online, DateTimeOffset? Stamp)> presence, DateTimeOffset at, CancellationToken ct);

    protected static UpdateTask ReadTask(DbDataReader r) => new()
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

    protected static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    protected static int? Int(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
    protected static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    protected static string Prefixed(string alias, string columns) =>
        string.Join(",", columns.Split(',').Select(c => $"{alias}.{c}"));

    /// <summary>An ADO command on the context's connection, opened if need be (the preview reads outside the writer's transaction).</summary>
    protected async Task<DbCommand> CommandAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
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

    protected static async Task<List<UpdateTask>> ReadTasksAsync(DbCommand cmd, CancellationToken ct)
    {
        var list = new List<UpdateTask>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(ReadTask(r));
        return list;
    }

    /// <summary>Reads rows of Id, IsOnline, GroupId, PresenceAt, LastSeenAt.</summary>
    protected static async Task<Dictionary<long, DevicePresence>> ReadStatesAsync(DbCommand cmd, int capacity, CancellationToken ct)
    {
        var result = new Dictionary<long, DevicePresence>(capacity);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            result[r.GetInt64(0)] = new DevicePresence(r.GetBoolean(1), Str(r, 2),
                r.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)),
                r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)));
        return result;
    }

    protected static async Task<List<(long Id, string Name, bool Online, string? Version)>> ReadTargetsAsync(DbCommand cmd, CancellationToken ct)
    {
        var rows = new List<(long, string, bool, string?)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add((r.GetInt64(0), r.GetString(1), r.GetBoolean(2), Str(r, 3)));
        return rows;
    }
}

/// <summary>What the engine needs of a device to apply its events: presence (and the broker's stamp of it) and group.</summary>
public readonly record struct DevicePresence(bool Online, string? GroupId, DateTimeOffset? PresenceAt, DateTimeOffset? LastSeenAt);
