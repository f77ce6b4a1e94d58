using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ZkFire.Interconnect;

/// <summary>Which side of a connection a proof speaks for: a proof from one side is worthless from the other.</summary>
public enum LinkRole : byte
{
    Connecting = 1,
    Accepting = 2,
}

/// <summary>
/// The proofs of the link handshake. With a shared secret, each side of a connection proves it holds the secret by an
/// HMAC-SHA256 over a label, its role, the link's purpose, both sides' ids and a fresh nonce from each side, so a
/// proof can be neither replayed, reflected back, nor moved to another purpose or pair of ids. Without a secret there
/// is nothing to prove: the application admits peers by address instead.
/// </summary>
public sealed class LinkAuthenticator
{
    public const int MinSecretLength = 16;
    public const int NonceLength = 32;

    private static readonly byte[] Label = "zkfire-link-v1"u8.ToArray();

    private readonly byte[]? secret;

    public LinkAuthenticator(string localId, byte[]? secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(localId);
        if (secret is { Length: < MinSecretLength })
        {
            throw new ArgumentException($"A shared secret has at least {MinSecretLength} bytes.", nameof(secret));
        }

        LocalId = localId;
        this.secret = secret;
    }

    public string LocalId { get; }

    public bool UsesSecret => secret is not null;

    /// <summary>
    /// Reads a secret file. Trailing whitespace is dropped, so a secret written with <c>echo</c> and one written
    /// without a final line break are the same secret.
    /// </summary>
    /// <param name="setting">The setting that names the file, for messages (<c>quorum.auth.secretFile</c>).</param>
    /// <exception cref="IOException">The file is missing, unreadable or holds fewer than 16 bytes.</exception>
    public static async Task<byte[]> LoadSecretAsync(string path, string setting, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{setting} {path} cannot be read: {ex.Message}", ex);
        }

        var length = bytes.Length;
        while (length > 0 && bytes[length - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            length--;
        }

        if (length < MinSecretLength)
        {
            throw new IOException(
                $"{setting} {path} holds {length} bytes; the secret must be at least {MinSecretLength} bytes (for example 32 random bytes, base64-encoded).");
        }

        return bytes[..length];
    }

    public byte[] NewNonce() => UsesSecret ? RandomNumberGenerator.GetBytes(NonceLength) : [];

    public byte[] Prove(LinkRole role, string purpose, string connecting, string accepting, ReadOnlySpan<byte> connectingNonce, ReadOnlySpan<byte> acceptingNonce)
    {
        var mac = new byte[HMACSHA256.HashSizeInBytes];
        Compute(role, purpose, connecting, accepting, connectingNonce, acceptingNonce, mac);
        return mac;
    }

    public bool Verify(
        LinkRole role, string purpose, string connecting, string accepting, ReadOnlySpan<byte> connectingNonce, ReadOnlySpan<byte> acceptingNonce, ReadOnlySpan<byte> proof)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(role, purpose, connecting, accepting, connectingNonce, acceptingNonce, expected);
        return CryptographicOperations.FixedTimeEquals(expected, proof);
    }

    private void Compute(
        LinkRole role, string purpose, string connecting, string accepting, ReadOnlySpan<byte> connectingNonce, ReadOnlySpan<byte> acceptingNonce, Span<byte> mac)
    {
        if (secret is null || connectingNonce.Length != NonceLength || acceptingNonce.Length != NonceLength)
        {
            throw new InvalidOperationException("A proof needs the shared secret and two nonces of 32 bytes.");
        }

        // The strings carry their length and the nonces have a fixed one, so no two different inputs share an encoding.
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(Label);
        hmac.AppendData([(byte)role]);
        AppendString(hmac, purpose);
        AppendString(hmac, connecting);
        AppendString(hmac, accepting);
        hmac.AppendData(connectingNonce);
        hmac.AppendData(acceptingNonce);
        hmac.GetHashAndReset(mac);
    }

    private static void AppendString(IncrementalHash hmac, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hmac.AppendData(length);
        hmac.AppendData(bytes);
    }
}
