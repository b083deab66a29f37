using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OtaConsole.Core.Persistence;

/// <summary>The database setup: SQLite (a file, WAL) or PostgreSQL, and the schema from each one's migrations at start-up.</summary>
public static class OtaDatabase
{
    /// <summary>The provider and connection the "Ota:Database" section names.</summary>
    public static void Configure(DbContextOptionsBuilder options, OtaOptions ota)
    {
        var d = ota.Database;
        if (d.Provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(d.ConnectionString))
                throw new InvalidOperationException("Ota:Database:Provider is Postgres but Ota:Database:ConnectionString is empty (e.g. \"Host=db;Database=ota;Username=ota;Password=...\").");
            ConfigurePostgres(options, d.ConnectionString);
        }
        else
        {
            Configure(options, string.IsNullOrWhiteSpace(d.ConnectionString) ? ConnectionString(ota.DatabasePath) : d.ConnectionString, d.Synchronous);
        }
    }

    public static void ConfigurePostgres(DbContextOptionsBuilder options, string connectionString) => options.UseNpgsql(connectionString);

    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public static void Configure(DbContextOptionsBuilder options, string connectionString, DatabaseSynchronous synchronous = DatabaseSynchronous.Full) =>
        options.UseSqlite(connectionString).AddInterceptors(SqlitePragmas.For(synchronous));

    /// <summary>
    /// Applies the provider's migrations; on SQLite also turns on WAL so pages read while the engine writes. On
    /// PostgreSQL EF Core holds a lock on the migrations history while it migrates, so when several nodes start
    /// together one applies them and the others wait, then find nothing to do.
    /// </summary>
    public static async Task MigrateAsync(OtaDbContext db, CancellationToken ct = default)
    {
        if (db.Database.IsNpgsql())
        {
            // PostgreSQL's migrations belong to their own context type (EF Core keeps one migration set per type).
            await using var pg = new PostgresOtaDbContext((DbContextOptions)db.GetService<IDbContextOptions>());
            await pg.Database.MigrateAsync(ct);
            return;
        }
        await db.Database.MigrateAsync(ct);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }
}

/// <summary>
/// Per-connection settings. synchronous is per connection in SQLite, so every connection EF Core opens gets
/// it. FULL (the default) fsyncs each commit: a device's success, once stored, is not undone by a power cut,
/// and the device will not report it again. NORMAL is never corrupt under WAL but may lose the last commits.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private static readonly SqlitePragmas FullInstance = new(DatabaseSynchronous.Full);
    private static readonly SqlitePragmas NormalInstance = new(DatabaseSynchronous.Normal);
    private readonly string _pragmas;

    private SqlitePragmas(DatabaseSynchronous synchronous) => _pragmas = Sql(synchronous);

    public static SqlitePragmas For(DatabaseSynchronous synchronous) => synchronous == DatabaseSynchronous.Normal ? NormalInstance : FullInstance;

    /// <summary>The statements run on each new connection (the benchmark's plain references run them too).</summary>
    public static string Sql(DatabaseSynchronous synchronous) =>
        $"PRAGMA synchronous={(synchronous == DatabaseSynchronous.Normal ? "NORMAL" : "FULL")}; PRAGMA temp_store=MEMORY;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = _pragmas;
        cmd.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = _pragmas;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Checks the packages folder and applies migrations before the engine's loops start (hosted services start in registration order).</summary>
public sealed class DatabaseInitializer(IDbContextFactory<OtaDbContext> dbs, IOptions<OtaOptions> options, Devices.SecretProtector secrets) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Packages.PackageFileStore.EnsureWritable(options.Value); // creates the data folder too
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
            await OtaDatabase.MigrateAsync(db, cancellationToken);
        await secrets.ProtectPlainSecretsAsync(dbs, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>For `dotnet ef migrations add --context OtaDbContext`: SQLite's migrations, on a throw-away file.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<OtaDbContext>
{
    public OtaDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<OtaDbContext>();
        OtaDatabase.Configure(builder, OtaDatabase.ConnectionString("design-time.db"));
        return new OtaDbContext(builder.Options);
    }
}

/// <summary>For `dotnet ef migrations add --context PostgresOtaDbContext`: adding a migration reads no server.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresOtaDbContext>
{
    public PostgresOtaDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<OtaDbContext>();
        OtaDatabase.ConfigurePostgres(builder, "Host=localhost;Database=ota_design_time");
        return new PostgresOtaDbContext(builder.Options);
    }
}
