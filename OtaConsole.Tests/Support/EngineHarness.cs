using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OtaConsole.Core;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Packages;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;

namespace OtaConsole.Tests.Support;

/// <summary>
/// The core wired as the console wires it, on a real SQLite file and fake time. Tests move the clock and call
/// <see cref="TickAsync"/> themselves: nothing runs in the background, nothing sleeps.
/// </summary>
public sealed class EngineHarness : IDisposable
{
    public const string ProductKey = "a1PKtest001";

    public EngineHarness(TestDatabase? database = null, FakeTimeProvider? time = null, RolloutOptions? rollout = null)
    {
        Database = database ?? new TestDatabase();
        OwnsDatabase = database is null;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
        var options = Options.Create(new OtaOptions { DataDirectory = Database.Folder });
        Engine = new RolloutEngine(new EngineWriter(Database, Time, Gateway, Feed, NullLogger<EngineWriter>.Instance, rollout is null ? null : Options.Create(rollout)), Database, Directory);
        Audited = new AuditedWrites(Database, Time);
        Catalog = new CatalogService(Database, Time, Feed, Audited, Secrets);
        Files = new PackageFileStore(options);
        Packages = new PackageService(Database, Files, Time, Feed, Audited);
    }

    public TestDatabase Database { get; }
    public AuditedWrites Audited { get; }
    /// <summary>Device secrets' encryption, with keys that live as long as the harness.</summary>
    public SecretProtector Secrets { get; } = new(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider());
    private bool OwnsDatabase { get; }
    public FakeTimeProvider Time { get; }
    public RecordingGateway Gateway { get; } = new();
    public OtaChangeFeed Feed { get; } = new();
    public DeviceDirectory Directory { get; } = new();
    public RolloutEngine Engine { get; }
    public CatalogService Catalog { get; }
    public PackageFileStore Files { get; }
    public PackageService Packages { get; }
    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>A product with the default module and an "MCU" module.</summary>
    public async Task ProductAsync()
    {
        await Catalog.CreateProductAsync(Actor.System, "Test product", ProductKey);
        await Catalog.CreateModuleAsync(Actor.System, ProductKey, "MCU");
    }

    /// <summary>Registers devices dev-000.. and, when given, reports their version and brings them online.</summary>
    public async Task<List<string>> DevicesAsync(int count, string? version = "1.0.0", bool online = true, string prefix = "dev", string? groupId = null)
    {
        var names = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D3}").ToList();
        var result = await Catalog.RegisterDevicesAsync(Actor.System, ProductKey, names.Select(n => new DeviceRegistration(n, GroupId: groupId)).ToList());
        Assert.Empty(result.Rejected);
        var events = new List<DeviceEvent>();
        foreach (var n in names)
        {
            // A device reports its version while connected; an offline one has since disconnected.
            if (online || version is not null)
                events.Add(new DeviceConnected(Key(n)));
            if (version is not null)
                events.Add(new VersionReported(Key(n), OtaModule.Default, version));
            if (!online && version is not null)
                events.Add(new DeviceDisconnected(Key(n)));
        }
        if (events.Count > 0)
            await Engine.ApplyDeviceEventsAsync(events);
        return names;
    }

    public static DeviceKey Key(string deviceName) => new(ProductKey, deviceName);

    public async Task<UpdatePackage> PackageAsync(string dest = "2.0.0", bool needToVerify = false, PackageType type = PackageType.Full,
        string? src = null, string module = OtaModule.Default, string? name = null, int files = 1, string? udi = null)
    {
        var uploads = Enumerable.Range(0, files)
            .Select(i => new PackageFileUpload($"fw-{dest}-{i}.bin", new MemoryStream(Encoding.UTF8.GetBytes($"firmware {dest} part {i}"))))
            .ToList();
        return await Packages.CreateAsync(Actor.System, new CreatePackageRequest
        {
            ProductKey = ProductKey,
            Name = name ?? $"fw-{module}-{dest.Replace('.', '_')}-{Guid.NewGuid():N}"[..40].TrimEnd('-'),
            DestVersion = dest,
            SrcVersion = src,
            Type = type,
            ModuleName = module,
            NeedToVerify = needToVerify,
            Udi = udi,
            Files = uploads,
        });
    }

    public Task<BatchCreated> BatchAsync(string packageId, Func<CreateBatchRequest, CreateBatchRequest>? configure = null)
    {
        var r = new CreateBatchRequest { PackageId = packageId };
        return Engine.CreateBatchAsync(Actor.System, configure is null ? r : configure(r));
    }

    public Task TickAsync() => Engine.TickAsync();

    /// <summary>
    /// The harness ticks once a virtual second, not at the scheduler's quarter second: pacing is a function of time,
    /// so a minute holds the same pushes either way, and long spans of fake time cost a quarter of the ticks.
    /// </summary>
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    /// <summary>Moves fake time forward <see cref="Step"/> at a time, ticking after each step.</summary>
    public async Task AdvanceAsync(TimeSpan span)
    {
        var end = Now + span;
        while (Now < end)
        {
            var step = end - Now < Step ? end - Now : Step;
            Time.Advance(step);
            await Engine.TickAsync();
        }
    }

    public Task ReportAsync(params DeviceEvent[] events) => Engine.ApplyDeviceEventsAsync(events);

    public Task ProgressAsync(string device, int step, string? module = null, string? desc = null) =>
        Engine.ApplyDeviceEventsAsync([new ProgressReported(Key(device), module, step, desc)]);

    public Task VersionAsync(string device, string version, string module = OtaModule.Default) =>
        Engine.ApplyDeviceEventsAsync([new VersionReported(Key(device), module, version)]);

    public async Task<UpdateTask> TaskAsync(string batchId, string device)
    {
        await using var db = Database.CreateDbContext();
        return await db.Tasks.AsNoTracking().SingleAsync(t => t.BatchId == batchId && t.DeviceName == device);
    }

    public async Task<List<UpdateTask>> TasksAsync(string batchId)
    {
        await using var db = Database.CreateDbContext();
        return await db.Tasks.AsNoTracking().Where(t => t.BatchId == batchId).OrderBy(t => t.Id).ToListAsync();
    }

    public async Task<Batch> GetBatchAsync(string batchId)
    {
        await using var db = Database.CreateDbContext();
        return await db.Batches.AsNoTracking().SingleAsync(b => b.Id == batchId);
    }

    public async Task<UpdatePackage> GetPackageAsync(string packageId)
    {
        await using var db = Database.CreateDbContext();
        return await db.Packages.AsNoTracking().SingleAsync(p => p.Id == packageId);
    }

    public async Task<List<TaskEvent>> EventsAsync(long taskId)
    {
        await using var db = Database.CreateDbContext();
        return await db.TaskEvents.AsNoTracking().Where(e => e.TaskId == taskId).OrderBy(e => e.Id).ToListAsync();
    }

    public void Dispose()
    {
        if (OwnsDatabase)
            Database.Dispose();
    }
}
