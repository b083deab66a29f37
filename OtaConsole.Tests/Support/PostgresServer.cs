using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Tests.Support;

/// <summary>
/// A private PostgreSQL server for this test process: Debian's binaries (test.sh installs them), its own data
/// directory and socket under a temporary folder, a free port, run as the postgres user when the tests run as
/// root (PostgreSQL refuses root). Started on first use, stopped when the process exits. The schema is migrated
/// once into a template database that each test's database is copied from. The benchmarks use one too
/// (<see cref="Durable"/>: fsync and synchronous commit on, as a real server runs).
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Shared = new(() => Start(durable: false));
    private static readonly Lazy<PostgresServer> SharedDurable = new(() => Start(durable: true));
    private const string Template = "ota_template";
    private readonly string _bin;
    private readonly string _data;
    private readonly bool _asPostgresUser;

    private PostgresServer(string bin, string data, bool asPostgresUser, int port)
    {
        _bin = bin;
        _data = data;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public int Port { get; }

    public static PostgresServer Instance => Shared.Value;

    /// <summary>A server with PostgreSQL's own durability settings, for measurements.</summary>
    public static PostgresServer Durable => SharedDurable.Value;

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
    }.ToString();

    /// <summary>A new database with the migrated schema, copied from the template.</summary>
    public string CreateDatabase()
    {
        var name = "ota_" + Guid.NewGuid().ToString("N");
        Admin($"CREATE DATABASE \"{name}\" TEMPLATE {Template}");
        return name;
    }

    /// <summary>A copy of a database (nobody may be connected to it meanwhile), for runs that start from one state.</summary>
    public string CopyDatabase(string from)
    {
        using (var c = new NpgsqlConnection(ConnectionString(from)))
            NpgsqlConnection.ClearPool(c);
        var name = "ota_" + Guid.NewGuid().ToString("N");
        Admin($"CREATE DATABASE \"{name}\" TEMPLATE \"{from}\"");
        return name;
    }

    public void DropDatabase(string name)
    {
        using (var c = new NpgsqlConnection(ConnectionString(name)))
            NpgsqlConnection.ClearPool(c);
        Admin($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    private void Admin(string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString("postgres"));
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static PostgresServer Start(bool durable)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL is not installed; ./test.sh installs it (apt-get install postgresql).");
        var asPostgresUser = Environment.UserName == "root";
        var folder = Directory.CreateTempSubdirectory("ota-postgres-").FullName;
        var data = Path.Combine(folder, "data");
        if (asPostgresUser)
            Run("chown", $"postgres {folder}", null);
        var port = FreePorts.Next();
        var server = new PostgresServer(bin, data, asPostgresUser, port);
        server.Pg("initdb", $"-D {data} -U postgres -A trust -E UTF8 --no-locale --no-sync");
        // Durability settings off for tests: their databases are thrown away, and they check behaviour, not fsync.
        // Measurements run as a production server on SSD storage would: random_page_cost 1.1 rather than the 4 of spinning disks (README).
        var durability = durable ? "-c shared_buffers=512MB -c random_page_cost=1.1" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        server.Pg("pg_ctl", $"-D {data} -l {folder}/server.log -w -t 60 -o \"-p {port} -k {folder} -c listen_addresses=127.0.0.1 {durability} -c max_connections=300\" start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();

        server.Admin($"CREATE DATABASE {Template}");
        var b = new DbContextOptionsBuilder<OtaDbContext>();
        OtaDatabase.ConfigurePostgres(b, server.ConnectionString(Template));
        using (var db = new OtaDbContext(b.Options))
            OtaDatabase.MigrateAsync(db).GetAwaiter().GetResult();
        // A template copies only while nobody is connected to it.
        using (var c = new NpgsqlConnection(server.ConnectionString(Template)))
            NpgsqlConnection.ClearPool(c);
        return server;
    }

    private void Stop()
    {
        try
        {
            Pg("pg_ctl", $"-D {_data} -m immediate -w stop");
            Directory.Delete(Path.GetDirectoryName(_data)!, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // The process is ending; a server left behind dies with the machine's temp folder.
        }
    }

    private void Pg(string tool, string args) =>
        Run(_asPostgresUser ? "runuser" : Path.Combine(_bin, tool), _asPostgresUser ? $"-u postgres -- {Path.Combine(_bin, tool)} {args}" : args, null);

    private static void Run(string file, string args, string? cwd)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = cwd ?? "/tmp" };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {stderr} {stdout.Result}");
    }
}
