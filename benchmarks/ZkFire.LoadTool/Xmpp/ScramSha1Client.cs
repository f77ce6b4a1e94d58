using System.Security.Cryptography;
using System.Text;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>
/// The client side of SCRAM-SHA-1 (RFC 5802) without channel binding (gs2 flag <c>n</c>). Usernames and passwords
/// are the tool's own ASCII ones, so SASLprep is the identity and only <c>,</c> and <c>=</c> need escaping.
/// </summary>
internal sealed class ScramSha1Client(string username, string password)
{
    private const string Gs2Header = "n,,";

    private readonly string clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    private string? clientFirstBare;
    private byte[]? serverSignature;

    public byte[] ClientFirst()
    {
        clientFirstBare = $"n={username.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal)},r={clientNonce}";
        return Encoding.UTF8.GetBytes(Gs2Header + clientFirstBare);
    }

    /// <summary>The client-final message for the server's challenge.</summary>
    /// <exception cref="InvalidOperationException">The challenge is malformed or does not extend our nonce.</exception>
    public byte[] ClientFinal(byte[] serverFirst)
    {
        var text = Encoding.UTF8.GetString(serverFirst);
        var fields = Fields(text);
        if (!fields.TryGetValue('r', out var nonce) || !nonce.StartsWith(clientNonce, StringComparison.Ordinal)
            || !fields.TryGetValue('s', out var salt) || !fields.TryGetValue('i', out var iterationText)
            || !int.TryParse(iterationText, out var iterations) || iterations <= 0)
        {
            throw new InvalidOperationException($"bad SCRAM server-first message: {text}");
        }

#pragma warning disable CA5350 // SCRAM-SHA-1 is defined with SHA-1, and it is the mechanism servers are compared on.
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA1, 20);
        var clientKey = HMACSHA1.HashData(salted, "Client Key"u8);
        var storedKey = SHA1.HashData(clientKey);
        var withoutProof = $"c={Convert.ToBase64String(Encoding.ASCII.GetBytes(Gs2Header))},r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{clientFirstBare},{text},{withoutProof}");
        var signature = HMACSHA1.HashData(storedKey, authMessage);
        for (var i = 0; i < clientKey.Length; i++)
        {
            clientKey[i] ^= signature[i];
        }

        serverSignature = HMACSHA1.HashData(HMACSHA1.HashData(salted, "Server Key"u8), authMessage);
#pragma warning restore CA5350
        return Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(clientKey)}");
    }

    /// <summary>Whether the server's final message proves it knows the password too.</summary>
    public bool VerifyServerFinal(byte[] serverFinal) =>
        serverSignature is not null && Fields(Encoding.UTF8.GetString(serverFinal)).TryGetValue('v', out var v)
        && v == Convert.ToBase64String(serverSignature);

    private static Dictionary<char, string> Fields(string message) =>
        message.Split(',').Where(f => f.Length >= 2 && f[1] == '=').GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[2..]);
}
