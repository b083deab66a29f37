using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace OtaConsole.Core.Persistence;

/// <summary>
/// A prepared SQLite statement bound by position through SQLitePCL (the layer under Microsoft.Data.Sqlite).
/// ADO parameters are bound by name, a lookup that grows with the statement's parameter count; at a few
/// hundred thousand rows a step that lookup is most of the cost. Runs on the connection, and so inside the
/// transaction, that EF Core opened.
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    public NativeStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_stmt, index, value));
    public void Bind(int index, bool value) => Check(raw.sqlite3_bind_int64(_stmt, index, value ? 1 : 0));
    public void Bind(int index, long? value) => Check(value is long v ? raw.sqlite3_bind_int64(_stmt, index, v) : raw.sqlite3_bind_null(_stmt, index));
    public void Bind(int index, DateTimeOffset value) => Bind(index, value.ToUnixTimeMilliseconds());
    public void Bind(int index, DateTimeOffset? value) => Bind(index, value?.ToUnixTimeMilliseconds());
    public void Bind(int index, string? value) => Check(value is null ? raw.sqlite3_bind_null(_stmt, index) : raw.sqlite3_bind_text(_stmt, index, value));

    /// <summary>Runs the statement with its current bindings and makes it ready for the next row.</summary>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
    }

    public void Dispose() => _stmt.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
    }
}
