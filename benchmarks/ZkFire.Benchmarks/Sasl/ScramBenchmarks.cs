using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using ZkFire.Storage;
using ZkFire.Xmpp.Sasl;

namespace ZkFire.Benchmarks.Sasl;

/// <summary>
/// One whole server-side SCRAM-SHA-1 exchange, the mechanism alone: the RFC 5802 §5 transcript (user "user",
/// password "pencil", fixed nonces), so the client messages are precomputed and the user lookup is a completed task.
/// What remains is the server's parsing, its two HMACs and hash, and what it allocates for them.
/// </summary>
[MemoryDiagnoser]
public class ScramBenchmarks
{
    private static readonly byte[] ClientFirst = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"u8.ToArray();
    private static readonly byte[] ClientFinal = "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="u8.ToArray();

    private readonly OneUserStore users = new(new UserRecord(
        "user",
        ScramCredentialFactory.Derive("pencil", HashAlgorithmName.SHA1, Convert.FromBase64String("QSXCR+Q6sek8bf92"), 4096),
        ScramCredentialFactory.Derive("pencil", HashAlgorithmName.SHA256, Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096),
        DateTimeOffset.UnixEpoch));

    [Benchmark]
    public async Task<SaslResult> ScramSha1Exchange()
    {
        var scram = new ScramMechanism(HashAlgorithmName.SHA1, plus: false, [], users, static () => "3rfcNHYJY1ZVvWVs7j");
        await scram.StepAsync(ClientFirst, CancellationToken.None);
        var final = await scram.StepAsync(ClientFinal, CancellationToken.None);
        return final.Outcome == SaslOutcome.Success ? final : throw new InvalidOperationException(Encoding.UTF8.GetString(final.Data ?? []));
    }

    private sealed class OneUserStore(UserRecord user) : IUserStore
    {
        private readonly Task<UserRecord?> found = Task.FromResult<UserRecord?>(user);

        public Task<UserRecord?> GetAsync(string username, CancellationToken cancellationToken) =>
            username == user.Username ? found : Task.FromResult<UserRecord?>(null);

        public Task<bool> CreateAsync(UserRecord user, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> UpdateCredentialsAsync(string username, ScramCredentials sha1, ScramCredentials sha256, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(string username, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> CountAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
