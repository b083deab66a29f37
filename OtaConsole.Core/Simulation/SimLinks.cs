using System.Buffers;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;

namespace OtaConsole.Core.Simulation;

/// <summary>How a simulated device reaches the console: over real MQTT, or in process behind the broker.</summary>
public interface ISimLink : IAsyncDisposable
{
    bool IsConnected { get; }
    /// <summary>Called for each downlink message (topic, payload). Must return quickly.</summary>
    Func<string, byte[], Task>? OnMessage { get; set; }
    Task<bool> ConnectAsync(CancellationToken ct);
    Task SubscribeAsync(IReadOnlyList<string> topics, CancellationToken ct);
    Task PublishAsync(string topic, byte[] payload, bool atLeastOnce, CancellationToken ct);
    Task DisconnectAsync(CancellationToken ct);
}

/// <summary>
/// A real MQTT 3.1.1 connection signed in the way Alibaba's SDKs sign in; over TLS when <paramref name="trustedCa"/>
/// is given, trusting that CA alone (as an SDK built with the console's CA file does).
/// </summary>
public sealed class MqttSimLink(string host, int port, string clientId, string username, string password, TimeSpan keepAlive, bool cleanSession,
    System.Security.Cryptography.X509Certificates.X509Certificate2? trustedCa = null) : ISimLink
{
    private readonly IMqttClient _client = CreateClient();

    public bool IsConnected => _client.IsConnected;
    public Func<string, byte[], Task>? OnMessage { get; set; }

    private static IMqttClient CreateClient() => new MqttClientFactory().CreateMqttClient();

    public async Task<bool> ConnectAsync(CancellationToken ct)
    {
        _client.ApplicationMessageReceivedAsync -= ReceivedAsync;
        _client.ApplicationMessageReceivedAsync += ReceivedAsync;
        var builder = new MqttClientOptionsBuilder().WithTcpServer(host, port);
        if (trustedCa is not null)
            builder = builder.WithTlsOptions(t => t.UseTls().WithTargetHost(host).WithCertificateValidationHandler(c => CertificateTrust.ChainsTo(trustedCa, c.Certificate)));
        var options = builder
            .WithClientId(clientId)
            .WithCredentials(username, password)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithKeepAlivePeriod(keepAlive)
            .WithCleanSession(cleanSession)
            .WithTimeout(TimeSpan.FromSeconds(30))
            .Build();
        var result = await _client.ConnectAsync(options, ct);
        return result.ResultCode == MqttClientConnectResultCode.Success;
    }

    public async Task SubscribeAsync(IReadOnlyList<string> topics, CancellationToken ct)
    {
        foreach (var t in topics) // one filter per SUBSCRIBE, as the SDKs do
            await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(t, MqttQualityOfServiceLevel.AtLeastOnce).Build(), ct);
    }

    public Task PublishAsync(string topic, byte[] payload, bool atLeastOnce, CancellationToken ct) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(atLeastOnce ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.AtMostOnce).Build(), ct);

    public async Task DisconnectAsync(CancellationToken ct)
    {
        if (_client.IsConnected)
            await _client.DisconnectAsync(cancellationToken: ct);
    }

    private Task ReceivedAsync(MqttApplicationMessageReceivedEventArgs e) =>
        OnMessage?.Invoke(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray()) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DisconnectAsync(CancellationToken.None);
        }
        catch (Exception)
        {
            // Best effort on the way out.
        }
        try
        {
            _client.Dispose();
        }
        catch (ObjectDisposedException)
        {
            // MQTTnet's client may already have torn itself down after the broker dropped it.
        }
    }
}

/// <summary>
/// A device inside the console's process: its messages enter the bridge where the broker would hand them
/// over (the same <see cref="UplinkHandler"/>), and its downlink arrives through <see cref="InProcessDevices"/>.
/// No socket, so a fleet can be larger than the process's file limit. Sign-in is taken as done.
/// </summary>
public sealed class InProcessSimLink(DeviceKey device, UplinkHandler uplinks, InProcessDevices registry, DeviceEventQueue events) : ISimLink
{
    public bool IsConnected { get; private set; }
    public Func<string, byte[], Task>? OnMessage { get; set; }

    public async Task<bool> ConnectAsync(CancellationToken ct)
    {
        registry.Attach(device, (topic, payload) => OnMessage?.Invoke(topic, payload) ?? Task.CompletedTask);
        IsConnected = true;
        await events.EnqueueAsync(new DeviceConnected(device), ct);
        return true;
    }

    public Task SubscribeAsync(IReadOnlyList<string> topics, CancellationToken ct) => Task.CompletedTask;

    public async Task PublishAsync(string topic, byte[] payload, bool atLeastOnce, CancellationToken ct) =>
        await uplinks.HandleAsync(device, topic, new ReadOnlySequence<byte>(payload), ct);

    public async Task DisconnectAsync(CancellationToken ct)
    {
        if (!IsConnected)
            return;
        IsConnected = false;
        registry.Detach(device);
        await events.EnqueueAsync(new DeviceDisconnected(device), ct);
    }

    public async ValueTask DisposeAsync() => await DisconnectAsync(CancellationToken.None);
}
