using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OtaConsole.Tests.Support;

/// <summary>Self-signed server certificates for this machine (localhost, 127.0.0.1), for the TLS and HTTPS tests.</summary>
public static class TestCertificates
{
    public static X509Certificate2 SelfSigned(string subject = "CN=localhost")
    {
        using var key = ECDsa.Create();
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>Writes the certificate and its key as PEM files in a folder; returns their paths.</summary>
    public static async Task<(string CertPath, string KeyPath)> WritePemAsync(X509Certificate2 cert, string folder, string name)
    {
        var certPath = Path.Combine(folder, name + ".pem");
        var keyPath = Path.Combine(folder, name + ".key");
        await File.WriteAllTextAsync(certPath, cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
