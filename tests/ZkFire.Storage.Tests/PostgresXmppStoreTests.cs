using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Storage.Postgres;

namespace ZkFire.Storage.Tests;

public sealed class PostgresXmppStoreTests : XmppStoreContract
{
    private readonly PostgresTestSchema _schema = new();

    protected override async Task<IXmppStore> OpenStoreAsync() => await OpenPostgresAsync(await _schema.GetConnectionStringAsync());

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _schema.DisposeAsync();
    }

    private static Task<PostgresXmppStore> OpenPostgresAsync(string connectionString) =>
        PostgresXmppStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connectionString }, NullLogger<PostgresXmppStore>.Instance, Ct);

    [SkippableFact]
    public async Task Schema_is_at_the_latest_version()
    {
        Assert.Equal(1, await _schema.QueryAsync("SELECT version FROM schema_version"));
        Assert.Equal(3L, await _schema.QueryAsync(
            $"SELECT COUNT(*) FROM pg_tables WHERE schemaname = '{_schema.Name}' AND tablename IN ('users', 'roster', 'offline')"));
    }

    [SkippableFact]
    public async Task Database_from_a_newer_schema_is_refused()
    {
        await Store.DisposeAsync();
        await _schema.QueryAsync("UPDATE schema_version SET version = 99");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await OpenPostgresAsync(await _schema.GetConnectionStringAsync()));

        Assert.Contains("99", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
        Assert.Equal(99, await _schema.QueryAsync("SELECT version FROM schema_version"));
    }

    [SkippableFact]
    public async Task Nodes_migrating_an_empty_database_at_once_all_succeed()
    {
        await using var empty = new PostgresTestSchema();
        var connectionString = await empty.GetConnectionStringAsync();

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => OpenPostgresAsync(connectionString))));
        try
        {
            Assert.True(await stores[0].Users.CreateAsync(NewUser("juliet"), Ct));
            Assert.All(await Task.WhenAll(stores.Select(s => s.Users.CountAsync(Ct))), count => Assert.Equal(1, count));
            Assert.Equal(1, await empty.QueryAsync("SELECT version FROM schema_version"));
            Assert.Equal(1L, await empty.QueryAsync("SELECT COUNT(*) FROM schema_version"));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task Two_nodes_see_each_others_writes()
    {
        var other = await OpenTrackedAsync();

        Assert.True(await Store.Users.CreateAsync(NewUser("juliet"), Ct));
        Assert.False(await other.Users.CreateAsync(NewUser("juliet", 5), Ct));
        Assert.NotNull(await other.Users.GetAsync("juliet", Ct));

        await other.Rosters.PutAsync("juliet", new RosterItem("romeo@example.com", "Romeo", Subscription.To, false, true, false, ["Montague"]), Ct);
        Assert.Equal(Subscription.To, (await Store.Rosters.GetAsync("juliet", "romeo@example.com", Ct))!.Subscription);

        Assert.True(await Store.Offline.StoreAsync("juliet", "<m/>", 10, Ct));
        var messages = await other.Offline.PeekAsync("juliet", Ct);
        Assert.Equal("<m/>", messages.Single().Stanza);
        await other.Offline.RemoveAsync("juliet", [messages[0].Id], Ct);
        Assert.Equal(0, await Store.Offline.CountAsync("juliet", Ct));

        Assert.True(await other.Users.DeleteAsync("juliet", Ct));
        Assert.Null(await Store.Users.GetAsync("juliet", Ct));
        Assert.Empty(await Store.Rosters.GetAllAsync("juliet", Ct));
    }

    [SkippableFact]
    public async Task Offline_messages_are_stamped_with_the_injected_clock()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        await using var store = new PostgresXmppStore(
            new PostgresStoreOptions { ConnectionString = await _schema.GetConnectionStringAsync() },
            NullLogger<PostgresXmppStore>.Instance,
            new FixedTime(now));
        await CreateUsersAsync("juliet");

        await store.Offline.StoreAsync("juliet", "<m/>", 10, Ct);

        Assert.Equal(now, (await store.Offline.PeekAsync("juliet", Ct)).Single().Stored);
    }

    [SkippableFact]
    public void Invalid_options_are_rejected()
    {
        var logger = NullLogger<PostgresXmppStore>.Instance;
        Assert.Throws<ArgumentException>(() => new PostgresXmppStore(new PostgresStoreOptions { ConnectionString = " " }, logger));
        Assert.Throws<ArgumentException>(() => new PostgresXmppStore(new PostgresStoreOptions { ConnectionString = "Nonsense=1" }, logger));
    }
}
