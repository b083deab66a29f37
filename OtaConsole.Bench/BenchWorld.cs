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

namespace OtaConsole.Bench;

/// <summary>A core on a fresh SQLite file under a temp folder, with fake time and a gateway that counts.</summary>
internal sealed class BenchWorld : IDbContextFactory<OtaDbContext>, IDisposable
{
    public const string ProductKey = "a1BenchProd";

    private BenchWorld(string folder, DateTimeOffset start)
    {
        Folder = folder;
        Path = System.IO.Path.Combine(folder, "ota.db");
        var b = new DbContextOptionsBuilder<OtaDbContext>();
        OtaDatabase.Configure(b, OtaDatabase.ConnectionString(Path));
        Options = b.Options;
        Time = new FakeTimeProvider(start);
        Engine = new RolloutEngine(new EngineWriter(this, Time, Gateway, new OtaChangeFeed(), NullLogger<EngineWriter>.Instance), this, new DeviceDirectory());
        var options = Microsoft.Extensions.Options.Options.Create(new OtaOptions { DataDirectory = folder });
        Catalog = new CatalogService(this, Time, new OtaChangeFeed());
        Packages = new PackageService(this, new PackageFileStore(options), Time, new OtaChangeFeed());
    }

    public string Folder { get; }
    public string Path { get; }
    public DbContextOptions<OtaDbContext> Options { get; }
    public FakeTimeProvider Time { get; }
    public CountingGateway Gateway { get; } = new();
    public RolloutEngine Engine { get; }
    public CatalogService Catalog { get; }
    public PackageService Packages { get; }

    public OtaDbContext CreateDbContext() => new(Options);

    public static async Task<BenchWorld> CreateAsync()
    {
        var w = new BenchWorld(Directory.CreateTempSubdirectory("ota-bench-").FullName, new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));
        await using var db = w.CreateDbContext();
        await OtaDatabase.MigrateAsync(db);
        await w.Catalog.CreateProductAsync("Bench", ProductKey);
        return w;
    }

    /// <summary>A copy of this world's database in a new folder, so each run starts from the same state.</summary>
    public BenchWorld CopyTo()
    {
        SqliteConnection.ClearAllPools();
        Checkpoint(Path);
        var folder = Directory.CreateTempSubdirectory("ota-bench-").FullName;
        File.Copy(Path, System.IO.Path.Combine(folder, "ota.db"));
        CopyDirectory(System.IO.Path.Combine(Folder, "packages"), System.IO.Path.Combine(folder, "packages"));
        return new BenchWorld(folder, Time.GetUtcNow());
    }

    /// <summary>Registers devices dev-000000.. online, on a version, with plain inserts (setup, not measured).</summary>
    public async Task SeedDevicesAsync(int count, string version)
    {
        await using var c = new SqliteConnection(OtaDatabase.ConnectionString(Path));
        await c.OpenAsync();
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync();
        var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
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

    public static string DeviceName(int i) => $"dev-{i:D6}";

    public Task<UpdatePackage> PackageAsync(string version) => Packages.CreateAsync(new CreatePackageRequest
    {
        ProductKey = ProductKey,
        Name = "bench-" + version.Replace('.', '_'),
        DestVersion = version,
        NeedToVerify = false,
        Files = [new PackageFileUpload("fw.bin", new MemoryStream(Encoding.UTF8.GetBytes("firmware " + version)))],
    });

    /// <summary>Ticks once a second of fake time until <paramref name="done"/> or the limit.</summary>
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

internal sealed class CountingGateway : IDeviceGateway
{
    private long _notices;
    public long Notices => Interlocked.Read(ref _notices);
    public void SendNotice(UpdateNotice notice) => Interlocked.Increment(ref _notices);
    public void SendFirmwareReply(FirmwareReply reply) { }
}
