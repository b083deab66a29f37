using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Devices;

/// <summary>
/// Device secrets for sign-in, remembered after the first look-up: a fleet reconnecting after an outage signs
/// in ten thousand times a minute. Unknown devices are not remembered, so a device registered later can sign in.
/// </summary>
public sealed class DeviceSecrets(IDbContextFactory<OtaDbContext> dbs)
{
    private readonly ConcurrentDictionary<DeviceKey, string> _known = new();

    public async ValueTask<string?> FindAsync(DeviceKey key, CancellationToken ct = default)
    {
        if (_known.TryGetValue(key, out var secret))
            return secret;
        await using var db = await dbs.CreateDbContextAsync(ct);
        secret = await db.Devices.AsNoTracking()
            .Where(d => d.ProductKey == key.ProductKey && d.DeviceName == key.DeviceName)
            .Select(d => d.DeviceSecret).FirstOrDefaultAsync(ct);
        if (secret is not null)
            _known[key] = secret;
        return secret;
    }
}
