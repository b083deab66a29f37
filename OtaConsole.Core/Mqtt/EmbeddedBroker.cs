using System.Collections;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Mqtt;

/// <summary>
/// The broker devices connect to in embedded mode (MQTTnet, MQTT 3.1.1 and 5): Alibaba sign-in, one connection
/// per device, the device's own topics only, server-side subscription of every device to its downlink topics, and presence.
/// Handlers only check, parse and enqueue; the engine does the work.
/// </summary>
public sealed class EmbeddedBroker(
    IOptions<MqttOptions> options,
    IOptions<OtaOptions> ota,
    TimeProvider time,
    DeviceSecrets secrets,
    UplinkHandler uplinks,
    DeviceEventQueue events,
    MqttDeviceGateway gateway,
    BridgeStats stats,
    LogThrottle throttle,
    ILogger<EmbeddedBroker> log,
    IOptions<Webhooks.AlibabaMessageOptions>? alibaba = null) : IHostedService, IMqttTransport, IBrokerStatus, IDisposable
{
    private const string DeviceItem = "ota.device";
    private const string SignInOrderItem = "ota.order";
    /// <summary>A consumer of Alibaba's OTA messages (Ota:AlibabaMessages:Username): reads under the prefix, sends nothing.</summary>
    private const string ConsumerItem = "ota.consumer";
    /// <summary>The client id the console's own messages carry.</summary>
    public const string ServerClientId = "otaconsole";
    /// <summary>The largest MQTT packet a device may send: Alibaba's largest message and room for its topic and properties.</summary>
    public const int MaxPacketBytes = AlinkCodec.MaxPayloadBytes + 8 * 1024;

    // Each device's current connection: its client id and sign-in number. A device signing in again under another
    // id replaces it. Sign-ins are numbered when they are accepted, because connect events may be raised out of
    // order: a later event of an earlier sign-in must not replace the newer connection.
    private readonly ConcurrentDictionary<DeviceKey, (string ClientId, long Order)> _current = new();
    private long _signIns;
    private MqttServer? _server;
    private BrokerListener? _plain, _tls;

    /// <summary>The plain-TCP port devices connect to (the one taken with EphemeralPorts); 0 when it is off.</summary>
    public int Port => _plain?.Port ?? 0;

    /// <summary>The TLS port (securemode=2); 0 when it is off.</summary>
    public int TlsPort => _tls?.Port ?? 0;

    public string? NotReadyBecause => _server is { IsStarted: true } ? null : "the embedded MQTT broker is not listening";
    public int? ConnectedDevices => _current.Count;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var serverOptions = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithMaxPendingMessagesPerClient(100)
            // A message that finds a device's queue full is the one dropped, and reported: a notice among them is sent again.
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropNewMessage)
            .Build();
        IReadOnlyList<IPAddress> addresses = [IPAddress.Any, IPAddress.IPv6Any];
        if (o.Host is not ("*" or "" or null))
            addresses = [IPAddress.TryParse(o.Host, out var parsed) ? parsed : (await Dns.GetHostAddressesAsync(o.Host, cancellationToken))[0]];
        var listeners = new List<BrokerListener>();
        if (o.Port != 0)
            listeners.Add(_plain = new BrokerListener(addresses, o.EphemeralPorts ? 0 : o.Port, null));
        if (o.TlsPort != 0)
            listeners.Add(_tls = new BrokerListener(addresses, o.EphemeralPorts ? 0 : o.TlsPort, BrokerCertificate.Load(o.Certificate, ota.Value.DataPath, time, log)));
        if (listeners.Count == 0)
            throw new InvalidOperationException("Ota:Mqtt:Port and Ota:Mqtt:TlsPort are both 0: devices could not connect. Turn on at least one.");
        // MQTTnet's options have no maximum packet size: these listeners enforce it, before a packet is buffered.
        _server = new MqttServerFactory().CreateMqttServer(serverOptions, [new PacketLimitServerAdapter(listeners, MaxPacketBytes, CutOff, HandshakeFailed)]);
        _server.ValidatingConnectionAsync += ValidateAsync;
        _server.ClientConnectedAsync += ConnectedAsync;
        _server.ClientDisconnectedAsync += DisconnectedAsync;
        _server.InterceptingPublishAsync += PublishAsync;
        _server.InterceptingSubscriptionAsync += SubscribeAsync;
        _server.ApplicationMessageEnqueuedOrDroppedAsync += EnqueuedOrDroppedAsync;
        await _server.StartAsync();
        log.LogInformation("MQTT broker listening: plain TCP {Port}, TLS {TlsPort} (0 = off)", Port, TlsPort);
    }

    /// <summary>A TLS handshake that failed (not TLS, an untrusted certificate, too slow): counted as a refused sign-in, logged as others are.</summary>
    private void HandshakeFailed(EndPoint? remote, Exception e)
    {
        stats.ConnectRefused(SignInFailure.TlsHandshake);
        var from = (remote as IPEndPoint)?.Address.ToString() ?? "an unknown address";
        if (throttle.ShouldLog("tls", from, out var more))
            log.LogInformation("A TLS handshake from {Endpoint} failed: {Reason} ({More} more from this address since the previous line)", remote, e.Message, more);
    }

    /// <summary>A connection cut off for a packet over <see cref="MaxPacketBytes"/>: counted as too large, and logged as other refusals are.</summary>
    private void CutOff(EndPoint? remote, long bytes)
    {
        stats.Drop(DropReason.TooLarge);
        var from = (remote as IPEndPoint)?.Address.ToString() ?? "an unknown address";
        if (throttle.ShouldLog("packet", from, out var more))
            log.LogInformation("Closed the connection from {Endpoint}: a packet of {Bytes} bytes is over {Limit} ({More} more from this address since the previous line)",
                remote, bytes, MaxPacketBytes, more);
    }

    // Hosts may stop and dispose a service more than once, even concurrently (WebApplicationFactory does);
    // MQTTnet's stop is not safe to re-enter, so it runs once.
    private readonly Lock _stopGate = new();
    private Task? _stopping;
    private int _disposed;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopGate)
            return _stopping ??= _server is { IsStarted: true } ? _server.StopAsync() : Task.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _server?.Dispose();
    }

    public async Task PublishAsync(string topic, byte[] payload, CancellationToken ct)
    {
        if (_server is not { IsStarted: true })
            throw new InvalidOperationException("The embedded broker is not running.");
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        await _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = ServerClientId }, ct);
    }

    private async Task ValidateAsync(ValidatingConnectionEventArgs e)
    {
        try
        {
            if (alibaba?.Value is { } consumers && consumers.IsConsumer(e.UserName, e.Password))
            {
                // Never a device's session: a device's client id holds '|' (Alibaba's format), and a kept session
                // could carry a device's items over to this connection.
                if (e.ClientId.Contains('|', StringComparison.Ordinal) || e.ClientId == ServerClientId || e.CleanSession != true || e.SessionExpiryInterval != 0)
                {
                    e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
                    return;
                }
                e.SessionItems[ConsumerItem] = true;
                return;
            }
            var key = AlibabaSignIn.ParseUsername(e.UserName);
            var secret = key is DeviceKey k ? await secrets.FindAsync(k, e.CancellationToken) : null;
            var failure = AlibabaSignIn.Check(e.ClientId, e.UserName, e.Password, e.KeepAlivePeriod ?? 0, _ => secret, out var device, out _);
            if (failure != SignInFailure.None)
            {
                e.ReasonCode = failure switch
                {
                    SignInFailure.MalformedClientId => MqttConnectReasonCode.ClientIdentifierNotValid,
                    SignInFailure.BadKeepAlive => MqttConnectReasonCode.NotAuthorized,
                    _ => MqttConnectReasonCode.BadUserNameOrPassword,
                };
                stats.ConnectRefused(failure);
                if (throttle.ShouldLog("sign-in", Printable(e.UserName), out var more))
                    log.LogInformation("Refused sign-in from {Endpoint} as {User} ({ClientId}): {Reason} ({More} more as this user since the previous line)",
                        e.RemoteEndPoint, Printable(e.UserName), Printable(e.ClientId), failure, more);
                return;
            }
            e.SessionItems[DeviceItem] = device;
            e.SessionItems[SignInOrderItem] = Interlocked.Increment(ref _signIns);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Sign-in check failed for {ClientId}", Printable(e.ClientId));
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
        }
    }

    private async Task ConnectedAsync(ClientConnectedEventArgs e)
    {
        if (!TryDevice(e.SessionItems, out var device))
            return;
        stats.ConnectAccepted();
        try
        {
            // Alibaba keeps one connection per device: a new sign-in under another client id replaces the old one.
            var order = e.SessionItems[SignInOrderItem] is long n ? n : 0;
            string? previous = null;
            string? newer = null;
            _current.AddOrUpdate(device, (e.ClientId, order), (_, old) =>
            {
                var superseded = old.Order > order;
                newer = superseded ? old.ClientId : null;
                previous = superseded ? null : old.ClientId;
                return superseded ? old : (e.ClientId, order);
            });
            if (newer is not null)
            {
                // A newer sign-in of this device is already connected: this one is the one to go (unless the newer
                // one took over this very client id, and this connection is gone already).
                if (newer != e.ClientId)
                    await DisconnectQuietlyAsync(e.ClientId);
                return;
            }
            if (previous is not null && previous != e.ClientId)
                await DisconnectQuietlyAsync(previous);
            // Every device is subscribed to its own downlink topics before the engine hears of it, whatever its
            // clientId says: Link SDK 4.x (_ss=1) never subscribes, and C SDK 3.0.1 subscribes once with clean
            // session 0 and relies on the broker to remember, which an in-memory broker forgets on restart. So no
            // notice depends on session state, and a push right after the first connect is not lost. A device's own
            // SUBSCRIBE to the same topics then changes nothing.
            var filters = AlinkTopics.ServerSubscriptions(device)
                .Select(t => new MqttTopicFilterBuilder().WithTopic(t).WithAtLeastOnceQoS().Build()).ToList();
            await _server!.SubscribeAsync(e.ClientId, filters);
            await events.EnqueueAsync(new DeviceConnected(device));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Setting up the session of {Device} failed", device);
        }
    }

    private async Task DisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        // A takeover (same client id) is followed by the new connection's own connect event.
        if (e.DisconnectType == MqttClientDisconnectType.Takeover || !TryDevice(e.SessionItems, out var device))
            return;
        if (_current.TryGetValue(device, out var current) && current.ClientId == e.ClientId && _current.TryRemove(new(device, current)))
            await events.EnqueueAsync(new DeviceDisconnected(device));
    }

    private async Task PublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.SessionItems?[ConsumerItem] is true)
        {
            // A consumer only reads.
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            return;
        }
        if (!TryDevice(e.SessionItems, out var device))
            return; // the console's own notices
        // A device's messages are for the console: nothing is routed on to other clients.
        e.ProcessPublish = false;
        try
        {
            var result = await uplinks.HandleAsync(device, e.ApplicationMessage.Topic, e.ApplicationMessage.Payload, e.CancellationToken);
            if (result == UplinkResult.Forbidden)
                e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Handling a message from {Device} failed", device);
        }
    }

    /// <summary>A notice the broker dropped (the device's queue of pending messages was full) is not delivered: the engine sends it again.</summary>
    private Task EnqueuedOrDroppedAsync(ApplicationMessageEnqueuedEventArgs e)
    {
        if (e.IsDropped && AlinkTopics.TryParseUpgrade(e.ApplicationMessage.Topic, out var device))
            gateway.Undelivered(device, 0, "the device's queue of pending messages was full");
        else if (e.IsDropped && alibaba?.Value is { Enabled: true } a && e.ApplicationMessage.Topic.StartsWith(a.TopicPrefix + "/", StringComparison.Ordinal)
                 && throttle.ShouldLog("alibaba-drop", e.ReceiverClientId, out var more))
            // A reader 100 messages behind loses what overflows (MQTT at-most-once to a slow subscriber): said, not hidden.
            log.LogWarning("Dropped an Alibaba OTA message for reader {ClientId}: its queue of 100 pending messages is full ({More} more since the previous line)", e.ReceiverClientId, more);
        return Task.CompletedTask;
    }

    private Task SubscribeAsync(InterceptingSubscriptionEventArgs e)
    {
        if (e.SessionItems?[ConsumerItem] is true && alibaba?.Value.MayConsume(e.TopicFilter.Topic) != true)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            return Task.CompletedTask;
        }
        if (TryDevice(e.SessionItems, out var device) && !AlinkTopics.MaySubscribe(device, e.TopicFilter.Topic))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            stats.SubscriptionRefused();
            if (throttle.ShouldLog("subscription", device.ToString(), out var more))
                log.LogInformation("Refused a subscription of {Device} to {Filter} ({More} more from it since the previous line)", device, Printable(e.TopicFilter.Topic), more);
        }
        return Task.CompletedTask;
    }

    private async Task DisconnectQuietlyAsync(string clientId)
    {
        try
        {
            await _server!.DisconnectClientAsync(clientId, MqttDisconnectReasonCode.SessionTakenOver);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static bool TryDevice(IDictionary? items, out DeviceKey device)
    {
        if (items?[DeviceItem] is DeviceKey d)
        {
            device = d;
            return true;
        }
        device = default;
        return false;
    }

    private static string Printable(string? s) => Validation.NameRules.Printable(s, 160);
}
