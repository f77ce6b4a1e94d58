namespace ZkFire.Storage;

/// <summary>What SCRAM (RFC 5802) needs to verify a password without the password: salt, rounds and the two keys.</summary>
public sealed record ScramCredentials(byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey);
