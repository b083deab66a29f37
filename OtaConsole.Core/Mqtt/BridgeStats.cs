using OtaConsole.Core.Devices;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Mqtt;

/// <summary>What the device bridge accepted and refused, since start. Read by the metrics (OtaMetrics) and by tests.</summary>
public sealed class BridgeStats
{
    private long _connectsAccepted, _connectsRefused, _publishesRefused, _subscriptionsRefused, _eventsAccepted, _messagesIgnored, _noticesFailed;
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _refusedBy = new long[Enum.GetValues<SignInFailure>().Length];
    private readonly long[] _noticesSent = new long[Enum.GetValues<NoticeCause>().Length];

    public long ConnectsAccepted => Interlocked.Read(ref _connectsAccepted);
    public long ConnectsRefused => Interlocked.Read(ref _connectsRefused);
    public long PublishesRefused => Interlocked.Read(ref _publishesRefused);
    public long SubscriptionsRefused => Interlocked.Read(ref _subscriptionsRefused);
    public long EventsAccepted => Interlocked.Read(ref _eventsAccepted);
    /// <summary>Messages on the device's own topics that are not for OTA (deviceinfo, config, …).</summary>
    public long MessagesIgnored => Interlocked.Read(ref _messagesIgnored);
    /// <summary>Notices handed to the broker, all causes (first pushes and re-sends).</summary>
    public long NoticesSent => _noticesSent.Sum(n => Interlocked.Read(ref n));
    public long NoticesSentFor(NoticeCause cause) => Interlocked.Read(ref _noticesSent[(int)cause]);
    /// <summary>Notices handed to the broker again for a task that was already pushed (a reconnect, a retry, a re-notice, a redelivery).</summary>
    public long NoticesResent => NoticesSent - NoticesSentFor(NoticeCause.Push);
    /// <summary>Notices and replies that could not be handed to the broker or that it dropped: not counted as sent.</summary>
    public long NoticesFailed => Interlocked.Read(ref _noticesFailed);
    public long Dropped(DropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);
    public long SignInsRefused(SignInFailure reason) => Interlocked.Read(ref _refusedBy[(int)reason]);
    public long DroppedTotal => _dropped.Sum(d => Interlocked.Read(ref d));

    internal void ConnectAccepted() => Interlocked.Increment(ref _connectsAccepted);
    internal void ConnectRefused(SignInFailure reason)
    {
        Interlocked.Increment(ref _connectsRefused);
        Interlocked.Increment(ref _refusedBy[(int)reason]);
    }
    internal void PublishRefused() => Interlocked.Increment(ref _publishesRefused);
    internal void SubscriptionRefused() => Interlocked.Increment(ref _subscriptionsRefused);
    internal void EventAccepted() => Interlocked.Increment(ref _eventsAccepted);
    internal void MessageIgnored() => Interlocked.Increment(ref _messagesIgnored);
    internal void NoticeSent(NoticeCause cause) => Interlocked.Increment(ref _noticesSent[(int)cause]);
    internal void NoticeFailed() => Interlocked.Increment(ref _noticesFailed);
    internal void Drop(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);
}
