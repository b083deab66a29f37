using System.Buffers;
using System.ComponentModel;
using System.Net.Security;
using System.Security.Authentication;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Channel;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Server;

namespace OtaConsole.Core.Mqtt;

/// <summary>One port the embedded broker listens on: plain TCP, or TLS with a certificate.</summary>
internal sealed class BrokerListener(IReadOnlyList<IPAddress> addresses, int port, X509Certificate2? certificate)
{
    public IReadOnlyList<IPAddress> Addresses { get; } = addresses;
    /// <summary>The port asked for (0: one the OS picks), then the one taken.</summary>
    public int Port { get; set; } = port;
    public X509Certificate2? Certificate { get; } = certificate;
}

/// <summary>
/// The embedded broker's TCP listeners (plain and TLS), in place of MQTTnet's own because MQTTnet 5 has no
/// server-side maximum packet size: it would buffer a 16 MB publish whole before the console could refuse it. Each
/// connection is read through a <see cref="PacketLimitChannel"/>, which closes it as soon as a packet's header
/// announces more than the limit. A TLS connection must finish its handshake within <see cref="HandshakeTimeout"/>.
/// </summary>
/// <param name="cutOff">Told of each connection cut off, with its remote end and the size its packet announced.</param>
internal sealed class PacketLimitServerAdapter(IReadOnlyList<BrokerListener> listeners, int maxPacketBytes, Action<EndPoint?, long> cutOff,
    Action<EndPoint?, Exception>? handshakeFailed = null) : IMqttServerAdapter
{
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private readonly List<Socket> _sockets = [];
    private CancellationTokenSource? _stop;

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _stop = new CancellationTokenSource();
        foreach (var listener in listeners)
        {
            var bound = 0;
            foreach (var address in listener.Addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    if (address.AddressFamily == AddressFamily.InterNetworkV6)
                        socket.DualMode = false; // IPv4 has its own socket
                    socket.Bind(new IPEndPoint(address, listener.Port));
                    socket.Listen(options.DefaultEndpointOptions.ConnectionBacklog);
                }
                catch (SocketException) when (bound > 0 && address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.Dispose(); // a machine without IPv6: IPv4 alone serves
                    continue;
                }
                // Port 0: the one the OS chose, which the other family then takes too, and the broker reports.
                listener.Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                bound++;
                _sockets.Add(socket);
                _ = AcceptAsync(socket, listener.Certificate, options, logger, _stop.Token);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync()
    {
        _stop?.Cancel();
        foreach (var l in _sockets)
            l.Dispose();
        _sockets.Clear();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        StopAsync();
        _stop?.Dispose();
    }

    private async Task AcceptAsync(Socket listener, X509Certificate2? certificate, MqttServerOptions options, IMqttNetLogger logger, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection that broke while it was being accepted
            }
            _ = Task.Run(() => ServeAsync(client, certificate, options, logger), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket client, X509Certificate2? certificate, MqttServerOptions options, IMqttNetLogger logger)
    {
        var remote = client.RemoteEndPoint;
        try
        {
            var endpoint = options.DefaultEndpointOptions;
            client.NoDelay = endpoint.NoDelay;
            if (endpoint.LingerState is { } linger)
                client.LingerState = linger;
            Stream stream = new NetworkStream(client, ownsSocket: true);
            if (certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                try
                {
                    using var timeout = new CancellationTokenSource(HandshakeTimeout);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        ClientCertificateRequired = false,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    }, timeout.Token);
                }
                catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or Win32Exception)
                {
                    // Not TLS, a client that does not trust the certificate, or too slow: nothing reached MQTT.
                    handshakeFailed?.Invoke(remote, e);
                    await tls.DisposeAsync();
                    return;
                }
                stream = tls;
            }
            using var channel = new PacketLimitChannel(
                new MqttTcpChannel(stream, client.LocalEndPoint, remote, null), maxPacketBytes,
                size => cutOff(remote, size));
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
            using var adapter = new MqttChannelAdapter(channel, formatter, logger) { AllowPacketFragmentation = endpoint.AllowPacketFragmentation };
            if (ClientHandler is { } handler)
                await handler(adapter);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection broke, or was cut off for a packet over the limit: it is closed below, nothing else to do.
        }
        finally
        {
            client.Dispose();
        }
    }
}

/// <summary>
/// A connection's bytes as MQTTnet reads them, followed packet by packet (a type byte, the remaining length in
/// 1-4 bytes, the body): a packet announced over the limit ends the connection before its body is read.
/// </summary>
internal sealed class PacketLimitChannel(IMqttChannel inner, int maxPacketBytes, Action<long> tooLarge) : IMqttChannel
{
    private int _lengthBytes = -1; // -1: the next byte is a packet's type; 0-3: bytes of its remaining length read so far
    private long _length;
    private long _bodyLeft;

    public X509Certificate2 ClientCertificate => inner.ClientCertificate;
    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;
    public EndPoint LocalEndPoint => inner.LocalEndPoint;
    public bool IsSecureConnection => inner.IsSecureConnection;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);
    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);
    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken) => inner.WriteAsync(buffer, isEndOfPacket, cancellationToken);
    public void Dispose() => inner.Dispose();

    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var read = await inner.ReadAsync(buffer, offset, count, cancellationToken);
        Follow(buffer.AsSpan(offset, read));
        return read;
    }

    private void Follow(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_bodyLeft > 0)
            {
                var skip = (int)Math.Min(_bodyLeft, bytes.Length - i);
                _bodyLeft -= skip;
                i += skip;
                continue;
            }
            var b = bytes[i++];
            if (_lengthBytes < 0)
            {
                _lengthBytes = 0;
                _length = 0;
                continue;
            }
            _length |= (long)(b & 0x7F) << (7 * _lengthBytes);
            _lengthBytes++;
            if ((b & 0x80) != 0)
            {
                if (_lengthBytes == 4)
                    throw new IOException("A malformed MQTT remaining length (more than 4 bytes).");
                continue;
            }
            if (1 + _lengthBytes + _length > maxPacketBytes)
            {
                tooLarge(_length);
                throw new IOException($"An MQTT packet of {_length} bytes is over the limit of {maxPacketBytes}.");
            }
            _bodyLeft = _length;
            _lengthBytes = -1;
        }
    }
}
