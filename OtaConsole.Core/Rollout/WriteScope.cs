using Microsoft.EntityFrameworkCore;
using OtaConsole.Core.Model;
using OtaConsole.Core.Persistence;
using OtaConsole.Core.Security;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Rollout;

/// <summary>
/// One step of the single writer: one DbContext, one transaction, one change set. Batches and packages are
/// tracked by EF; tasks are loaded untracked into an identity map and stored by <see cref="EngineStore"/>.
/// </summary>
public sealed class WriteScope
{
    private readonly Dictionary<string, Batch?> _batches = [];
    private readonly Dictionary<string, UpdatePackage?> _packages = [];
    private readonly Dictionary<long, UpdateTask> _tasks = [];

    internal WriteScope(OtaDbContext db, DateTimeOffset now, RolloutOptions options)
    {
        Db = db;
        Store = EngineStore.For(db);
        Options = options;
        Changes = new TaskChangeSet(now, options.Timing);
    }

    public RolloutOptions Options { get; }

    /// <summary>
    /// Whose command this step runs: batches, packages and tasks of products outside the actor's scope are not
    /// found. The console's own work (device events, the scheduler) runs as <see cref="Actor.System"/>, which sees all.
    /// </summary>
    public Actor Actor { get; internal set; } = Actor.System;

    public OtaDbContext Db { get; }
    internal EngineStore Store { get; }
    public TaskChangeSet Changes { get; }
    public DateTimeOffset Now => Changes.Now;

    public List<FirmwareReply> Replies { get; } = [];
    public HashSet<string> TouchedBatches { get; } = [];
    /// <summary>Names of new specified-devices batches that are not devices, inserted with the step.</summary>
    public List<BatchUnknownDevice> UnknownDevices { get; } = [];
    public HashSet<string> TouchedPackages { get; } = [];
    public bool DevicesChanged { get; set; }
    /// <summary>The step's rollout events, in the order they happened; written to the outbox with the step (<see cref="Webhooks.Outbox"/>).</summary>
    internal List<Webhooks.OutboxEvent> Outbox { get; } = [];
    /// <summary>Per-step memo for lookups several events share (dynamic policies of a product, a group's sub-groups).</summary>
    internal Dictionary<string, object> Memo { get; } = [];
    internal Dictionary<long, (bool Online, DateTimeOffset? Stamp)> Presence { get; } = [];
    internal Dictionary<(long DeviceId, string Module), string> Versions { get; } = [];

    public IEnumerable<Batch> LoadedBatches => _batches.Values.OfType<Batch>();

    public async ValueTask<Batch?> FindBatchAsync(string id, CancellationToken ct)
    {
        if (!_batches.TryGetValue(id, out var b))
            _batches[id] = b = await Db.Batches.FirstOrDefaultAsync(x => x.Id == id, ct);
        return b is not null && Actor.Sees(b.ProductKey) ? b : null;
    }

    public async ValueTask<Batch> BatchAsync(string id, CancellationToken ct) =>
        await FindBatchAsync(id, ct) ?? throw OtaException.NotFound("Job", id);

    /// <summary>Batches loaded by a query join the scope's map, so each batch has one instance per step.</summary>
    public async Task<List<Batch>> LoadBatchesAsync(IQueryable<Batch> query, CancellationToken ct)
    {
        var list = await query.VisibleTo(Actor).ToListAsync(ct);
        for (var i = 0; i < list.Count; i++)
        {
            if (_batches.TryGetValue(list[i].Id, out var known) && known is not null)
                list[i] = known;
            else
                _batches[list[i].Id] = list[i];
        }
        return list;
    }

    public void AddBatch(Batch batch)
    {
        Db.Batches.Add(batch);
        _batches[batch.Id] = batch;
        Webhooks.OtaEvents.Batch(this, batch, Webhooks.OtaEventTypes.BatchCreated);
        if (batch.Status == BatchStatus.InProgress)
            Webhooks.OtaEvents.Batch(this, batch, Webhooks.OtaEventTypes.BatchStarted);
        TouchedBatches.Add(batch.Id);
        TouchedPackages.Add(batch.PackageId);
    }

    public async ValueTask<UpdatePackage?> FindPackageAsync(string id, CancellationToken ct)
    {
        if (!_packages.TryGetValue(id, out var p))
            _packages[id] = p = await Db.Packages.FirstOrDefaultAsync(x => x.Id == id, ct);
        return p is not null && Actor.Sees(p.ProductKey) ? p : null;
    }

    public async ValueTask<UpdatePackage> PackageAsync(string id, CancellationToken ct) =>
        await FindPackageAsync(id, ct) ?? throw OtaException.NotFound("Firmware", id);

    /// <summary>Runs a task query untracked; a task already loaded in this step keeps its one instance.</summary>
    public async Task<List<UpdateTask>> LoadTasksAsync(IQueryable<UpdateTask> query, CancellationToken ct) =>
        Adopt(await query.VisibleTo(Actor).AsNoTracking().ToListAsync(ct));

    /// <summary>The unfinished tasks of the given devices, through the store's fast path.</summary>
    internal async Task<List<UpdateTask>> UnfinishedTasksOfAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct) =>
        Adopt(await Store.UnfinishedOfDevicesAsync(deviceIds, ct));

    private List<UpdateTask> Adopt(List<UpdateTask> list)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (_tasks.TryGetValue(list[i].Id, out var known))
                list[i] = known;
            else
                _tasks[list[i].Id] = list[i];
        }
        return list;
    }

    /// <summary>A device's presence to write; <paramref name="stamp"/> is the broker's time of it (kept if a later change in the step has none).</summary>
    public void SetPresence(long deviceId, bool online, DateTimeOffset? stamp = null)
    {
        if (stamp is null && Presence.TryGetValue(deviceId, out var earlier))
            stamp = earlier.Stamp;
        Presence[deviceId] = (online, stamp);
        DevicesChanged = true;
    }

    public void SetVersion(long deviceId, string module, string version)
    {
        Versions[(deviceId, module)] = version;
        DevicesChanged = true;
    }

    /// <summary>Builds the notice for a task from its batch and package.</summary>
    public async ValueTask<UpdateNotice> NoticeAsync(UpdateTask task, NoticeCause cause, CancellationToken ct) =>
        UpdateNotice.For(task, await BatchAsync(task.BatchId, ct), await PackageAsync(task.PackageId, ct), cause);
}
