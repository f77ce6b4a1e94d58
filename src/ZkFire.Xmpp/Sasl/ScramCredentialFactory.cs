using System.Security.Cryptography;
using System.Text;
using ZkFire.Storage;

namespace ZkFire.Xmpp.Sasl;

/// <summary>Turns a password into stored SCRAM keys (RFC 5802 §3); the password itself is never kept.</summary>
public static class ScramCredentialFactory
{
    public const int DefaultIterations = 4096;

    private const int SaltLength = 16;

    /// <summary>SASLprep/OpaqueString-normalises the password, draws a random salt and derives the keys.</summary>
    /// <exception cref="ArgumentException">The password is empty or has characters SASLprep prohibits, or the hash is not SHA-1 or SHA-256.</exception>
    public static ScramCredentials Create(string password, HashAlgorithmName hash, int iterations = DefaultIterations) =>
        Derive(password, hash, RandomNumberGenerator.GetBytes(SaltLength), iterations);

    /// <summary>Deterministic derivation, for test vectors and for PLAIN verification.</summary>
    /// <exception cref="ArgumentException">The password is empty or has characters SASLprep prohibits, or the hash is not SHA-1 or SHA-256.</exception>
    public static ScramCredentials Derive(string password, HashAlgorithmName hash, byte[] salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!SaslPrep.TryPrepare(password, out var prepared))
        {
            throw new ArgumentException("The password is empty or has characters SASLprep prohibits.", nameof(password));
        }

        return DerivePrepared(prepared, hash, salt, iterations);
    }

    /// <summary>Derives keys from a password that has already been through SASLprep.</summary>
    internal static ScramCredentials DerivePrepared(string preparedPassword, HashAlgorithmName hash, byte[] salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var passwordBytes = Encoding.UTF8.GetBytes(preparedPassword);
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, iterations, hash, ScramHash.Size(hash));
        var clientKey = ScramHash.Hmac(hash, saltedPassword, "Client Key"u8);
        var credentials = new ScramCredentials(
            [.. salt],
            iterations,
            ScramHash.Hash(hash, clientKey),
            ScramHash.Hmac(hash, saltedPassword, "Server Key"u8));
        CryptographicOperations.ZeroMemory(passwordBytes);
        CryptographicOperations.ZeroMemory(saltedPassword);
        CryptographicOperations.ZeroMemory(clientKey);
        return credentials;
    }
}
