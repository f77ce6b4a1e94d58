using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Storage;
using ZkFire.Storage.Sqlite;

namespace ZkFire.Benchmarks.Persistence;

/// <summary>
/// The SQLite store reads of one XMPP login, on a file in WAL mode: the SCRAM credentials, the roster (five items)
/// for the initial presence broadcast, and the offline queue (empty, as for most logins). <see cref="Login"/> is
/// the three in a row.
/// </summary>
[MemoryDiagnoser]
public class SqliteLoginReadBenchmarks
{
    private const string User = "juliet";
    private string directory = null!;
    private SqliteXmppStore store = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Directory.CreateTempSubdirectory("zkfire-bench-sqlite-").FullName;
        store = await SqliteXmppStore.OpenAsync(
            new SqliteStoreOptions { DatabasePath = Path.Combine(directory, "store.db") },
            NullLogger<SqliteXmppStore>.Instance,
            CancellationToken.None);
        var sha1 = new ScramCredentials(new byte[16], 4096, new byte[20], new byte[20]);
        var sha256 = new ScramCredentials(new byte[16], 4096, new byte[32], new byte[32]);
        await store.Users.CreateAsync(new UserRecord(User, sha1, sha256, DateTimeOffset.UtcNow), CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await store.Rosters.PutAsync(
                User,
                new RosterItem($"contact{i}@example.com", $"Contact {i}", Subscription.Both, false, false, false, ["Friends"]),
                CancellationToken.None);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Benchmark]
    public Task<UserRecord?> Credentials() => store.Users.GetAsync(User, CancellationToken.None);

    [Benchmark]
    public Task<IReadOnlyList<RosterItem>> Roster() => store.Rosters.GetAllAsync(User, CancellationToken.None);

    [Benchmark]
    public Task<IReadOnlyList<OfflineMessage>> EmptyOffline() => store.Offline.PeekAsync(User, CancellationToken.None);

    [Benchmark]
    public async Task Login()
    {
        await store.Users.GetAsync(User, CancellationToken.None);
        await store.Rosters.GetAllAsync(User, CancellationToken.None);
        await store.Offline.PeekAsync(User, CancellationToken.None);
    }
}
