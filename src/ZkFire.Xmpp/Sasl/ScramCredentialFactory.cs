using System.Security.Cryptography;
using ZkFire.Storage;

namespace ZkFire.Xmpp.Sasl;

/// <summary>Turns a password into stored SCRAM keys (RFC 5802 §3); the password itself is never kept.</summary>
public static class ScramCredentialFactory
{
    public const int DefaultIterations = 4096;

    /// <summary>SASLprep/OpaqueString-normalises the password, draws a random salt and derives the keys.</summary>
    public static ScramCredentials Create(string password, HashAlgorithmName hash, int iterations = DefaultIterations) => throw new NotImplementedException();

    /// <summary>Deterministic derivation, for test vectors and for PLAIN verification.</summary>
    public static ScramCredentials Derive(string password, HashAlgorithmName hash, byte[] salt, int iterations) => throw new NotImplementedException();
}
