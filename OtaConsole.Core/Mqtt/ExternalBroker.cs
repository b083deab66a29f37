using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Mqtt;

/// <summary>
/// External mode: the console is a client of an existing broker. It subscribes to every device's uplink
/// topics (an MQTT 5 shared subscription, so several consoles split the traffic) and publishes notices.
/// The broker signs devices in and enforces topic rules; presence comes from its connect/disconnect events
/// where it publishes them (EMQX style), otherwise from the devices' messages.
/// The connection is kept by a supervised loop, never from the disconnect event.
/// </summary>
public sealed class ExternalBroker(
    IOptions<MqttOptions> options,
    UplinkHandler uplinks,
    DeviceEventQueue events,
    TimeProvider time,
    ILogger<ExternalBroker> log) : BackgroundService, IMqttTransport, IBrokerStatus
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();

    public bool IsConnected => _client.IsConnected;

    public string? NotReadyBecause => _client.IsConnected ? null : $"not connected to the external MQTT broker {options.Value.Host}:{options.Value.Port}";
    /// <summary>Unknown here: the broker holds the devices' connections.</summary>
    public int? ConnectedDevices => null;

    public async Task PublishAsync(string topic, byte[] payload, CancellationToken ct)
    {
        if (!_client.IsConnected)
            throw new InvalidOperationException("Not connected to the external MQTT broker.");
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        await _client.PublishAsync(message, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _client.ApplicationMessageReceivedAsync += ReceivedAsync; // attached before the first connect
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!_client.IsConnected)
                {
                    await ConnectAsync(stoppingToken);
                    backoff = TimeSpan.FromSeconds(1);
                }
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogWarning("External MQTT broker {Host}:{Port} unreachable ({Message}); retrying in {Backoff}", options.Value.Host, options.Value.Port, e.Message, backoff);
                await Task.Delay(backoff, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
        if (_client.IsConnected)
            await _client.DisconnectAsync();
    }

    private async Task ConnectAsync(CancellationToken ct)
    {
        var o = options.Value;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(o.Host is "*" or "" ? "localhost" : o.Host, o.Port)
            .WithClientId(o.ClientId ?? $"otaconsole-{Environment.MachineName}-{Environment.ProcessId}")
            .WithProtocolVersion(o.UseMqtt5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithCleanSession();
        if (!string.IsNullOrEmpty(o.Username))
            builder = builder.WithCredentials(o.Username, o.Password);
        if (o.UseTls)
            builder = builder.WithTlsOptions(BrokerTls(o));
        var result = await _client.ConnectAsync(builder.Build(), ct);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
            throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode}");

        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in AlinkTopics.UplinkFilters)
            subscribe = subscribe.WithTopicFilter(Shared(o, filter), MqttQualityOfServiceLevel.AtLeastOnce);
        if (!string.IsNullOrEmpty(o.PresenceTopicFilter))
            subscribe = subscribe.WithTopicFilter(Shared(o, o.PresenceTopicFilter), MqttQualityOfServiceLevel.AtLeastOnce);
        await _client.SubscribeAsync(subscribe.Build(), ct);
        log.LogInformation("Connected to the external MQTT broker {Host}:{Port}", o.Host, o.Port);
    }

    private static string Shared(MqttOptions o, string filter) => o.UseMqtt5 ? $"$share/{o.SharedGroup}/{filter}" : filter;

    private async Task ReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        try
        {
            var topic = e.ApplicationMessage.Topic;
            if (topic.StartsWith('$'))
                await PresenceAsync(topic, e.ApplicationMessage.Payload);
            else
                await uplinks.HandleAsync(null, topic, e.ApplicationMessage.Payload);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "Handling a message on {Topic} failed", e.ApplicationMessage.Topic);
        }
    }

    /// <summary>EMQX's $SYS/brokers/{node}/clients/{clientid}/connected|disconnected, whose JSON names the username "dn&amp;pk".</summary>
    private async Task PresenceAsync(string topic, ReadOnlySequence<byte> payload)
    {
        if (ReadPresence(topic, payload) is { } e)
            await events.EnqueueAsync(e);
    }

    /// <summary>
    /// The connect or disconnect a presence event tells of, stamped with the broker's time of it (EMQX's
    /// connected_at / disconnected_at, else its ts; milliseconds since 1970); null when it is not one we understand.
    /// </summary>
    internal static DeviceEvent? ReadPresence(string topic, ReadOnlySequence<byte> payload)
    {
        var online = topic.EndsWith("/connected", StringComparison.Ordinal);
        if (!online && !topic.EndsWith("/disconnected", StringComparison.Ordinal))
            return null;
        if (!AlinkCodec.TryRead(payload, PresenceOptions, root => (Device: Username(root), At: Stamp(root, online ? "connected_at" : "disconnected_at")), out var p)
            || p.Device is not { } device)
            return null;
        return online ? new DeviceConnected(device, p.At) : new DeviceDisconnected(device, p.At);
    }

    private static DeviceKey? Username(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("username", out var u) && u.ValueKind == JsonValueKind.String
            ? AlibabaSignIn.ParseUsername(u.GetString())
            : null;

    /// <summary>A stamp from 2000 to 2200 or none: a broker's odd value must not make a device's later events look stale.</summary>
    private static DateTimeOffset? Stamp(JsonElement root, string name)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return null;
        foreach (var key in new[] { name, "ts" })
        {
            if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var ms)
                && ms >= MinStamp && ms <= MaxStamp)
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }
        return null;
    }

    private static readonly long MinStamp = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly long MaxStamp = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static readonly JsonDocumentOptions PresenceOptions = new() { AllowDuplicateProperties = false };

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    /// <summary>TLS to the broker: the system's roots, or the CA in Ota:Mqtt:Certificate:CaPath (a private broker's).</summary>
    private static Action<MqttClientTlsOptionsBuilder> BrokerTls(MqttOptions o) => t =>
    {
        t.UseTls().WithTargetHost(o.Host);
        if (!string.IsNullOrWhiteSpace(o.Certificate.CaPath))
        {
            var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(o.Certificate.CaPath));
            t.WithCertificateValidationHandler(c => CertificateTrust.ChainsTo(ca, c.Certificate));
        }
    };
}
