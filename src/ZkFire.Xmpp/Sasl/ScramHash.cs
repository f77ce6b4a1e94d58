using System.Security.Cryptography;

namespace ZkFire.Xmpp.Sasl;

/// <summary>The hash functions SCRAM is used with here, and the primitives of RFC 5802 §2.2 over them.</summary>
internal static class ScramHash
{
    /// <exception cref="ArgumentException">The hash is not SHA-1 or SHA-256.</exception>
    public static int Size(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA256 ? SHA256.HashSizeInBytes
        : hash == HashAlgorithmName.SHA1 ? SHA1.HashSizeInBytes
        : throw new ArgumentException($"SCRAM is not supported with {hash.Name}.", nameof(hash));

    public static byte[] Hmac(HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) =>
        CryptographicOperations.HmacData(hash, key, data);

    public static byte[] Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data) => CryptographicOperations.HashData(hash, data);

    /// <param name="destination">Exactly <see cref="Size"/> bytes.</param>
    public static void Hmac(HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        CryptographicOperations.HmacData(hash, key, data, destination);

    /// <param name="destination">Exactly <see cref="Size"/> bytes.</param>
    public static void Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data, Span<byte> destination) =>
        CryptographicOperations.HashData(hash, data, destination);
}
