using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OtaConsole.Core.Persistence;

/// <summary>SQLite setup: the file, WAL, and the schema from migrations at start-up.</summary>
public static class OtaDatabase
{
    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString).AddInterceptors(SqlitePragmas.Instance);

    /// <summary>Creates the folder, applies migrations, and turns on WAL so pages read while the engine writes.</summary>
    public static async Task MigrateAsync(OtaDbContext db, CancellationToken ct = default)
    {
        await db.Database.MigrateAsync(ct);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }
}

/// <summary>
/// Per-connection settings. synchronous=NORMAL is safe from corruption under WAL; a power cut may undo the
/// last commits, which devices repair by reporting again.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();
    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        cmd.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Applies migrations before the engine's loops start (hosted services start in registration order).</summary>
public sealed class DatabaseInitializer(IDbContextFactory<OtaDbContext> dbs, IOptions<OtaOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.DataPath);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        await OtaDatabase.MigrateAsync(db, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>For `dotnet ef migrations add`: a context on a throw-away file.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<OtaDbContext>
{
    public OtaDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<OtaDbContext>();
        OtaDatabase.Configure(builder, OtaDatabase.ConnectionString("design-time.db"));
        return new OtaDbContext(builder.Options);
    }
}
