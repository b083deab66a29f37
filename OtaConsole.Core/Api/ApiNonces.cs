using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Api;

/// <summary>The SignatureNonces already used: a request that repeats one is a replay.</summary>
public interface IApiNonces
{
    /// <summary>Records <paramref name="key"/> until <paramref name="until"/>; false when it is already recorded and not expired.</summary>
    ValueTask<bool> TryUseAsync(string key, DateTimeOffset until, DateTimeOffset now, CancellationToken ct = default);
}

/// <summary>
/// One node (SQLite): nonces in memory. A restart forgets them, so a request captured in the 15 minutes before
/// a restart could be sent once more after it; a write per API call, fsynced on SQLite, would cost more than that risk.
/// </summary>
public sealed class MemoryApiNonces : IApiNonces
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);
    private int _sincePurge;

    public ValueTask<bool> TryUseAsync(string key, DateTimeOffset until, DateTimeOffset now, CancellationToken ct = default)
    {
        var added = _nonces.TryAdd(key, until)
            || (_nonces.TryGetValue(key, out var old) && old < now && _nonces.TryUpdate(key, until, old));
        if (Interlocked.Increment(ref _sincePurge) >= 4096)
        {
            Interlocked.Exchange(ref _sincePurge, 0);
            foreach (var (k, expires) in _nonces)
                if (expires < now)
                    _nonces.TryRemove(k, out _);
        }
        return ValueTask.FromResult(added);
    }
}

/// <summary>
/// Several nodes (PostgreSQL): nonces in a table every node shares, so a request replayed to another node behind
/// the load balancer is refused too. One statement per call: insert, or take over a row that has expired.
/// </summary>
public sealed class DatabaseApiNonces(IDbContextFactory<OtaDbContext> dbs) : IApiNonces
{
    private int _sincePurge;

    public async ValueTask<bool> TryUseAsync(string key, DateTimeOffset until, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var untilMs = until.ToUnixTimeMilliseconds();
        var nowMs = now.ToUnixTimeMilliseconds();
        var used = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO \"ApiNonces\" (\"Key\", \"ExpiresAt\") VALUES ({key}, {untilMs}) ON CONFLICT (\"Key\") DO UPDATE SET \"ExpiresAt\" = excluded.\"ExpiresAt\" WHERE \"ApiNonces\".\"ExpiresAt\" < {nowMs}", ct);
        if (Interlocked.Increment(ref _sincePurge) >= 4096)
        {
            Interlocked.Exchange(ref _sincePurge, 0);
            await db.ApiNonces.Where(n => n.ExpiresAt < now).ExecuteDeleteAsync(ct);
        }
        return used == 1;
    }
}
