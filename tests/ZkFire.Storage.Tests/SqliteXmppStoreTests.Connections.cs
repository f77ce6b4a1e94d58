using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace ZkFire.Storage.Tests;

/// <summary>
/// The store keeps connections and their prepared statements between calls; these show it caches nothing else:
/// other writers' commits are seen, snapshots are released, failures and cancellations leave it working, and
/// disposing it closes the file.
/// </summary>
public sealed partial class SqliteXmppStoreTests
{
    private const string SqliteShell = "/usr/bin/sqlite3";

    [Fact]
    public async Task Commits_through_another_store_on_the_file_are_seen_by_prepared_reads()
    {
        await CreateUsersAsync("juliet");
        var other = await OpenTrackedAsync();

        // Read first, so every statement below is already prepared on this store's connections.
        Assert.Null(await Store.Users.GetAsync("romeo", Ct));
        Assert.Empty(await Store.Rosters.GetAllAsync("juliet", Ct));
        Assert.Empty(await Store.Offline.PeekAsync("juliet", Ct));
        Assert.Equal(1, await Store.Users.CountAsync(Ct));

        Assert.True(await other.Users.CreateAsync(NewUser("romeo", seed: 5), Ct));
        await other.Rosters.PutAsync("juliet", new RosterItem("romeo@example.com", "Romeo", Subscription.Both, false, false, false, []), Ct);
        Assert.True(await other.Offline.StoreAsync("juliet", "<m/>", 10, Ct));

        Assert.Equal(5, (await Store.Users.GetAsync("romeo", Ct))!.Sha1.Salt[0]);
        Assert.Equal("Romeo", (await Store.Rosters.GetAllAsync("juliet", Ct)).Single().Name);
        Assert.Equal("<m/>", (await Store.Offline.PeekAsync("juliet", Ct)).Single().Stanza);
        Assert.Equal(2, await Store.Users.CountAsync(Ct));

        var changed = NewUser("romeo", seed: 7);
        Assert.True(await other.Users.UpdateCredentialsAsync("romeo", changed.Sha1, changed.Sha256, Ct));
        Assert.Equal(7, (await Store.Users.GetAsync("romeo", Ct))!.Sha1.Salt[0]);

        Assert.True(await other.Users.DeleteAsync("juliet", Ct));
        Assert.Empty(await Store.Rosters.GetAllAsync("juliet", Ct));
        Assert.Empty(await Store.Offline.PeekAsync("juliet", Ct));
    }

    [SkippableFact]
    public async Task Commits_by_another_process_are_seen_by_prepared_reads()
    {
        Skip.IfNot(File.Exists(SqliteShell), $"{SqliteShell} is not installed");
        await CreateUsersAsync("juliet");
        Assert.Equal(1, await Store.Users.CountAsync(Ct));
        Assert.Empty(await Store.Offline.PeekAsync("juliet", Ct));

        await RunSqliteShellAsync(
            "INSERT INTO users VALUES ('romeo', x'01', 4096, x'02', x'03', x'04', 4096, x'05', x'06', 0);" +
            "INSERT INTO offline (username, stanza, stored) VALUES ('juliet', '<from-shell/>', 0);");

        Assert.Equal(2, await Store.Users.CountAsync(Ct));
        Assert.Equal(4096, (await Store.Users.GetAsync("romeo", Ct))!.Sha256.Iterations);
        Assert.Equal("<from-shell/>", (await Store.Offline.PeekAsync("juliet", Ct)).Single().Stanza);

        await RunSqliteShellAsync("UPDATE users SET sha256_iterations = 8192 WHERE username = 'romeo';");
        Assert.Equal(8192, (await Store.Users.GetAsync("romeo", Ct))!.Sha256.Iterations);
    }

    [Fact]
    public async Task Reads_release_their_snapshot_even_when_reading_a_row_fails()
    {
        await CreateUsersAsync("juliet", "romeo");
        await Store.Rosters.PutAsync("juliet", new RosterItem("romeo@example.com", null, Subscription.Both, false, false, false, ["a"]), Ct);
        await Store.Rosters.PutAsync("romeo", new RosterItem("juliet@example.com", null, Subscription.Both, false, false, false, ["b"]), Ct);
        await QueryAsync(DatabasePath, "UPDATE roster SET groups = '{}' WHERE username = 'romeo'");

        // Readers on several threads at once, so the store holds several connections.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.NotNull(await Store.Users.GetAsync("juliet", Ct));
                Assert.Single(await Store.Rosters.GetAllAsync("juliet", Ct));
            }
        })));
        await Assert.ThrowsAsync<InvalidDataException>(() => Store.Rosters.GetAllAsync("romeo", Ct));

        // A checkpoint that truncates the log waits for no reader: any statement left unreset would hold a snapshot
        // and make it report busy.
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await using (var reader = await checkpoint.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(0L, reader.GetInt64(0));
        }

        Assert.Equal(0, new FileInfo(DatabasePath + "-wal").Length);
        Assert.Single(await Store.Rosters.GetAllAsync("juliet", Ct));
    }

    [Fact]
    public async Task Failed_statements_leave_the_store_working()
    {
        var item = new RosterItem("romeo@example.com", null, Subscription.None, true, false, false, []);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.Rosters.PutAsync("juliet", item, Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.Offline.StoreAsync("juliet", "<m/>", 10, Ct));

        await CreateUsersAsync("juliet");
        await Store.Rosters.PutAsync("juliet", item, Ct);
        Assert.True(await Store.Offline.StoreAsync("juliet", "<m/>", 10, Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.Rosters.PutAsync("nobody", item, Ct));

        Assert.True((await Store.Rosters.GetAsync("juliet", "romeo@example.com", Ct))!.PendingOut);
        Assert.Single(await Store.Offline.PeekAsync("juliet", Ct));
    }

    [Fact]
    public async Task Cancelled_calls_leave_the_store_working()
    {
        await CreateUsersAsync("juliet");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.Users.GetAsync("juliet", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.Rosters.GetAllAsync("juliet", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.Users.CreateAsync(NewUser("romeo"), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.Offline.StoreAsync("juliet", "<m/>", 10, cancelled.Token));

        Assert.NotNull(await Store.Users.GetAsync("juliet", Ct));
        Assert.True(await Store.Users.CreateAsync(NewUser("romeo"), Ct));
        Assert.True(await Store.Offline.StoreAsync("juliet", "<m/>", 10, Ct));
        Assert.Single(await Store.Offline.PeekAsync("juliet", Ct));
    }

    [Fact]
    public async Task Concurrent_readers_on_many_threads_each_get_their_own_rows()
    {
        const int users = 12;
        for (var u = 0; u < users; u++)
        {
            await CreateUsersAsync($"user{u}");
            for (var c = 0; c <= u; c++)
            {
                await Store.Rosters.PutAsync($"user{u}", new RosterItem($"contact{c}@example.com", $"{u}/{c}", Subscription.Both, false, false, false, []), Ct);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 32).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                var u = (t + i) % users;
                Assert.Equal($"user{u}", (await Store.Users.GetAsync($"user{u}", Ct))!.Username);
                var roster = await Store.Rosters.GetAllAsync($"user{u}", Ct);
                Assert.Equal(u + 1, roster.Count);
                Assert.All(roster, item => Assert.StartsWith($"{u}/", item.Name, StringComparison.Ordinal));
                Assert.Empty(await Store.Offline.PeekAsync($"user{u}", Ct));
            }
        })));
    }

    [SkippableFact]
    public async Task Dispose_closes_every_file_the_store_opened()
    {
        Skip.IfNot(Directory.Exists("/proc/self/fd"), "needs /proc/self/fd");
        await CreateUsersAsync("juliet");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await Store.Users.GetAsync("juliet", Ct);
            }
        })));
        Assert.NotEmpty(OpenFilesOfTheDatabase());

        await Store.DisposeAsync();

        Assert.Empty(OpenFilesOfTheDatabase());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.Users.GetAsync("juliet", Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.Users.CreateAsync(NewUser("romeo"), Ct));
    }

    private string[] OpenFilesOfTheDatabase() =>
        [.. Directory.GetFiles("/proc/self/fd")
            .Select(fd =>
            {
                try
                {
                    return new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    return null;
                }
            })
            .OfType<string>()
            .Where(target => target.StartsWith(DatabasePath, StringComparison.Ordinal))];

    private async Task RunSqliteShellAsync(string sql)
    {
        using var shell = Process.Start(new ProcessStartInfo(SqliteShell)
        {
            ArgumentList = { "-cmd", ".timeout 10000", DatabasePath, sql },
            RedirectStandardError = true,
        })!;
        var errors = await shell.StandardError.ReadToEndAsync();
        await shell.WaitForExitAsync();
        Assert.True(shell.ExitCode == 0, errors);
    }
}
