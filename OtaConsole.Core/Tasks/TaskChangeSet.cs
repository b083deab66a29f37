using OtaConsole.Core.Model;

namespace OtaConsole.Core.Tasks;

/// <summary>Why a notice goes out to a device.</summary>
public enum NoticeCause
{
    /// <summary>First push of a queued task.</summary>
    Push,
    /// <summary>The device came back online with a pushed task.</summary>
    Reconnect,
    /// <summary>An automatic retry after a failure.</summary>
    Retry,
    /// <summary>A Pushed task showed no progress for a while.</summary>
    Renotice,
    /// <summary>The last notice could not be handed to the broker.</summary>
    Redeliver,
}

public readonly record struct NoticeRequest(UpdateTask Task, NoticeCause Cause);

/// <summary>Per-batch effect of one change set: status count deltas and first pushes, for the batch and each of its waves.</summary>
public sealed class BatchDelta
{
    private static readonly int StatusCount = Enum.GetValues<OtaTaskStatus>().Length;
    private readonly int[] _counts = new int[StatusCount];
    private Dictionary<int, int[]>? _waves;
    private HashSet<int>? _pushedWaves;

    public int Pushed { get; internal set; }
    public int Count(OtaTaskStatus status) => _counts[(int)status];

    internal void Add(OtaTaskStatus status, int n, int wave)
    {
        _counts[(int)status] += n;
        if (wave <= 0)
            return;
        _waves ??= [];
        if (!_waves.TryGetValue(wave, out var counts))
            _waves[wave] = counts = new int[StatusCount];
        counts[(int)status] += n;
    }

    internal void AddPush(int wave)
    {
        Pushed++;
        if (wave > 0)
            (_pushedWaves ??= []).Add(wave);
    }

    public void ApplyTo(Batch batch, DateTimeOffset now)
    {
        foreach (var s in Enum.GetValues<OtaTaskStatus>())
            batch.Counts[s] += _counts[(int)s];
        batch.PushedCount += Pushed;
        foreach (var (wave, counts) in _waves ?? [])
        {
            if (wave > batch.Waves.Count)
                continue;
            var target = batch.Waves[wave - 1].Counts;
            foreach (var s in Enum.GetValues<OtaTaskStatus>())
                target[s] += counts[(int)s];
        }
        foreach (var wave in _pushedWaves ?? [])
            if (wave <= batch.Waves.Count)
                batch.Waves[wave - 1].LastPushAt = now;
    }
}

/// <summary>
/// Everything one writer step changes: new and changed tasks, their timeline lines, the notices to send
/// once it is committed, and how each batch's counters move. The state machine fills it; the writer stores it.
/// </summary>
public sealed class TaskChangeSet(DateTimeOffset now, Rollout.NoticeTiming? timing = null)
{
    private readonly HashSet<UpdateTask> _updated = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, BatchDelta> _batches = [];
    private readonly HashSet<string> _taskBatches = [];
    private readonly HashSet<UpdateTask> _moved = new(ReferenceEqualityComparer.Instance);

    public DateTimeOffset Now { get; } = now;
    /// <summary>When notices go out again by themselves (reconnect grace, re-send interval, re-notice of silent tasks).</summary>
    public Rollout.NoticeTiming Timing { get; } = timing ?? Rollout.NoticeTiming.Default;
    public List<UpdateTask> Created { get; } = [];
    public IReadOnlyCollection<UpdateTask> Updated => _updated;
    /// <summary>Tasks whose status changed in this step (created ones too, when they moved on at once).</summary>
    public IReadOnlyCollection<UpdateTask> Moved => _moved;
    public List<TaskEvent> Events { get; } = [];
    public List<NoticeRequest> Notices { get; } = [];
    public IReadOnlyDictionary<string, BatchDelta> Batches => _batches;

    /// <summary>The counter moves so far, handed over once: changes made after this (a rule's cancel) make new ones.</summary>
    internal List<(string BatchId, BatchDelta Delta)> TakeDeltas()
    {
        var taken = _batches.Select(kv => (kv.Key, kv.Value)).ToList();
        _batches.Clear();
        return taken;
    }
    /// <summary>Batches any of whose tasks changed in this step, a progress step that moves no counter included.</summary>
    public IReadOnlySet<string> TaskBatches => _taskBatches;

    public bool IsEmpty => Created.Count == 0 && _updated.Count == 0 && Events.Count == 0 && Notices.Count == 0;

    internal void MarkCreated(UpdateTask task)
    {
        Created.Add(task);
        Delta(task.BatchId).Add(task.Status, 1, task.Wave);
    }

    internal void MarkUpdated(UpdateTask task)
    {
        task.ModifiedAt = Now;
        _taskBatches.Add(task.BatchId);
        // A task created in this same step is inserted with its final values; no update needed.
        if (task.Id != 0)
            _updated.Add(task);
    }

    internal void MarkMoved(UpdateTask task, OtaTaskStatus from, OtaTaskStatus to)
    {
        _moved.Add(task);
        var d = Delta(task.BatchId);
        d.Add(from, -1, task.Wave);
        d.Add(to, 1, task.Wave);
        if (from == OtaTaskStatus.Queued && to == OtaTaskStatus.Notified)
            d.AddPush(task.Wave);
    }

    internal void Record(UpdateTask task, TaskEventKind kind, OtaTaskStatus? from, OtaTaskStatus? to, string detail)
    {
        // New tasks have no id until stored; their creation is shown from the task row itself.
        if (task.Id != 0)
            Events.Add(new TaskEvent { TaskId = task.Id, At = Now, Kind = kind, FromStatus = from, ToStatus = to, Detail = detail });
    }

    private BatchDelta Delta(string batchId)
    {
        if (!_batches.TryGetValue(batchId, out var d))
            _batches[batchId] = d = new BatchDelta();
        return d;
    }
}
