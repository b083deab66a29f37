using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Tests.Support;

/// <summary>
/// A real SQLite file per test, in its own folder. The schema comes from the real migrations, applied once
/// to a template that each test copies (migrating per test would cost a tenth of a second each).
/// </summary>
public sealed class TestDatabase : IDbContextFactory<OtaDbContext>, IDisposable
{
    private static readonly Lazy<string> Template = new(CreateTemplate);

    public TestDatabase()
    {
        Folder = Directory.CreateTempSubdirectory("ota-test-").FullName;
        Path = System.IO.Path.Combine(Folder, "ota.db");
        File.Copy(Template.Value, Path);
        Options = Build(Path);
    }

    public string Folder { get; }
    public string Path { get; }
    public DbContextOptions<OtaDbContext> Options { get; }

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
