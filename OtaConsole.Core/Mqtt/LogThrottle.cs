namespace OtaConsole.Core.Mqtt;

/// <summary>
/// At most one log line a minute per device and kind of refusal, so a device that keeps sending bad input cannot
/// flood the log; the line that is written says how many were not. Memory is bounded: past
/// <see cref="MaxSources"/> senders in a minute, the others share one line per kind.
/// </summary>
public sealed class LogThrottle(TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    public const int MaxSources = 10_000;
    private const string Others = "(others)";

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Kind, string Source), Entry> _entries = [];
    private DateTimeOffset _nextSweep;

    private sealed class Entry(DateTimeOffset since)
    {
        public DateTimeOffset Since = since;
        public long Suppressed;
    }

    internal int Count
    {
        get
        {
            lock (_gate)
                return _entries.Count;
        }
    }

    /// <summary>Whether a line of this kind from this source may be written now; if so, how many were held back since the last one.</summary>
    public bool ShouldLog(string kind, string source, out long suppressed)
    {
        var now = time.GetUtcNow();
        suppressed = 0;
        lock (_gate)
        {
            if (!_entries.ContainsKey((kind, source)) && _entries.Count >= MaxSources)
            {
                Sweep(now);
                if (_entries.Count >= MaxSources)
                    source = Others;
            }
            if (!_entries.TryGetValue((kind, source), out var e))
            {
                _entries[(kind, source)] = new Entry(now);
                return true;
            }
            if (now - e.Since < Window)
            {
                e.Suppressed++;
                return false;
            }
            suppressed = e.Suppressed;
            e.Since = now;
            e.Suppressed = 0;
            return true;
        }
    }

    /// <summary>Forgets sources quiet for a minute (what they had held back goes unreported), at most once every few seconds.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now < _nextSweep)
            return;
        _nextSweep = now + TimeSpan.FromSeconds(5);
        foreach (var (key, e) in _entries.ToList())
            if (now - e.Since >= Window)
                _entries.Remove(key);
    }
}
