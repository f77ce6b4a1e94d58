using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// Who may talk to this member over the quorum transport. With a shared secret, each side of a connection proves it
/// holds the secret by an HMAC-SHA256 over both members' ids, the link's purpose and a fresh nonce from each side, so
/// a proof can be neither replayed nor reflected back. Without one, a connection is accepted from any configured
/// member's IP address and its claimed myid is believed.
/// </summary>
internal sealed class QuorumAuthenticator
{
    public const int MinSecretLength = 16;
    public const int NonceLength = 32;

    private static readonly byte[] Label = "zkfire-quorum-v1"u8.ToArray();

    private readonly byte[]? secret;
    private readonly IReadOnlySet<IPAddress> memberAddresses;

    public QuorumAuthenticator(long myId, IReadOnlySet<long> memberIds, byte[]? secret, IReadOnlySet<IPAddress> memberAddresses)
    {
        MyId = myId;
        MemberIds = memberIds;
        this.secret = secret;
        this.memberAddresses = memberAddresses;
    }

    /// <summary>Which side of the connection a proof speaks for: a proof from one side is worthless from the other.</summary>
    public enum Role : byte
    {
        Connecting = 1,
        Accepting = 2,
    }

    public long MyId { get; }

    public IReadOnlySet<long> MemberIds { get; }

    public bool UsesSecret => secret is not null;

    /// <summary>
    /// Reads <c>quorum.auth.secretFile</c>. Trailing whitespace is dropped, so a secret written with <c>echo</c> and one
    /// written without a final line break are the same secret.
    /// </summary>
    /// <exception cref="IOException">The file is missing, unreadable or holds fewer than 16 bytes.</exception>
    public static async Task<byte[]> LoadSecretAsync(string path, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"quorum.auth.secretFile {path} cannot be read: {ex.Message}", ex);
        }

        var length = bytes.Length;
        while (length > 0 && bytes[length - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            length--;
        }

        if (length < MinSecretLength)
        {
            throw new IOException(
                $"quorum.auth.secretFile {path} holds {length} bytes; the secret members share must be at least {MinSecretLength} bytes (for example 32 random bytes, base64-encoded).");
        }

        return bytes[..length];
    }

    public bool IsMember(long id) => id != MyId && MemberIds.Contains(id);

    public bool IsMemberAddress(IPAddress address) =>
        memberAddresses.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    public byte[] NewNonce() => UsesSecret ? RandomNumberGenerator.GetBytes(NonceLength) : [];

    public byte[] Prove(Role role, LinkPurpose purpose, long connecting, long accepting, ReadOnlySpan<byte> connectingNonce, ReadOnlySpan<byte> acceptingNonce)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(role, purpose, connecting, accepting, connectingNonce, acceptingNonce, mac);
        return mac.ToArray();
    }

    public bool Verify(
        Role role, LinkPurpose purpose, long connecting, long accepting, ReadOnlySpan<byte> connectingNonce, ReadOnlySpan<byte> acceptingNonce, ReadOnlySpan<byte> proof)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(role, purpose, connecting, accepting, connectingNonce, acceptingNonce, expected);
        return CryptographicOperations.FixedTimeEquals(expected, proof);
    }

    private void Compute(
        Role role, LinkPurpose purpose, long connecting, long accepting, ReadOnlySpan<byte> connectingNonce, ReadOnlySpan<byte> acceptingNonce, Span<byte> mac)
    {
        if (secret is null || connectingNonce.Length != NonceLength || acceptingNonce.Length != NonceLength)
        {
            throw new InvalidOperationException("A proof needs the shared secret and two nonces of 32 bytes.");
        }

        // Every field has a fixed length, so no two different inputs share an encoding.
        Span<byte> input = stackalloc byte[Label.Length + 1 + 4 + 8 + 8 + NonceLength + NonceLength];
        Label.CopyTo(input);
        var rest = input[Label.Length..];
        rest[0] = (byte)role;
        BinaryPrimitives.WriteInt32BigEndian(rest[1..], (int)purpose);
        BinaryPrimitives.WriteInt64BigEndian(rest[5..], connecting);
        BinaryPrimitives.WriteInt64BigEndian(rest[13..], accepting);
        connectingNonce.CopyTo(rest[21..]);
        acceptingNonce.CopyTo(rest[(21 + NonceLength)..]);
        HMACSHA256.HashData(secret, input, mac);
    }
}
