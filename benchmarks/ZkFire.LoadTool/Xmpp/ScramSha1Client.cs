using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ZkFire.LoadTool.Xmpp;

/// <summary>
/// SCRAM keys a client has derived, by account. RFC 5802 §5.1 lets a client cache SaltedPassword and the
/// ClientKey/ServerKey that depend on nothing else (mobile clients do): a login storm would otherwise spend a PBKDF2 of
/// thousands of iterations per login on the tool's side, and then three more hashes to get the keys.
/// </summary>
internal sealed class ScramCache
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public int Count => entries.Count;

    /// <summary>The keys for these parameters, derived once; a changed salt (base64, as sent) or count derives anew.</summary>
    public ScramKeys Keys(string username, string password, ReadOnlySpan<byte> salt, int iterations)
    {
        if (entries.TryGetValue(username, out var entry) && entry.Iterations == iterations && salt.SequenceEqual(entry.Salt) && entry.Password == password)
        {
            return entry.Keys;
        }

        var keys = ScramKeys.Derive(password, salt, iterations);
        entries[username] = new Entry(password, salt.ToArray(), iterations, keys);
        return keys;
    }

    private sealed record Entry(string Password, byte[] Salt, int Iterations, ScramKeys Keys);
}

/// <summary>The keys of RFC 5802 §3 that follow from the password, salt and iteration count alone.</summary>
internal sealed class ScramKeys
{
    public const int Size = 20;

    private ScramKeys(byte[] clientKey, byte[] storedKey, byte[] serverKey)
    {
        ClientKey = clientKey;
        StoredKey = storedKey;
        ServerKey = serverKey;
    }

    public byte[] ClientKey { get; }

    public byte[] StoredKey { get; }

    public byte[] ServerKey { get; }

    /// <summary>Hi(password, salt, i) of RFC 5802 and the keys from it: the costly step.</summary>
    /// <exception cref="InvalidOperationException">The salt is not base64.</exception>
    public static ScramKeys Derive(string password, ReadOnlySpan<byte> salt, int iterations)
    {
        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(salt.Length)];
        if (Base64.DecodeFromUtf8(salt, decoded, out _, out var saltLength) != OperationStatus.Done)
        {
            throw new InvalidOperationException("the SCRAM salt is not base64");
        }

        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), decoded.AsSpan(0, saltLength), iterations, HashAlgorithmName.SHA1, Size);
#pragma warning disable CA5350 // SCRAM-SHA-1 is defined with SHA-1, and it is the mechanism servers are compared on.
        var clientKey = HMACSHA1.HashData(salted, "Client Key"u8);
        return new ScramKeys(clientKey, SHA1.HashData(clientKey), HMACSHA1.HashData(salted, "Server Key"u8));
#pragma warning restore CA5350
    }
}

/// <summary>
/// The client side of SCRAM-SHA-1 (RFC 5802) without channel binding (gs2 flag <c>n</c>), on the messages' bytes.
/// Usernames and passwords are the tool's own ASCII ones, so SASLprep is the identity and only <c>,</c> and <c>=</c>
/// need escaping.
/// </summary>
internal sealed class ScramSha1Client(string username, string password, ScramCache? cache = null)
{
    private const string Gs2Header = "n,,";

    /// <summary>The channel-binding attribute's value: base64 of the gs2 header.</summary>
    private static readonly byte[] ChannelBinding = "c=biws,r="u8.ToArray();

    private readonly string clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    private byte[] clientFirstBare = [];
    private byte[]? serverSignature;

    public byte[] ClientFirst()
    {
        var bare = $"n={username.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal)},r={clientNonce}";
        clientFirstBare = Encoding.UTF8.GetBytes(bare);
        return Encoding.UTF8.GetBytes(Gs2Header + bare);
    }

    /// <summary>The client-final message for the server's challenge.</summary>
    /// <exception cref="InvalidOperationException">The challenge is malformed or does not extend our nonce.</exception>
    public byte[] ClientFinal(ReadOnlySpan<byte> serverFirst)
    {
        var nonce = Field(serverFirst, 'r');
        var salt = Field(serverFirst, 's');
        if (nonce.IsEmpty || !StartsWithNonce(nonce) || salt.IsEmpty
            || !Utf8Parser.TryParse(Field(serverFirst, 'i'), out int iterations, out var digits) || digits == 0 || iterations <= 0)
        {
            throw new InvalidOperationException($"bad SCRAM server-first message: {Encoding.UTF8.GetString(serverFirst)}");
        }

        var keys = cache?.Keys(username, password, salt, iterations) ?? ScramKeys.Derive(password, salt, iterations);

        // client-final-message-without-proof, then the proof after it.
        var final = new byte[ChannelBinding.Length + nonce.Length + 3 + Base64.GetMaxEncodedToUtf8Length(ScramKeys.Size)];
        ChannelBinding.CopyTo(final, 0);
        nonce.CopyTo(final.AsSpan(ChannelBinding.Length));
        var withoutProof = ChannelBinding.Length + nonce.Length;

        // AuthMessage = client-first-message-bare "," server-first-message "," client-final-message-without-proof
        var length = clientFirstBare.Length + 1 + serverFirst.Length + 1 + withoutProof;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        var authMessage = rented.AsSpan(0, length);
        clientFirstBare.CopyTo(authMessage);
        authMessage[clientFirstBare.Length] = (byte)',';
        serverFirst.CopyTo(authMessage[(clientFirstBare.Length + 1)..]);
        authMessage[length - withoutProof - 1] = (byte)',';
        final.AsSpan(0, withoutProof).CopyTo(authMessage[(length - withoutProof)..]);

        Span<byte> proof = stackalloc byte[ScramKeys.Size];
#pragma warning disable CA5350
        HMACSHA1.HashData(keys.StoredKey, authMessage, proof);
        serverSignature = HMACSHA1.HashData(keys.ServerKey, authMessage);
#pragma warning restore CA5350
        ArrayPool<byte>.Shared.Return(rented);
        for (var i = 0; i < proof.Length; i++)
        {
            proof[i] ^= keys.ClientKey[i];
        }

        ",p="u8.CopyTo(final.AsSpan(withoutProof));
        Base64.EncodeToUtf8(proof, final.AsSpan(withoutProof + 3), out _, out var written);
        return final[..(withoutProof + 3 + written)];
    }

    /// <summary>Whether the server's final message proves it knows the password too.</summary>
    public bool VerifyServerFinal(ReadOnlySpan<byte> serverFinal)
    {
        Span<byte> signature = stackalloc byte[ScramKeys.Size + 2];
        return serverSignature is not null
               && Base64.DecodeFromUtf8(Field(serverFinal, 'v'), signature, out _, out var written) == OperationStatus.Done
               && signature[..written].SequenceEqual(serverSignature);
    }

    private bool StartsWithNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length < clientNonce.Length)
        {
            return false;
        }

        for (var i = 0; i < clientNonce.Length; i++)
        {
            if (nonce[i] != clientNonce[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The value of the first <c>name=value</c> attribute of the comma-separated message, or empty.</summary>
    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> message, char name)
    {
        while (!message.IsEmpty)
        {
            var comma = message.IndexOf((byte)',');
            var attribute = comma < 0 ? message : message[..comma];
            if (attribute.Length >= 2 && attribute[0] == name && attribute[1] == (byte)'=')
            {
                return attribute[2..];
            }

            message = comma < 0 ? default : message[(comma + 1)..];
        }

        return default;
    }
}
