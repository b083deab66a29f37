using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Persistence;

namespace OtaConsole.Core.Mqtt;

/// <summary>
/// Serves MQTT-download block requests off the receive path. A device gets blocks only of a package it has a
/// pushed or updating task for; anything it may not have, or that is out of range, gets no reply, as the SDK
/// expects (it re-requests, then reports -4).
/// </summary>
public sealed class MqttDownloads(
    IDbContextFactory<OtaDbContext> dbs,
    PackageFileStore store,
    MqttDeviceGateway gateway,
    TimeProvider time,
    ILogger<MqttDownloads> log) : BackgroundService
{
    private static readonly TimeSpan GrantLifetime = TimeSpan.FromMinutes(1);
    private readonly Channel<FileBlockRequest> _requests = Channel.CreateBounded<FileBlockRequest>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    // Which device may read which file, checked once a minute rather than per 5 KB block.
    private readonly ConcurrentDictionary<(DeviceKey, long), (PackageFile File, DateTimeOffset Until)> _grants = new();
    // Expired grants of devices that stopped asking are swept once per grant lifetime, so the map stays the size of the downloads in flight.
    private DateTimeOffset _nextSweep;

    /// <summary>Hands a request over; false when the queue is full (the device asks again after 10 s).</summary>
    public bool TryEnqueue(FileBlockRequest request) => _requests.Writer.TryWrite(request);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var r in _requests.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await ServeAsync(r, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Could not serve block {Offset} of stream {Stream} to {Device}", r.Offset, r.StreamId, r.Device);
            }
        }
    }

    private async Task ServeAsync(FileBlockRequest r, CancellationToken ct)
    {
        if (r.FileId != 1 || await GrantedAsync(r, ct) is not PackageFile file || r.Offset >= file.Size)
        {
            log.LogDebug("Not serving block {Offset} of stream {Stream} to {Device}", r.Offset, r.StreamId, r.Device);
            return;
        }
        var block = new byte[(int)Math.Min(r.Size, file.Size - r.Offset)];
        using (SafeFileHandle handle = File.OpenHandle(store.FullPath(file.StoragePath)))
        {
            var read = 0;
            while (read < block.Length)
            {
                var n = await RandomAccess.ReadAsync(handle, block.AsMemory(read), r.Offset + read, ct);
                if (n == 0)
                    return;
                read += n;
            }
        }
        // Published by the downlink publisher, in order with the device's other messages.
        gateway.TrySend(r.Device, AlinkTopics.FileDownloadReply(r.Device), MqttDownloadCodec.EncodeReply(r, file.Size, block));
    }

    private async Task<PackageFile?> GrantedAsync(FileBlockRequest r, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_grants.TryGetValue((r.Device, r.StreamId), out var grant) && grant.Until > now)
            return grant.File;
        if (now >= _nextSweep)
        {
            foreach (var (key, g) in _grants)
                if (g.Until <= now)
                    _grants.TryRemove(key, out _);
            _nextSweep = now + GrantLifetime;
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        var file = await db.PackageFiles.AsNoTracking().FirstOrDefaultAsync(f => f.Id == r.StreamId, ct);
        if (file is null)
            return null;
        var pushed = await db.Tasks.AnyAsync(t => t.ProductKey == r.Device.ProductKey && t.DeviceName == r.Device.DeviceName && t.PackageId == file.PackageId
            && (t.Status == OtaTaskStatus.Notified || t.Status == OtaTaskStatus.InProgress), ct);
        if (!pushed)
            return null;
        _grants[(r.Device, r.StreamId)] = (file, now + GrantLifetime);
        return file;
    }
}
