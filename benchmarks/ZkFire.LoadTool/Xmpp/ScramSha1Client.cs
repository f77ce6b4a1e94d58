using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>
/// SaltedPassword values a client has derived, by account (RFC 5802 §5.1 lets a client cache it; mobile clients do):
/// a login storm would otherwise spend a PBKDF2 of thousands of iterations per login on the tool's side.
/// </summary>
internal sealed class ScramCache
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public int Count => entries.Count;

    /// <summary>The salted password for these parameters, derived once; a changed salt or count derives anew.</summary>
    public byte[] SaltedPassword(string username, string password, string salt, int iterations)
    {
        if (entries.TryGetValue(username, out var entry) && entry.Iterations == iterations && entry.Salt == salt && entry.Password == password)
        {
            return entry.Salted;
        }

        var salted = ScramSha1Client.Derive(password, salt, iterations);
        entries[username] = new Entry(password, salt, iterations, salted);
        return salted;
    }

    private sealed record Entry(string Password, string Salt, int Iterations, byte[] Salted);
}

/// <summary>
/// The client side of SCRAM-SHA-1 (RFC 5802) without channel binding (gs2 flag <c>n</c>). Usernames and passwords
/// are the tool's own ASCII ones, so SASLprep is the identity and only <c>,</c> and <c>=</c> need escaping.
/// </summary>
internal sealed class ScramSha1Client(string username, string password, ScramCache? cache = null)
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
        var nonce = Field(text, 'r');
        var salt = Field(text, 's');
        var iterationText = Field(text, 'i');
        if (nonce is null || !nonce.StartsWith(clientNonce, StringComparison.Ordinal) || salt is null
            || !int.TryParse(iterationText, out var iterations) || iterations <= 0)
        {
            throw new InvalidOperationException($"bad SCRAM server-first message: {text}");
        }

        var salted = cache?.SaltedPassword(username, password, salt, iterations) ?? Derive(password, salt, iterations);
#pragma warning disable CA5350 // SCRAM-SHA-1 is defined with SHA-1, and it is the mechanism servers are compared on.
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
        serverSignature is not null && Field(Encoding.UTF8.GetString(serverFinal), 'v') is { } v
        && v == Convert.ToBase64String(serverSignature);

    /// <summary>Hi(password, salt, i) of RFC 5802: the costly step.</summary>
    internal static byte[] Derive(string password, string salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA1, 20);

    /// <summary>The value of the first <c>name=value</c> attribute of the comma-separated message, or null.</summary>
    private static string? Field(string message, char name)
    {
        var at = 0;
        while (at < message.Length)
        {
            var comma = message.IndexOf(',', at);
            var end = comma < 0 ? message.Length : comma;
            if (end - at >= 2 && message[at] == name && message[at + 1] == '=')
            {
                return message[(at + 2)..end];
            }

            at = end + 1;
        }

        return null;
    }
}
