using System.Buffers;
using Microsoft.Extensions.Logging;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Mqtt;

public enum UplinkResult
{
    Accepted,
    /// <summary>Not the sender's own topic: refused and counted.</summary>
    Forbidden,
    /// <summary>Malformed, too large, or of a kind we do not take: dropped and counted.</summary>
    Dropped,
    /// <summary>The device's own non-OTA topic: fine, nothing to do.</summary>
    Ignored,
}

/// <summary>
/// Everything a device sends goes through here, whichever broker it came through: topic rules, decoding,
/// and the hand-over to the engine's queue. It only parses and enqueues; the engine does the slow work.
/// </summary>
public sealed class UplinkHandler(DeviceEventQueue queue, MqttDownloads downloads, BridgeStats stats, LogThrottle throttle, ILogger<UplinkHandler> log)
{
    /// <param name="sender">The signed-in device (embedded broker), or null when the broker vouches for the topic (external mode).</param>
    public async ValueTask<UplinkResult> HandleAsync(DeviceKey? sender, string topic, ReadOnlySequence<byte> payload, CancellationToken ct = default)
    {
        if (!AlinkTopics.TryParse(topic, out var t) || (sender is DeviceKey me && !AlinkTopics.MayPublish(me, t, topic)))
        {
            stats.PublishRefused();
            var from = sender?.ToString() ?? "the broker";
            if (throttle.ShouldLog("publish", from, out var more))
                log.LogInformation("Refused a publish from {Device} to {Topic} ({More} more from it since the previous line)", from, Printable(topic), more);
            return UplinkResult.Forbidden;
        }
        if (t.Kind == AlinkTopicKind.OtherSys)
        {
            stats.MessageIgnored();
            return UplinkResult.Ignored;
        }
        if (t.Kind == AlinkTopicKind.FileDownload)
        {
            if (MqttDownloadCodec.DecodeRequest(t.Device, payload) is not { } request)
            {
                stats.Drop(DropReason.WrongShape);
                return UplinkResult.Dropped;
            }
            if (!downloads.TryEnqueue(request))
                stats.Drop(DropReason.Overloaded);
            return UplinkResult.Accepted;
        }
        var e = AlinkCodec.Decode(t, payload, out var reason);
        if (e is null)
        {
            stats.Drop(reason);
            if (throttle.ShouldLog("drop", t.Device.ToString(), out var more))
                log.LogInformation("Dropped a {Reason} message from {Device} on {Topic} ({Bytes} bytes; {More} more from it since the previous line)", reason, t.Device, Printable(topic), payload.Length, more);
            return UplinkResult.Dropped;
        }
        await queue.EnqueueAsync(e, ct);
        stats.EventAccepted();
        return UplinkResult.Accepted;
    }

    private static string Printable(string? s) => Validation.NameRules.Printable(s, 128);
}
