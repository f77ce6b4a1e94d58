using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZkFire.Xmpp.Tls;

/// <summary>Loads the configured TLS certificate, or creates a self-signed one in the data folder on first start.</summary>
public static class ServerCertificate
{
    public const string GeneratedCertificateFile = "xmpp-cert.pem";
    public const string GeneratedKeyFile = "xmpp-key.pem";

    /// <summary>
    /// <paramref name="certificatePath"/> may be a PEM certificate (with <paramref name="keyPath"/>, or a key in the same
    /// file) or a PKCS#12 file (with <paramref name="password"/>). Returns whether it was generated.
    /// </summary>
    public static (X509Certificate2 Certificate, bool Generated) LoadOrCreate(string? certificatePath, string? keyPath, string? password, string dataDir, string domain)
    {
        if (certificatePath is not null)
        {
            return (Load(certificatePath, keyPath, password), false);
        }

        var certFile = Path.Combine(dataDir, GeneratedCertificateFile);
        var keyFile = Path.Combine(dataDir, GeneratedKeyFile);
        if (File.Exists(certFile) && File.Exists(keyFile))
        {
            return (Load(certFile, keyFile, null), false);
        }

        Directory.CreateDirectory(dataDir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={domain}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(domain);
        if (domain != "localhost")
        {
            names.AddDnsName("localhost");
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));

        // The key file is written owner-only before any content lands in it.
        File.WriteAllText(certFile, created.ExportCertificatePem());
        var keyOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            keyOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var keyStream = new FileStream(keyFile, keyOptions))
        using (var writer = new StreamWriter(keyStream))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }

        return (Load(certFile, keyFile, null), true);
    }

    /// <summary>
    /// Channel-binding data of type tls-server-end-point (RFC 5929 §4.1): the certificate hashed with its signature's
    /// hash, SHA-256 when that is MD5 or SHA-1.
    /// </summary>
    public static byte[] EndPointBinding(X509Certificate2 certificate)
    {
        var raw = certificate.RawData;
        return certificate.SignatureAlgorithm.Value switch
        {
            "1.2.840.10045.4.3.3" or "1.2.840.113549.1.1.12" => SHA384.HashData(raw),
            "1.2.840.10045.4.3.4" or "1.2.840.113549.1.1.13" => SHA512.HashData(raw),
            _ => SHA256.HashData(raw),
        };
    }

    private static X509Certificate2 Load(string certificatePath, string? keyPath, string? password)
    {
        var isPem = File.ReadAllText(certificatePath).Contains("-----BEGIN", StringComparison.Ordinal);
        return isPem
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
            : X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
    }
}
