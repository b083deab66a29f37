using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace OtaConsole.Core.Mqtt;

/// <summary>
/// The embedded broker's TLS certificate: the configured one (PEM with its key, or PFX), or else one the console
/// makes on first run: its own CA (tls/ca.pem, the file devices are given to trust) and a server certificate for
/// this machine's names signed by it (tls/server.pfx), both kept in the data folder and reused after a restart.
/// </summary>
public static class BrokerCertificate
{
    public const string Folder = "tls";
    public const string CaFile = "ca.pem";
    private const string ServerFile = "server.pfx";
    private const string CaKeyFile = "ca.key";

    public static X509Certificate2 Load(CertificateOptions configured, string dataPath, TimeProvider time, ILogger log)
    {
        if (!string.IsNullOrWhiteSpace(configured.Path))
        {
            var path = configured.Path;
            var cert = path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
                ? X509CertificateLoader.LoadPkcs12FromFile(path, configured.Password)
                : string.IsNullOrEmpty(configured.Password)
                    ? X509Certificate2.CreateFromPemFile(path, configured.KeyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, configured.Password, configured.KeyPath);
            if (!cert.HasPrivateKey)
                throw new InvalidOperationException($"Ota:Mqtt:Certificate:Path {path} has no private key (set Ota:Mqtt:Certificate:KeyPath).");
            log.LogInformation("MQTT over TLS uses the certificate {Subject} (SHA-256 {Fingerprint}), valid until {NotAfter:u}", cert.Subject, Fingerprint(cert), cert.NotAfter);
            return Exportable(cert);
        }

        var folder = Path.Combine(dataPath, Folder);
        var serverPath = Path.Combine(folder, ServerFile);
        var caPath = Path.Combine(folder, CaFile);
        if (File.Exists(serverPath) && File.Exists(caPath))
        {
            var existing = X509CertificateLoader.LoadPkcs12FromFile(serverPath, null);
            if (existing.NotAfter > time.GetUtcNow().UtcDateTime.AddDays(30))
            {
                log.LogInformation("MQTT over TLS uses the console's own certificate (SHA-256 {Fingerprint}); devices trust its CA, {CaPath}", Fingerprint(existing), caPath);
                return existing;
            }
        }
        Directory.CreateDirectory(folder);
        var (ca, server) = Create(time.GetUtcNow());
        File.WriteAllText(caPath, ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, CaKeyFile), ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.WriteAllBytes(serverPath, server.Export(X509ContentType.Pfx));
        if (!OperatingSystem.IsWindows())
            foreach (var f in new[] { CaKeyFile, ServerFile })
                File.SetUnixFileMode(Path.Combine(folder, f), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        log.LogWarning("No Ota:Mqtt:Certificate is configured: made a CA and a server certificate for MQTT over TLS (SHA-256 {Fingerprint}). " +
                       "Give devices the CA file {CaPath} to trust, or configure your own certificate.", Fingerprint(server), caPath);
        return X509CertificateLoader.LoadPkcs12(server.Export(X509ContentType.Pfx), null);
    }

    public static string Fingerprint(X509Certificate2 cert) => Convert.ToHexString(cert.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>A CA valid ten years and a server certificate for this machine's names valid two, signed by it.</summary>
    private static (X509Certificate2 Ca, X509Certificate2 Server) Create(DateTimeOffset at)
    {
        var now = at.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=OtaConsole MQTT CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now, now.AddYears(10));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Environment.MachineName}", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Environment.MachineName);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = request.Create(ca, now, now.AddYears(2), serial);
        return (ca, signed.CopyWithPrivateKey(serverKey));
    }

    // A PEM-loaded key lives only in memory; SslStream on Linux wants one it can use repeatedly.
    private static X509Certificate2 Exportable(X509Certificate2 cert) => X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
}
