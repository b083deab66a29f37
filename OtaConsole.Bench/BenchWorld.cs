using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;

namespace OtaConsole.Bench;

/// <summary>The database a benchmark runs on (<c>--db sqlite|postgres</c>).</summary>
internal enum BenchDb { Sqlite, Postgres }

internal static class BenchArgs
{
    /// <summary>From <c>--db</c>; SQLite unless told otherwise.</summary>
    public static BenchDb Db { get; set; } = BenchDb.Sqlite;
}

/// <summary>
/// A core on a fresh SQLite file under a temp folder (or a fresh database on the harness's own durable
/// PostgreSQL server), with a gateway that counts; on fake time unless given a clock. SQLite runs the console's
/// default <c>Ota:Database:Synchronous</c> unless told otherwise.
/// </summary>
internal sealed class BenchWorld : IDbContextFactory<OtaDbContext>, IDisposable
{
    public const string ProductKey = "a1BenchProd";

    private BenchWorld(string folder, DateTimeOffset start, DatabaseSynchronous synchronous, TimeProvider? clock, string? postgresDatabase = null,
        Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor? interceptor = null)
    {
        Folder = folder;
        Path = System.IO.Path.Combine(folder, "ota.db");
        Synchronous = synchronous;
        PostgresDatabase = postgresDatabase;
        var b = new DbContextOptionsBuilder<OtaDbContext>();
        if (postgresDatabase is null)
            OtaDatabase.Configure(b, OtaDatabase.ConnectionString(Path), synchronous);
        else
            OtaDatabase.ConfigurePostgres(b, Tests.Support.PostgresServer.Durable.ConnectionString(postgresDatabase));
        if (interceptor is not null)
            b.AddInterceptors(interceptor);
        Options = b.Options;
        Time = new FakeTimeProvider(start);
        Clock = clock ?? Time;
        Writer = new EngineWriter(this, Clock, Gateway, new OtaChangeFeed(), NullLogger<EngineWriter>.Instance);
        Engine = new RolloutEngine(Writer, this, new DeviceDirectory());
        var options = Microsoft.Extensions.Options.Options.Create(new OtaOptions { DataDirectory = folder });
        var audited = new AuditedWrites(this, Clock);
        Catalog = new CatalogService(this, Clock, new OtaChangeFeed(), audited, new SecretProtector(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider()));
        Packages = new PackageService(this, new PackageFileStore(options), Clock, new OtaChangeFeed(), audited);
    }

    public string Folder { get; }
    public string Path { get; }
    /// <summary>The database's name on the PostgreSQL server; null on SQLite.</summary>
    public string? PostgresDatabase { get; }
    public BenchDb Db => PostgresDatabase is null ? BenchDb.Sqlite : BenchDb.Postgres;
    public DatabaseSynchronous Synchronous { get; }
    public DbContextOptions<OtaDbContext> Options { get; }
    /// <summary>The fake clock (the engine's, unless the world was made with a real one).</summary>
    public FakeTimeProvider Time { get; }
    public TimeProvider Clock { get; }
    public CountingGateway Gateway { get; } = new();
    public RolloutEngine Engine { get; }
    public EngineWriter Writer { get; }
    public CatalogService Catalog { get; }
    public PackageService Packages { get; }

    public OtaDbContext CreateDbContext() => new(Options);

    /// <param name="interceptor">Sees the commands EF Core sends (the explain scenario catches the console's SQL).</param>
    public static async Task<BenchWorld> CreateAsync(DatabaseSynchronous synchronous = DatabaseSynchronous.Full, TimeProvider? clock = null, BenchDb db = BenchDb.Sqlite,
        Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor? interceptor = null)
    {
        var pg = db == BenchDb.Postgres ? Tests.Support.PostgresServer.Durable.CreateDatabase() : null;
        var w = new BenchWorld(Directory.CreateTempSubdirectory("ota-bench-").FullName, new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), synchronous, clock, pg, interceptor);
        await using var context = w.CreateDbContext();
        await OtaDatabase.MigrateAsync(context);
        await w.Catalog.CreateProductAsync(Actor.System, "Bench", ProductKey);
        return w;
    }

    /// <summary>A copy of this world's database in a new folder, so each run starts from the same state.</summary>
    public BenchWorld CopyTo(DatabaseSynchronous? synchronous = null)
    {
        if (PostgresDatabase is not null)
        {
            var copy = Tests.Support.PostgresServer.Durable.CopyDatabase(PostgresDatabase);
            var to = Directory.CreateTempSubdirectory("ota-bench-").FullName;
            CopyDirectory(System.IO.Path.Combine(Folder, "packages"), System.IO.Path.Combine(to, "packages"));
            return new BenchWorld(to, Time.GetUtcNow(), Synchronous, null, copy);
        }
        SqliteConnection.ClearAllPools();
        Checkpoint(Path);
        var folder = Directory.CreateTempSubdirectory("ota-bench-").FullName;
        File.Copy(Path, System.IO.Path.Combine(folder, "ota.db"));
        CopyDirectory(System.IO.Path.Combine(Folder, "packages"), System.IO.Path.Combine(folder, "packages"));
        return new BenchWorld(folder, Time.GetUtcNow(), synchronous ?? Synchronous, null);
    }

    /// <summary>Registers devices dev-000000.. online, on a version, with plain inserts (setup, not measured).</summary>
    public async Task SeedDevicesAsync(int count, string version)
    {
        if (PostgresDatabase is not null)
        {
            await SeedPostgresDevicesAsync(count, version);
            return;
        }
        await using var c = new SqliteConnection(OtaDatabase.ConnectionString(Path));
        await c.OpenAsync();
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync();
        var now = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var dev = Command(c, tx, "INSERT INTO \"Devices\" (\"IotId\",\"ProductKey\",\"DeviceName\",\"DeviceSecret\",\"IsOnline\",\"CreatedAt\") VALUES (@i,@p,@n,@s,1,@t) RETURNING \"Id\"", "@i", "@p", "@n", "@s", "@t");
        var ver = Command(c, tx, "INSERT INTO \"DeviceVersions\" (\"DeviceId\",\"ModuleName\",\"Version\",\"ReportedAt\") VALUES (@d,'default',@v,@t)", "@d", "@v", "@t");
        for (var i = 0; i < count; i++)
        {
            dev.Parameters[0].Value = $"iot{i:D20}";
            dev.Parameters[1].Value = ProductKey;
            dev.Parameters[2].Value = DeviceName(i);
            dev.Parameters[3].Value = "secret";
            dev.Parameters[4].Value = now;
            var id = (long)(await dev.ExecuteScalarAsync())!;
            ver.Parameters[0].Value = id;
            ver.Parameters[1].Value = version;
            ver.Parameters[2].Value = now;
            await ver.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
    }

    private async Task SeedPostgresDevicesAsync(int count, string version)
    {
        await using var c = await OpenPostgresAsync();
        var now = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var copy = await c.BeginBinaryImportAsync(
                         "COPY \"Devices\" (\"IotId\",\"ProductKey\",\"DeviceName\",\"DeviceSecret\",\"IsOnline\",\"CreatedAt\") FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < count; i++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync($"iot{i:D20}", NpgsqlTypes.NpgsqlDbType.Text);
                await copy.WriteAsync(ProductKey, NpgsqlTypes.NpgsqlDbType.Text);
                await copy.WriteAsync(DeviceName(i), NpgsqlTypes.NpgsqlDbType.Text);
                await copy.WriteAsync("secret", NpgsqlTypes.NpgsqlDbType.Text);
                await copy.WriteAsync(true, NpgsqlTypes.NpgsqlDbType.Boolean);
                await copy.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.Bigint);
            }
            await copy.CompleteAsync();
        }
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO \"DeviceVersions\" (\"DeviceId\",\"ModuleName\",\"Version\",\"ReportedAt\") SELECT \"Id\",'default',@v,@t FROM \"Devices\"; ANALYZE;";
        cmd.Parameters.AddWithValue("v", version);
        cmd.Parameters.AddWithValue("t", now);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A plain Npgsql connection to this world's PostgreSQL database, for the references.</summary>
    public async Task<Npgsql.NpgsqlConnection> OpenPostgresAsync()
    {
        var c = new Npgsql.NpgsqlConnection(Tests.Support.PostgresServer.Durable.ConnectionString(PostgresDatabase!));
        await c.OpenAsync();
        return c;
    }

    public static string DeviceName(int i) => $"dev-{i:D6}";

    public Task<UpdatePackage> PackageAsync(string version) => Packages.CreateAsync(Actor.System, new CreatePackageRequest
    {
        ProductKey = ProductKey,
        Name = "bench-" + version.Replace('.', '_'),
        DestVersion = version,
        NeedToVerify = false,
        Files = [new PackageFileUpload("fw.bin", new MemoryStream(Encoding.UTF8.GetBytes("firmware " + version)))],
    });

    /// <summary>Ticks as the scheduler does, every <see cref="RolloutScheduler.Interval"/> of fake time, until <paramref name="done"/> or the limit.</summary>
    public async Task TickUntilAsync(Func<bool> done, TimeSpan limit)
    {
        var end = Time.GetUtcNow() + limit;
        await Engine.TickAsync();
        while (!done() && Time.GetUtcNow() < end)
        {
            Time.Advance(RolloutScheduler.Interval);
            await Engine.TickAsync();
        }
    }

    /// <summary>A plain connection with the pragmas the console's connections get (same durability).</summary>
    public async Task<SqliteConnection> OpenRawAsync()
    {
        var c = new SqliteConnection(OtaDatabase.ConnectionString(Path));
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = SqlitePragmas.Sql(Synchronous);
        await cmd.ExecuteNonQueryAsync();
        return c;
    }

    public static DbCommand Command(DbConnection c, DbTransaction tx, string sql, params string[] names)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var n in names)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            cmd.Parameters.Add(p);
        }
        cmd.Prepare();
        return cmd;
    }

    private static void Checkpoint(string path)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        cmd.ExecuteNonQuery();
    }

    private static void CopyDirectory(string from, string to)
    {
        if (!Directory.Exists(from))
            return;
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        if (PostgresDatabase is not null)
            Tests.Support.PostgresServer.Durable.DropDatabase(PostgresDatabase);
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Counts the notices the engine hands out; once <see cref="Record"/> is on, also when (Stopwatch ticks).</summary>
internal sealed class CountingGateway : IDeviceGateway
{
    private readonly List<long> _stamps = [];
    private long _notices;
    public long Notices => Interlocked.Read(ref _notices);
    public bool Record { get; set; }

    public void SendNotice(UpdateNotice notice)
    {
        Interlocked.Increment(ref _notices);
        if (Record)
            lock (_stamps)
                _stamps.Add(System.Diagnostics.Stopwatch.GetTimestamp());
    }

    public void SendFirmwareReply(FirmwareReply reply) { }

    public List<long> Stamps()
    {
        lock (_stamps)
            return [.. _stamps];
    }
}
