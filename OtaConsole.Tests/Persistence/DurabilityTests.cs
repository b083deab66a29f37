using Microsoft.EntityFrameworkCore;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Persistence;

/// <summary>
/// A commit the console has answered for must survive a power cut: a device that reported success never
/// reports it again. SQLite's synchronous=FULL (2) fsyncs every commit; NORMAL (1) may lose the last ones.
/// </summary>
public sealed class DurabilityTests
{
    private const string SqliteOnly = "SQLite's PRAGMA synchronous; PostgreSQL's durability is the server's synchronous_commit";

    [Fact]
    public async Task By_default_the_console_database_fsyncs_every_commit()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, SqliteOnly);
        await using var host = await ConsoleHost.StartAsync();
        Assert.Equal(2, await SynchronousAsync(host));
    }

    [Fact]
    public async Task Synchronous_Full_in_the_settings_reaches_the_connection()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, SqliteOnly);
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Database:Synchronous"] = "Full" });
        Assert.Equal(2, await SynchronousAsync(host));
    }

    [Fact]
    public async Task Synchronous_Normal_in_the_settings_reaches_the_connection()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, SqliteOnly);
        await using var host = await ConsoleHost.StartAsync(new Dictionary<string, string?> { ["Ota:Database:Synchronous"] = "Normal" });
        Assert.Equal(1, await SynchronousAsync(host));
    }

    /// <summary>PRAGMA synchronous as read back on a connection of the console's own DbContext factory.</summary>
    private static async Task<long> SynchronousAsync(ConsoleHost host)
    {
        await using var db = host.Db();
        await db.Database.OpenConnectionAsync();
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = "PRAGMA synchronous;";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
