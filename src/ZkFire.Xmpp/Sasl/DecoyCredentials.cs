using System.Security.Cryptography;
using System.Text;
using ZkFire.Storage;

namespace ZkFire.Xmpp.Sasl;

/// <summary>
/// Stand-in credentials for a user who does not exist, so an exchange for an unknown name looks and costs the same
/// as one for a real name and fails only at the end. The salt is stable per name (for this process), so repeating
/// the attempt does not reveal anything either.
/// </summary>
internal static class DecoyCredentials
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    // Follows the iteration count of real accounts, so a deployment using another count than the default does not
    // give unknown names away by "i=".
    private static int s_iterations = ScramCredentialFactory.DefaultIterations;

    public static void Observe(ScramCredentials real) => Volatile.Write(ref s_iterations, real.Iterations);

    public static ScramCredentials For(string username, HashAlgorithmName hash)
    {
        var seed = HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes($"{hash.Name}\0{username}"));
        return new ScramCredentials(
            seed[..16],
            Volatile.Read(ref s_iterations),
            ScramHash.Hmac(hash, seed, "StoredKey"u8),
            ScramHash.Hmac(hash, seed, "ServerKey"u8));
    }
}
