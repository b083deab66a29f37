using Microsoft.Extensions.Options;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Components.Shared;

/// <summary>How often a page may re-render from change notifications.</summary>
public sealed class LiveOptions
{
    public TimeSpan MinimumInterval { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Pages that follow a whole fleet or batch (the Overview's counts, Data analysis' GROUP BYs, Batch Details during
    /// a burst of progress) re-query and re-render at most this often.
    /// </summary>
    public TimeSpan CostlyMinimumInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Live pages: a page subscribes with what it cares about and how it refreshes; changes from the engine are
/// passed on at most once per interval, however fast devices report (a leading call, then one trailing call for
/// everything that arrived meanwhile). The subscription ends when the page disposes it.
/// </summary>
public sealed class LiveUpdates(OtaChangeFeed feed, TimeProvider time, IOptions<LiveOptions> options)
{
    /// <param name="costly">The reload scans the fleet: at most one per <see cref="LiveOptions.CostlyMinimumInterval"/>.</param>
    public IDisposable Subscribe(Func<OtaChange, bool> relevant, Func<Task> refresh, bool costly = false)
    {
        var interval = options.Value.MinimumInterval;
        if (costly && interval < options.Value.CostlyMinimumInterval)
            interval = options.Value.CostlyMinimumInterval;
        var throttle = new Throttle(refresh, interval, time);
        var subscription = feed.Subscribe(change =>
        {
            if (relevant(change))
                throttle.Request();
        });
        return new Both(subscription, throttle);
    }

    private sealed class Both(IDisposable a, IDisposable b) : IDisposable
    {
        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }
    }

    /// <summary>At most one call per interval; requests meanwhile collapse into one trailing call.</summary>
    internal sealed class Throttle(Func<Task> action, TimeSpan interval, TimeProvider time) : IDisposable
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _last = DateTimeOffset.MinValue;
        private ITimer? _timer;
        private bool _disposed;

        public void Request()
        {
            lock (_gate)
            {
                if (_disposed || _timer is not null)
                    return;
                var wait = _last + interval - time.GetUtcNow();
                if (wait <= TimeSpan.Zero)
                {
                    Fire();
                    return;
                }
                _timer = time.CreateTimer(_ =>
                {
                    lock (_gate)
                    {
                        _timer?.Dispose();
                        _timer = null;
                        if (!_disposed)
                            Fire();
                    }
                }, null, wait, Timeout.InfiniteTimeSpan);
            }
        }

        private void Fire()
        {
            _last = time.GetUtcNow();
            _ = action();
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _timer?.Dispose();
                _timer = null;
            }
        }
    }
}
