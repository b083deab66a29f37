using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using OtaConsole.Core.Devices;
using OtaConsole.Core.Model;
using OtaConsole.Core.Mqtt;
using OtaConsole.Core.Rollout;
using OtaConsole.Core.Security;
using OtaConsole.Core.Simulation;
using OtaConsole.Tests.Support;

namespace OtaConsole.Tests.Mqtt;

/// <summary>MQTT over TLS (securemode=2, Alibaba SDKs' default) on the embedded broker, with the console's own CA.</summary>
public sealed class TlsTests
{
    private static Dictionary<string, string?> TlsOnly() => new() { ["Ota:Mqtt:TlsPort"] = "8883", ["Ota:Mqtt:Port"] = "0" };

    private static X509Certificate2 ConsoleCa(ConsoleHost host) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(host.Folder, BrokerCertificate.Folder, BrokerCertificate.CaFile)));

    [Fact]
    public async Task A_device_signing_in_with_securemode_2_over_TLS_updates_end_to_end_and_the_plain_port_is_closed()
    {
        await using var host = await ConsoleHost.StartAsync(TlsOnly());
        Assert.Equal(0, host.MqttPort);
        Assert.NotEqual(0, host.MqttTlsPort);
        Assert.Contains(host.Logs.Lines, l => l.Message.Contains("made a CA") && l.Message.Contains(BrokerCertificate.CaFile));
        await host.ProductAsync();
        var spec = (await host.RegisterAsync(1))[0];
        var device = host.Device(spec, tlsCa: ConsoleCa(host));
        Assert.True(await device.ConnectAsync());
        await host.WaitForAsync(async () => (await host.Catalog.FindDeviceAsync(Actor.System, ConsoleHost.ProductKey, "dev-000"))!.ModuleVersions.Any(v => v.Version == "1.0.0"), advanceClock: false);
        Assert.Contains("securemode=2", SimulatedDevice.SignIn(spec, tls: true).ClientId);

        var package = await host.PackageAsync();
        var batch = await host.Engine.CreateBatchAsync(Actor.System, new CreateBatchRequest { PackageId = package.Id });

        await host.TaskReachesAsync(batch.BatchId, "dev-000", OtaTaskStatus.Succeeded);
        Assert.Equal("2.0.0", device.Versions[OtaModule.Default]);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_is_refused_and_nothing_reaches_MQTT()
    {
        await using var host = await ConsoleHost.StartAsync(TlsOnly());
        await host.ProductAsync();
        var spec = (await host.RegisterAsync(1))[0];
        // Trusting another CA: the device refuses the console's certificate during the handshake.
        using var otherCa = X509CertificateLoader.LoadCertificate(TestCertificates.SelfSigned("CN=Someone else's CA").Export(X509ContentType.Cert));
        var untrusting = host.Device(spec, tlsCa: otherCa);

        await Assert.ThrowsAnyAsync<Exception>(() => untrusting.ConnectAsync());
        Assert.False(untrusting.IsConnected);

        // Plain MQTT to the TLS port is not a sign-in either.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", host.MqttTlsPort);
            var stream = tcp.GetStream();
            await stream.WriteAsync(new byte[] { 0x10, 0x0c, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 60, 0, 0 });
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.NotEqual(0x20, read > 0 ? buffer[0] : 0); // no CONNACK
        }
        // A client that rejects the certificate may just close (TLS 1.3): only a handshake the console sees fail is counted.
        await host.WaitForAsync(() => Task.FromResult(host.Stats.SignInsRefused(SignInFailure.TlsHandshake) >= 1), advanceClock: false, what: "the plain MQTT handshake to be refused");
        Assert.Equal(0, host.Stats.ConnectsAccepted);
    }

    [Fact]
    public async Task The_console_keeps_its_CA_across_a_restart_so_devices_keep_trusting_it()
    {
        var folder = Directory.CreateTempSubdirectory("ota-console-").FullName;
        string fingerprint;
        await using (var first = await ConsoleHost.StartAsync(TlsOnly(), folder: folder))
            fingerprint = ConsoleCa(first).Thumbprint;
        await using var second = await ConsoleHost.StartAsync(TlsOnly(), folder: folder);
        Assert.Equal(fingerprint, ConsoleCa(second).Thumbprint);
        using var tls = new SslStream(await Connected(second.MqttTlsPort), false, (_, cert, _, _) => CertificateTrust.ChainsTo(ConsoleCa(second), cert));
        await tls.AuthenticateAsClientAsync("localhost");
        Assert.True(tls.IsAuthenticated);
        Directory.Delete(folder, true);
    }

    [Fact]
    public async Task A_configured_PEM_certificate_is_used_instead_of_the_console_s_own()
    {
        var folder = Directory.CreateTempSubdirectory("ota-tls-").FullName;
        using var cert = TestCertificates.SelfSigned();
        var (certPath, keyPath) = await TestCertificates.WritePemAsync(cert, folder, "mqtt");
        var settings = TlsOnly();
        settings["Ota:Mqtt:Certificate:Path"] = certPath;
        settings["Ota:Mqtt:Certificate:KeyPath"] = keyPath;
        await using var host = await ConsoleHost.StartAsync(settings);

        X509Certificate? presented = null;
        using var tls = new SslStream(await Connected(host.MqttTlsPort), false, (_, c, _, _) => { presented = c; return true; });
        await tls.AuthenticateAsClientAsync("localhost");

        Assert.Equal(cert.Thumbprint, new X509Certificate2(presented!).Thumbprint);
        Assert.False(File.Exists(Path.Combine(host.Folder, BrokerCertificate.Folder, BrokerCertificate.CaFile)));
        Directory.Delete(folder, true);
    }

    private static async Task<NetworkStream> Connected(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        return tcp.GetStream();
    }
}
