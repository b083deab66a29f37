namespace OtaConsole.Core;

/// <summary>The "Ota" section of appsettings.json. Every key is listed, with its default, in the README.</summary>
public sealed class OtaOptions
{
    public const string Section = "Ota";

    /// <summary>Folder for the SQLite file and the package files. Relative paths are taken from the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Largest package file accepted, in megabytes (Alibaba: 1000 MB over HTTPS).</summary>
    public int MaxPackageFileMegabytes { get; set; } = 1000;

    public DatabaseOptions Database { get; set; } = new();

    public long MaxPackageFileBytes => MaxPackageFileMegabytes * 1024L * 1024L;

    /// <summary>
    /// The console's own address as API scripts reach it: upload tickets (GenerateOTAUploadURL) name it. Empty: the
    /// console's main listening address (the web host fills it in at start).
    /// </summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>The base of the console's own API addresses, read when used.</summary>
    public string BaseUrl => string.IsNullOrWhiteSpace(PublicUrl) ? "http://localhost:5080" : PublicUrl.Trim().TrimEnd('/');

    public string DataPath => Path.GetFullPath(DataDirectory);
    public string DatabasePath => Path.Combine(DataPath, "ota.db");
    public string PackagesPath => Path.Combine(DataPath, "packages");
}

/// <summary>The "Ota:Database" section.</summary>
public sealed class DatabaseOptions
{
    /// <summary>Sqlite (one machine, the default: a file in <see cref="OtaOptions.DataDirectory"/>) or Postgres (one or several nodes).</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Postgres: an Npgsql connection string (required). Sqlite: empty for the data folder's ota.db, or a connection string of its own.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>How hard SQLite makes each commit survive a power cut (its <c>PRAGMA synchronous</c>).</summary>
    public DatabaseSynchronous Synchronous { get; set; } = DatabaseSynchronous.Full;
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>SQLite's <c>synchronous</c> settings the console offers, under WAL.</summary>
public enum DatabaseSynchronous
{
    /// <summary>Every commit is fsynced before it is answered for: a power cut loses nothing acknowledged.</summary>
    Full,

    /// <summary>The log is fsynced only at checkpoints: never corrupt, but a power cut may undo the last commits.</summary>
    Normal,
}
