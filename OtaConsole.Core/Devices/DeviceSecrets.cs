using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Devices;

/// <summary>
/// Device secrets for sign-in, remembered after the first look-up: a fleet reconnecting after an outage signs
/// in ten thousand times a minute. Unknown devices are remembered briefly (and a bounded number of them), so a
/// flood of bad sign-ins does not reach the database each time; any catalog change on this console (a registration)
/// makes them stale at once, so a device registered meanwhile signs in.
/// </summary>
public sealed class DeviceSecrets
{
    public static readonly TimeSpan UnknownFor = TimeSpan.FromSeconds(30);
    public const int MaxUnknown = 4096;

    private readonly IDbContextFactory<OtaDbContext> _dbs;
    private readonly TimeProvider _time;
    private readonly OtaChangeFeed _feed;
    private readonly ConcurrentDictionary<DeviceKey, string> _known = new();
    // Each "unknown" with the catalog version it was seen at: the catalog publishes after it commits and before
    // RegisterDevicesAsync returns, so a device told its secret never meets an "unknown" from before.
    private readonly ConcurrentDictionary<DeviceKey, (DateTimeOffset Until, long CatalogVersion)> _unknownUntil = new();

    private readonly SecretProtector _protector;

    public DeviceSecrets(IDbContextFactory<OtaDbContext> dbs, TimeProvider time, OtaChangeFeed feed, SecretProtector protector)
    {
        _dbs = dbs;
        _time = time;
        _feed = feed;
        _protector = protector;
    }

    internal int UnknownCount => _unknownUntil.Count;

    public async ValueTask<string?> FindAsync(DeviceKey key, CancellationToken ct = default)
    {
        if (_known.TryGetValue(key, out var secret))
            return secret;
        var now = _time.GetUtcNow();
        var version = _feed.CatalogVersion;
        if (_unknownUntil.TryGetValue(key, out var unknown) && now < unknown.Until && unknown.CatalogVersion == version)
            return null;
        await using var db = await _dbs.CreateDbContextAsync(ct);
        secret = await db.Devices.AsNoTracking()
            .Where(d => d.ProductKey == key.ProductKey && d.DeviceName == key.DeviceName)
            .Select(d => d.DeviceSecret).FirstOrDefaultAsync(ct);
        if (secret is not null)
            _known[key] = secret = _protector.Reveal(secret);
        else
            RememberUnknown(key, now, version);
        return secret;
    }

    private void RememberUnknown(DeviceKey key, DateTimeOffset now, long version)
    {
        if (_unknownUntil.Count >= MaxUnknown)
        {
            foreach (var (k, unknown) in _unknownUntil)
                if (unknown.Until <= now || unknown.CatalogVersion != version)
                    _unknownUntil.TryRemove(k, out _);
            if (_unknownUntil.Count >= MaxUnknown)
                return; // full of recent ones: this one is looked up again next time
        }
        _unknownUntil[key] = (now + UnknownFor, version);
    }
}
