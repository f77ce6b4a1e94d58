using System.Security.Cryptography;
using System.Text;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

/// <summary>
/// ZooKeeper's <c>digest</c> scheme as clients use it: authenticate with <c>user:password</c>, and grant ACLs to
/// the id <c>user:base64(sha1("user:password"))</c>.
/// </summary>
public static class DigestAuth
{
    public const string Scheme = "digest";

    /// <summary>The id a digest ACL entry names for this user and password.</summary>
    public static Id Id(string user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
#pragma warning disable CA5350 // The digest scheme is defined with SHA-1; every server and stored ACL expects it.
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes($"{user}:{password}"));
#pragma warning restore CA5350
        return new Id(Scheme, $"{user}:{Convert.ToBase64String(hash)}");
    }

    /// <summary>One ACL entry granting <paramref name="perms"/> to the user.</summary>
    public static Acl Acl(string user, string password, Perms perms = Perms.All) => new(perms, Id(user, password));
}
