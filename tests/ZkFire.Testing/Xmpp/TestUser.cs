using System.Security.Cryptography;

namespace ZkFire.Testing;

/// <summary>An XMPP account a test creates for itself.</summary>
public sealed record TestUser(string Username, string Password)
{
    private static int counter;

    public string Jid(string domain) => $"{Username}@{domain}";

    /// <summary>A unique name and password that no account uses (yet), so tests never see each other's rosters or messages.</summary>
    public static TestUser Unique(string prefix) =>
        new($"{prefix}{Interlocked.Increment(ref counter)}x{RandomNumberGenerator.GetHexString(6, lowercase: true)}",
            $"pw-{RandomNumberGenerator.GetHexString(12, lowercase: true)}");
}
