using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Storage.Sqlite;

namespace ZkFire.Storage.Tests;

public sealed partial class SqliteXmppStoreTests : XmppStoreContract
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => Path.Combine(_directory.Path, "store.db");

    protected override async Task<IXmppStore> OpenStoreAsync() => await OpenSqliteAsync(DatabasePath);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }

    private static Task<SqliteXmppStore> OpenSqliteAsync(string path) =>
        SqliteXmppStore.OpenAsync(new SqliteStoreOptions { DatabasePath = path }, NullLogger<SqliteXmppStore>.Instance, Ct);

    private static async Task<object?> QueryAsync(string path, string sql)
    {
        // Pooling off so the test's connection does not outlive the test and keep the file open.
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Missing_folders_are_created()
    {
        var path = Path.Combine(_directory.Path, "a", "b", "c", "nested.db");

        await using var store = await OpenSqliteAsync(path);
        Assert.True(await store.Users.CreateAsync(NewUser("juliet"), Ct));

        Assert.True(File.Exists(path));
        Assert.Equal(0, await Store.Users.CountAsync(Ct));
    }

    [Fact]
    public async Task Database_is_in_wal_mode_at_the_latest_schema_version()
    {
        Assert.Equal("wal", await QueryAsync(DatabasePath, "PRAGMA journal_mode"));
        Assert.Equal(1L, await QueryAsync(DatabasePath, "PRAGMA user_version"));
        Assert.Equal(3L, await QueryAsync(DatabasePath, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('users', 'roster', 'offline')"));
    }

    [Fact]
    public async Task Database_from_a_newer_schema_is_refused()
    {
        await Store.DisposeAsync();
        await QueryAsync(DatabasePath, "PRAGMA user_version = 99");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => OpenSqliteAsync(DatabasePath));

        Assert.Contains("99", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
        Assert.Equal(99L, await QueryAsync(DatabasePath, "PRAGMA user_version"));
    }

    [Fact]
    public async Task Offline_messages_are_stamped_with_the_injected_clock()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        await using var store = new SqliteXmppStore(
            new SqliteStoreOptions { DatabasePath = DatabasePath },
            NullLogger<SqliteXmppStore>.Instance,
            new FixedTime(now));
        await CreateUsersAsync("juliet");

        await store.Offline.StoreAsync("juliet", "<m/>", 10, Ct);

        Assert.Equal(now, (await store.Offline.PeekAsync("juliet", Ct)).Single().Stored);
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        var logger = NullLogger<SqliteXmppStore>.Instance;
        Assert.Throws<ArgumentException>(() => new SqliteXmppStore(new SqliteStoreOptions { DatabasePath = " " }, logger));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SqliteXmppStore(new SqliteStoreOptions { DatabasePath = DatabasePath, BusyTimeout = TimeSpan.Zero }, logger));
    }
}
