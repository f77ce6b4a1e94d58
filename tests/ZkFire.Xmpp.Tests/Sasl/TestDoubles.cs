using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ZkFire.Storage;
using ZkFire.Xmpp.Sasl;

namespace ZkFire.Xmpp.Tests.Sasl;

internal sealed class InMemoryUserStore : IUserStore
{
    private readonly ConcurrentDictionary<string, UserRecord> _users = new(StringComparer.Ordinal);

    public int Lookups { get; private set; }

    public static InMemoryUserStore With(string username, string password, byte[]? sha1Salt = null, byte[]? sha256Salt = null)
    {
        var store = new InMemoryUserStore();
        store.Add(username, password, sha1Salt, sha256Salt);
        return store;
    }

    public void Add(string username, string password, byte[]? sha1Salt = null, byte[]? sha256Salt = null) =>
        _users[username] = new UserRecord(
            username,
            ScramCredentialFactory.Derive(password, HashAlgorithmName.SHA1, sha1Salt ?? RandomNumberGenerator.GetBytes(16), 4096),
            ScramCredentialFactory.Derive(password, HashAlgorithmName.SHA256, sha256Salt ?? RandomNumberGenerator.GetBytes(16), 4096),
            DateTimeOffset.UnixEpoch);

    public Task<bool> CreateAsync(UserRecord user, CancellationToken cancellationToken) => Task.FromResult(_users.TryAdd(user.Username, user));

    public Task<UserRecord?> GetAsync(string username, CancellationToken cancellationToken)
    {
        Lookups++;
        return Task.FromResult(_users.GetValueOrDefault(username));
    }

    public Task<bool> UpdateCredentialsAsync(string username, ScramCredentials sha1, ScramCredentials sha256, CancellationToken cancellationToken)
    {
        if (!_users.TryGetValue(username, out var user))
        {
            return Task.FromResult(false);
        }

        _users[username] = user with { Sha1 = sha1, Sha256 = sha256 };
        return Task.FromResult(true);
    }

    public Task<bool> DeleteAsync(string username, CancellationToken cancellationToken) => Task.FromResult(_users.TryRemove(username, out _));

    public Task<long> CountAsync(CancellationToken cancellationToken) => Task.FromResult((long)_users.Count);
}

internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>
/// The client side of SCRAM computed straight from RFC 5802 §3, independent of the server code, for exchanges that
/// have no published transcript.
/// </summary>
internal static class ScramTestClient
{
    public static string FinalMessage(HashAlgorithmName hash, string password, string clientFirstBare, string serverFirst, string channelBinding)
    {
        var attributes = serverFirst.Split(',').ToDictionary(a => a[..1], a => a[2..]);
        var withoutProof = $"c={channelBinding},r={attributes["r"]}";
        var size = hash == HashAlgorithmName.SHA1 ? 20 : 32;
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(attributes["s"]), int.Parse(attributes["i"], System.Globalization.CultureInfo.InvariantCulture), hash, size);
        var clientKey = CryptographicOperations.HmacData(hash, salted, "Client Key"u8);
        var storedKey = CryptographicOperations.HashData(hash, clientKey);
        var signature = CryptographicOperations.HmacData(hash, storedKey, Encoding.UTF8.GetBytes($"{clientFirstBare},{serverFirst},{withoutProof}"));
        var proof = clientKey.Zip(signature, (k, s) => (byte)(k ^ s)).ToArray();
        return $"{withoutProof},p={Convert.ToBase64String(proof)}";
    }

    public static string ExpectedServerFinal(HashAlgorithmName hash, string password, string clientFirstBare, string serverFirst, string clientFinal)
    {
        var attributes = serverFirst.Split(',').ToDictionary(a => a[..1], a => a[2..]);
        var size = hash == HashAlgorithmName.SHA1 ? 20 : 32;
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(attributes["s"]), int.Parse(attributes["i"], System.Globalization.CultureInfo.InvariantCulture), hash, size);
        var serverKey = CryptographicOperations.HmacData(hash, salted, "Server Key"u8);
        var withoutProof = clientFinal[..clientFinal.LastIndexOf(',')];
        var signature = CryptographicOperations.HmacData(hash, serverKey, Encoding.UTF8.GetBytes($"{clientFirstBare},{serverFirst},{withoutProof}"));
        return "v=" + Convert.ToBase64String(signature);
    }
}

internal static class SaslTestExtensions
{
    public static Task<SaslResult> Step(this ISaslMechanism mechanism, string message) =>
        mechanism.StepAsync(Encoding.UTF8.GetBytes(message), CancellationToken.None).AsTask();

    public static string Text(this SaslResult result) => result.Data is null ? "" : Encoding.UTF8.GetString(result.Data);
}
