using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Devices;

/// <summary>
/// Device secrets for sign-in, remembered after the first look-up: a fleet reconnecting after an outage signs
/// in ten thousand times a minute. Unknown devices are remembered briefly (and a bounded number of them), so a
/// flood of bad sign-ins does not reach the database each time; a registration forgets them at once, so a device
/// registered meanwhile signs in.
/// </summary>
public sealed class DeviceSecrets
{
    public static readonly TimeSpan UnknownFor = TimeSpan.FromSeconds(30);
    public const int MaxUnknown = 4096;

    private readonly IDbContextFactory<OtaDbContext> _dbs;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<DeviceKey, string> _known = new();
    private readonly ConcurrentDictionary<DeviceKey, DateTimeOffset> _unknownUntil = new();
    // Moves on at each registration: a look-up that began before one must not remember its "unknown" after it.
    private long _registrations;

    public DeviceSecrets(IDbContextFactory<OtaDbContext> dbs, TimeProvider time, OtaChangeFeed feed)
    {
        _dbs = dbs;
        _time = time;
        // The catalog publishes after it commits, before RegisterDevicesAsync returns: a device told its secret finds it.
        feed.Subscribe(c =>
        {
            if (c.CatalogChanged && c.DevicesChanged)
            {
                Interlocked.Increment(ref _registrations);
                _unknownUntil.Clear();
            }
        });
    }

    internal int UnknownCount => _unknownUntil.Count;

    public async ValueTask<string?> FindAsync(DeviceKey key, CancellationToken ct = default)
    {
        if (_known.TryGetValue(key, out var secret))
            return secret;
        var now = _time.GetUtcNow();
        if (_unknownUntil.TryGetValue(key, out var until) && now < until)
            return null;
        var registrations = Interlocked.Read(ref _registrations);
        await using var db = await _dbs.CreateDbContextAsync(ct);
        secret = await db.Devices.AsNoTracking()
            .Where(d => d.ProductKey == key.ProductKey && d.DeviceName == key.DeviceName)
            .Select(d => d.DeviceSecret).FirstOrDefaultAsync(ct);
        if (secret is not null)
            _known[key] = secret;
        else if (registrations == Interlocked.Read(ref _registrations))
            RememberUnknown(key, now);
        return secret;
    }

    private void RememberUnknown(DeviceKey key, DateTimeOffset now)
    {
        if (_unknownUntil.Count >= MaxUnknown)
        {
            foreach (var (k, until) in _unknownUntil)
                if (until <= now)
                    _unknownUntil.TryRemove(k, out _);
            if (_unknownUntil.Count >= MaxUnknown)
                return; // full of recent ones: this one is looked up again next time
        }
        _unknownUntil[key] = now + UnknownFor;
    }
}
