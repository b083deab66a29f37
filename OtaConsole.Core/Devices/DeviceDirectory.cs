using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Devices;

/// <summary>
/// Maps a device's wire name (ProductKey, DeviceName) to its row id, remembering what it has looked up:
/// a device event names the device, and a rollout applies thousands of them a second.
/// Devices are never renamed; a deleted device is forgotten with <see cref="Forget"/>.
/// </summary>
public sealed class DeviceDirectory
{
    private readonly ConcurrentDictionary<DeviceKey, long> _ids = new();

    public async Task<Dictionary<DeviceKey, long>> ResolveAsync(OtaDbContext db, IEnumerable<DeviceKey> keys, CancellationToken ct)
    {
        var result = new Dictionary<DeviceKey, long>();
        var missing = new HashSet<DeviceKey>();
        foreach (var k in keys)
        {
            if (_ids.TryGetValue(k, out var id))
                result[k] = id;
            else
                missing.Add(k);
        }
        foreach (var product in missing.GroupBy(k => k.ProductKey))
        {
            var names = product.Select(k => k.DeviceName).ToList();
            var rows = await db.Devices.AsNoTracking()
                .Where(d => d.ProductKey == product.Key && names.Contains(d.DeviceName))
                .Select(d => new { d.DeviceName, d.Id })
                .ToListAsync(ct);
            foreach (var row in rows)
            {
                var key = new DeviceKey(product.Key, row.DeviceName);
                _ids[key] = row.Id;
                result[key] = row.Id;
            }
        }
        return result;
    }

    public void Forget(DeviceKey key) => _ids.TryRemove(key, out _);
}
