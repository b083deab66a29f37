using OtaConsole.Core.Devices;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Tasks;

namespace OtaConsole.Core.Mqtt;

/// <summary>What the device bridge accepted and refused, since start. Read by the metrics (OtaMetrics) and by tests.</summary>
public sealed class BridgeStats
{
    private long _connectsAccepted, _connectsRefused, _publishesRefused, _subscriptionsRefused, _eventsAccepted, _messagesIgnored, _noticesSent, _noticesDropped, _noticesResent;
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _refusedBy = new long[Enum.GetValues<SignInFailure>().Length];

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
    /// <summary>Notices handed to the bridge again for a task that was already pushed (a reconnect, a retry).</summary>
    public long NoticesResent => Interlocked.Read(ref _noticesResent);
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
    internal void NoticeSent() => Interlocked.Increment(ref _noticesSent);
    internal void NoticeDropped() => Interlocked.Increment(ref _noticesDropped);
    internal void NoticeResent() => Interlocked.Increment(ref _noticesResent);
    internal void Drop(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);
}

/// <summary>Counts the notices the engine sends again (any cause but the first push) on their way to the gateway.</summary>
internal sealed class ResentNoticeCounter(IDeviceGateway inner, BridgeStats stats) : IDeviceGateway
{
    public void SendNotice(UpdateNotice notice)
    {
        if (notice.Cause != NoticeCause.Push)
            stats.NoticeResent();
        inner.SendNotice(notice);
    }

    public void SendFirmwareReply(FirmwareReply reply) => inner.SendFirmwareReply(reply);
}
