using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Tests.Support;

/// <summary>
/// A real database per test: a SQLite file in its own folder, or, when the tests run with
/// OTA_TEST_DATABASE=postgres (test.sh runs the engine's tests a second time so), a database of its own on the
/// private <see cref="PostgresServer"/>. The schema comes from the real migrations, applied once to a template
/// that each test copies (migrating per test would cost a tenth of a second each).
/// </summary>
public sealed class TestDatabase : IDbContextFactory<OtaDbContext>, IDisposable
{
    private static readonly Lazy<string> Template = new(CreateTemplate);

    /// <summary>On PostgreSQL, the file in a test's folder that names its database (<see cref="ConsoleHost"/> reads it).</summary>
    public const string PostgresMarker = "postgres-database";

    /// <summary>True when this test run's databases are PostgreSQL.</summary>
    public static bool IsPostgres { get; } = string.Equals(Environment.GetEnvironmentVariable("OTA_TEST_DATABASE"), "postgres", StringComparison.OrdinalIgnoreCase);

    public TestDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("ota-test-").FullName;
        Path = System.IO.Path.Combine(Folder, "ota.db");
        if (IsPostgres)
        {
            PostgresName = PostgresServer.Instance.CreateDatabase();
            // A console started on this folder (a restart after a crash) opens the same database.
            File.WriteAllText(System.IO.Path.Combine(Folder, PostgresMarker), PostgresName);
            ConnectionString = PostgresServer.Instance.ConnectionString(PostgresName);
            var b = new DbContextOptionsBuilder<OtaDbContext>();
            OtaDatabase.ConfigurePostgres(b, ConnectionString);
            Options = b.Options;
            return;
        }
        File.Copy(Template.Value, Path);
        ConnectionString = OtaDatabase.ConnectionString(Path);
        Options = Build(Path);
    }

    public string Folder { get; }
    /// <summary>The SQLite file (unused on PostgreSQL).</summary>
    public string Path { get; }
    public string ConnectionString { get; }
    private string? PostgresName { get; }
    public DbContextOptions<OtaDbContext> Options { get; }

    /// <summary>The console's settings that open this database.</summary>
    public Dictionary<string, string?> Settings() => IsPostgres
        ? new() { ["Ota:Database:Provider"] = "Postgres", ["Ota:Database:ConnectionString"] = ConnectionString }
        : new() { ["Ota:Database:ConnectionString"] = ConnectionString };

    public OtaDbContext CreateDbContext() => new(Options);

    public static DbContextOptions<OtaDbContext> Build(string path)
    {
        var b = new DbContextOptionsBuilder<OtaDbContext>();
        OtaDatabase.Configure(b, OtaDatabase.ConnectionString(path));
        return b.Options;
    }

    private static string CreateTemplate()
    {
        var folder = Directory.CreateTempSubdirectory("ota-template-").FullName;
        var path = System.IO.Path.Combine(folder, "template.db");
        using (var db = new OtaDbContext(Build(path)))
            OtaDatabase.MigrateAsync(db).GetAwaiter().GetResult();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        // WAL state lives in side files; fold it into the main file so a plain copy is complete.
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            cmd.ExecuteNonQuery();
        }
        return path;
    }

    public void Dispose()
    {
        if (PostgresName is not null)
            PostgresServer.Instance.DropDatabase(PostgresName);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle on another thread may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
