namespace OtaConsole.Core.Rollout;

/// <summary>What one committed writer step touched, for live pages.</summary>
public sealed record OtaChange(IReadOnlySet<string> BatchIds, IReadOnlySet<string> PackageIds, bool DevicesChanged, bool CatalogChanged = false);

/// <summary>
/// A singleton that tells subscribers (live pages) what changed after each commit. Subscribers are called on
/// the writer's thread and must return at once: a page marshals to its renderer with InvokeAsync and throttles.
/// </summary>
public sealed class OtaChangeFeed
{
    private readonly Lock _gate = new();
    private Action<OtaChange>[] _subscribers = [];

    public IDisposable Subscribe(Action<OtaChange> onChange)
    {
        lock (_gate)
            _subscribers = [.. _subscribers, onChange];
        return new Subscription(this, onChange);
    }

    public void Publish(OtaChange change)
    {
        foreach (var s in Volatile.Read(ref _subscribers))
        {
            try
            {
                s(change);
            }
            catch (Exception)
            {
                // A broken subscriber (a page mid-teardown) must not stop the engine or the other pages.
            }
        }
    }

    private void Unsubscribe(Action<OtaChange> onChange)
    {
        lock (_gate)
            _subscribers = _subscribers.Where(s => s != onChange).ToArray();
    }

    private sealed class Subscription(OtaChangeFeed feed, Action<OtaChange> onChange) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                feed.Unsubscribe(onChange);
        }
    }
}
