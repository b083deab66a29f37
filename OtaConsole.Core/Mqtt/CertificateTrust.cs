using System.Security.Cryptography.X509Certificates;

namespace OtaConsole.Core.Mqtt;

/// <summary>Trusting one CA, as a device built with the console's CA file does (or the console with a private broker's).</summary>
public static class CertificateTrust
{
    /// <summary>Whether the certificate chains to this CA, and to it alone (not to the system's roots).</summary>
    public static bool ChainsTo(X509Certificate2 ca, X509Certificate? certificate)
    {
        if (certificate is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
