namespace OtaConsole.Core.Mqtt;

/// <summary>What the device bridge accepted and refused, since start. Read by the console and by tests.</summary>
public sealed class BridgeStats
{
    private long _connectsAccepted, _connectsRefused, _publishesRefused, _subscriptionsRefused, _eventsAccepted, _messagesIgnored, _noticesSent, _noticesDropped;
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];

    public long ConnectsAccepted => Interlocked.Read(ref _connectsAccepted);
    public long ConnectsRefused => Interlocked.Read(ref _connectsRefused);
    public long PublishesRefused => Interlocked.Read(ref _publishesRefused);
    public long SubscriptionsRefused => Interlocked.Read(ref _subscriptionsRefused);
    public long EventsAccepted => Interlocked.Read(ref _eventsAccepted);
    /// <summary>Messages on the device's own topics that are not for OTA (deviceinfo, config, …).</summary>
    public long MessagesIgnored => Interlocked.Read(ref _messagesIgnored);
    public long NoticesSent => Interlocked.Read(ref _noticesSent);
    /// <summary>Notices that could not be handed to a broker (the external broker was unreachable).</summary>
    public long NoticesDropped => Interlocked.Read(ref _noticesDropped);
    public long Dropped(DropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);
    public long DroppedTotal => _dropped.Sum(d => Interlocked.Read(ref d));

    internal void ConnectAccepted() => Interlocked.Increment(ref _connectsAccepted);
    internal void ConnectRefused() => Interlocked.Increment(ref _connectsRefused);
    internal void PublishRefused() => Interlocked.Increment(ref _publishesRefused);
    internal void SubscriptionRefused() => Interlocked.Increment(ref _subscriptionsRefused);
    internal void EventAccepted() => Interlocked.Increment(ref _eventsAccepted);
    internal void MessageIgnored() => Interlocked.Increment(ref _messagesIgnored);
    internal void NoticeSent() => Interlocked.Increment(ref _noticesSent);
    internal void NoticeDropped() => Interlocked.Increment(ref _noticesDropped);
    internal void Drop(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);
}
