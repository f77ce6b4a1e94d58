using System.Security.Cryptography;
using System.Text;

namespace ZkFire.ZooKeeper.Server.Auth;

/// <summary>
/// ZooKeeper's <c>digest</c> scheme: the id is <c>user:base64(sha1("user:password"))</c>, so ACLs and the server
/// hold only the digest. SHA-1 is what every ZooKeeper client and stored ACL expects; it is not a password store.
/// </summary>
public static class DigestAuthentication
{
    public const string Scheme = "digest";

    /// <summary>Turns the <c>user:password</c> an auth packet carries into the id it authenticates as.</summary>
    public static string Digest(string userAndPassword)
    {
        ArgumentNullException.ThrowIfNull(userAndPassword);
        var colon = userAndPassword.IndexOf(':', StringComparison.Ordinal);
        var user = colon < 0 ? userAndPassword : userAndPassword[..colon];
#pragma warning disable CA5350 // The digest scheme is defined with SHA-1; changing it would break every client.
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(userAndPassword));
#pragma warning restore CA5350
        return $"{user}:{Convert.ToBase64String(hash)}";
    }
}
