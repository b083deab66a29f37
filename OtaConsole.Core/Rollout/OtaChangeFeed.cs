namespace OtaConsole.Core.Rollout;

/// <summary>
/// What one committed writer step touched, for live pages. <see cref="BatchIds"/>: batches whose state or counters
/// moved. <see cref="TaskBatchIds"/>: batches any of whose tasks changed, progress alone included: only a page that
/// shows per-task progress (Batch Details) needs those.
/// </summary>
public sealed record OtaChange(IReadOnlySet<string> BatchIds, IReadOnlySet<string> PackageIds, bool DevicesChanged, bool CatalogChanged = false,
    IReadOnlySet<string>? TaskBatchIds = null)
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    public IReadOnlySet<string> TaskBatchIds { get; init; } = TaskBatchIds ?? None;

    /// <summary>Whether anything of the batch changed, a task's progress included.</summary>
    public bool TouchesBatch(string batchId) => BatchIds.Contains(batchId) || TaskBatchIds.Contains(batchId);

    /// <summary>Everything this change and a later one touched together.</summary>
    public OtaChange Merge(OtaChange later) => new(
        Union(BatchIds, later.BatchIds),
        Union(PackageIds, later.PackageIds),
        DevicesChanged || later.DevicesChanged,
        CatalogChanged || later.CatalogChanged,
        Union(TaskBatchIds, later.TaskBatchIds));

    private static IReadOnlySet<string> Union(IReadOnlySet<string> a, IReadOnlySet<string> b)
    {
        if (b.Count == 0 || a.IsSupersetOf(b))
            return a;
        if (a.Count == 0)
            return b;
        var set = new HashSet<string>(a);
        set.UnionWith(b);
        return set;
    }
}

/// <summary>
/// A singleton that tells subscribers (live pages) what changed after each commit. Publishing never runs a
/// subscriber: each subscriber is called on the thread pool, one call at a time, and changes that arrive while
/// it is busy are merged into its next call. So a slow or blocked page never holds up the engine, and a page's
/// reload never runs on the writer's thread.
/// </summary>
public sealed class OtaChangeFeed
{
    private readonly Lock _gate = new();
    private Subscriber[] _subscribers = [];
    private long _catalogVersion;

    /// <summary>
    /// Moves on, at once, with every published catalog change (products, devices): for caches that must not outlive
    /// one, and cannot wait for their subscriber to be called.
    /// </summary>
    public long CatalogVersion => Interlocked.Read(ref _catalogVersion);

    public IDisposable Subscribe(Action<OtaChange> onChange)
    {
        var s = new Subscriber(this, onChange);
        lock (_gate)
            _subscribers = [.. _subscribers, s];
        return s;
    }

    /// <summary>
    /// Receives every change made on this node, for the other nodes (PostgreSQL's change relay); null on a
    /// single node. Called on the publisher's thread: it must only hand the change on.
    /// </summary>
    public Action<OtaChange>? Outgoing { get; set; }

    public void Publish(OtaChange change)
    {
        PublishHere(change);
        Outgoing?.Invoke(change);
    }

    /// <summary>A change another node committed: for this node's pages, not sent on again.</summary>
    public void PublishFromOtherNode(OtaChange change) => PublishHere(change);

    private void PublishHere(OtaChange change)
    {
        if (change.CatalogChanged)
            Interlocked.Increment(ref _catalogVersion);
        foreach (var s in Volatile.Read(ref _subscribers))
            s.Post(change);
    }

    private void Unsubscribe(Subscriber s)
    {
        lock (_gate)
            _subscribers = _subscribers.Where(x => x != s).ToArray();
    }

    private sealed class Subscriber(OtaChangeFeed feed, Action<OtaChange> onChange) : IDisposable, IThreadPoolWorkItem
    {
        private readonly Lock _gate = new();
        private OtaChange? _pending;
        private bool _running;
        private bool _disposed;

        public void Post(OtaChange change)
        {
            lock (_gate)
            {
                if (_disposed)
                    return;
                _pending = _pending is null ? change : _pending.Merge(change);
                if (_running)
                    return;
                _running = true;
            }
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        public void Execute()
        {
            while (true)
            {
                OtaChange next;
                lock (_gate)
                {
                    if (_pending is null || _disposed)
                    {
                        _pending = null;
                        _running = false;
                        return;
                    }
                    next = _pending;
                    _pending = null;
                }
                try
                {
                    onChange(next);
                }
                catch (Exception)
                {
                    // A broken subscriber (a page mid-teardown) must not stop the feed for itself or the others.
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed)
                    return;
                _disposed = true;
            }
            feed.Unsubscribe(this);
        }
    }
}
