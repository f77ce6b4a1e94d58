using System.Collections.Concurrent;
using ZkFire.Storage;

namespace ZkFire.Storage.Tests;

/// <summary>
/// Behaviour every <see cref="IXmppStore"/> backend must show. A backend's test class derives from this and says how
/// to open a store over a database private to the test. Times are compared at millisecond precision, the coarsest
/// a backend may keep. Tests are skippable so a backend whose server is missing can skip them from
/// <see cref="OpenStoreAsync"/>.
/// </summary>
public abstract class XmppStoreContract : IAsyncLifetime
{
    private readonly List<IXmppStore> _opened = [];

    protected IXmppStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => CancellationToken.None;

    /// <summary>Opens a migrated store over this test's database; every call within one test opens the same database.</summary>
    protected abstract Task<IXmppStore> OpenStoreAsync();

    public async Task InitializeAsync() => Store = await OpenTrackedAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }
    }

    protected async Task<IXmppStore> OpenTrackedAsync()
    {
        var store = await OpenStoreAsync();
        _opened.Add(store);
        return store;
    }

    protected static UserRecord NewUser(string username, byte seed = 1) => new(
        username,
        new ScramCredentials([seed, 2, 3], 4096, Enumerable.Repeat(seed, 20).ToArray(), Enumerable.Repeat((byte)(seed + 1), 20).ToArray()),
        new ScramCredentials([seed, 9, 8, 7], 8192, Enumerable.Repeat(seed, 32).ToArray(), Enumerable.Repeat((byte)(seed + 2), 32).ToArray()),
        DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123));

    protected async Task CreateUsersAsync(params string[] usernames)
    {
        foreach (var username in usernames)
        {
            Assert.True(await Store.Users.CreateAsync(NewUser(username), Ct));
        }
    }

    private static RosterItem Item(string contact, params string[] groups) =>
        new(contact, "Name of " + contact, Subscription.Both, false, false, false, groups);

    private static void AssertCredentials(ScramCredentials expected, ScramCredentials actual)
    {
        Assert.Equal(expected.Salt, actual.Salt);
        Assert.Equal(expected.Iterations, actual.Iterations);
        Assert.Equal(expected.StoredKey, actual.StoredKey);
        Assert.Equal(expected.ServerKey, actual.ServerKey);
    }

    private static void AssertItem(RosterItem expected, RosterItem? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Contact, actual.Contact);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Subscription, actual.Subscription);
        Assert.Equal(expected.PendingOut, actual.PendingOut);
        Assert.Equal(expected.PendingIn, actual.PendingIn);
        Assert.Equal(expected.PreApproved, actual.PreApproved);
        Assert.Equal(expected.Groups, actual.Groups);
        Assert.Equal(expected.OnRoster, actual.OnRoster);
    }

    // ---- Users

    [SkippableFact]
    public async Task Created_user_reads_back_with_all_fields()
    {
        var user = NewUser("juliet", 7);
        Assert.True(await Store.Users.CreateAsync(user, Ct));

        var read = await Store.Users.GetAsync("juliet", Ct);

        Assert.NotNull(read);
        Assert.Equal("juliet", read.Username);
        AssertCredentials(user.Sha1, read.Sha1);
        AssertCredentials(user.Sha256, read.Sha256);
        Assert.Equal(user.Created, read.Created);
    }

    [SkippableFact]
    public async Task Unknown_user_is_null()
    {
        Assert.Null(await Store.Users.GetAsync("nobody", Ct));
    }

    [SkippableFact]
    public async Task Usernames_are_stored_as_given_and_compared_exactly()
    {
        await CreateUsersAsync("Juliet", "juliet");

        Assert.Equal("Juliet", (await Store.Users.GetAsync("Juliet", Ct))!.Username);
        Assert.Equal(2, await Store.Users.CountAsync(Ct));
    }

    [SkippableFact]
    public async Task Duplicate_create_returns_false_and_keeps_the_original()
    {
        var original = NewUser("romeo", 1);
        Assert.True(await Store.Users.CreateAsync(original, Ct));

        Assert.False(await Store.Users.CreateAsync(NewUser("romeo", 99), Ct));

        AssertCredentials(original.Sha256, (await Store.Users.GetAsync("romeo", Ct))!.Sha256);
    }

    [SkippableFact]
    public async Task Update_credentials_replaces_both_hashes()
    {
        await CreateUsersAsync("romeo");
        var replacement = NewUser("romeo", 42);

        Assert.True(await Store.Users.UpdateCredentialsAsync("romeo", replacement.Sha1, replacement.Sha256, Ct));

        var read = await Store.Users.GetAsync("romeo", Ct);
        AssertCredentials(replacement.Sha1, read!.Sha1);
        AssertCredentials(replacement.Sha256, read.Sha256);
    }

    [SkippableFact]
    public async Task Update_credentials_of_unknown_user_returns_false()
    {
        var credentials = NewUser("x");
        Assert.False(await Store.Users.UpdateCredentialsAsync("nobody", credentials.Sha1, credentials.Sha256, Ct));
        Assert.Equal(0, await Store.Users.CountAsync(Ct));
    }

    [SkippableFact]
    public async Task Delete_removes_the_user_with_roster_and_offline_messages_only()
    {
        await CreateUsersAsync("romeo", "juliet");
        await Store.Rosters.PutAsync("romeo", Item("juliet@example.com"), Ct);
        await Store.Rosters.PutAsync("juliet", Item("romeo@example.com"), Ct);
        Assert.True(await Store.Offline.StoreAsync("romeo", "<message/>", 10, Ct));
        Assert.True(await Store.Offline.StoreAsync("juliet", "<message/>", 10, Ct));

        Assert.True(await Store.Users.DeleteAsync("romeo", Ct));

        Assert.Null(await Store.Users.GetAsync("romeo", Ct));
        Assert.Empty(await Store.Rosters.GetAllAsync("romeo", Ct));
        Assert.Equal(0, await Store.Offline.CountAsync("romeo", Ct));
        Assert.Single(await Store.Rosters.GetAllAsync("juliet", Ct));
        Assert.Equal(1, await Store.Offline.CountAsync("juliet", Ct));

        // A new account under the same name starts empty.
        await CreateUsersAsync("romeo");
        Assert.Empty(await Store.Rosters.GetAllAsync("romeo", Ct));
        Assert.Empty(await Store.Offline.PeekAsync("romeo", Ct));
    }

    [SkippableFact]
    public async Task Delete_of_unknown_user_returns_false()
    {
        Assert.False(await Store.Users.DeleteAsync("nobody", Ct));
    }

    [SkippableFact]
    public async Task Count_follows_creates_and_deletes()
    {
        Assert.Equal(0, await Store.Users.CountAsync(Ct));
        await CreateUsersAsync("a", "b", "c");
        Assert.Equal(3, await Store.Users.CountAsync(Ct));
        await Store.Users.DeleteAsync("b", Ct);
        Assert.Equal(2, await Store.Users.CountAsync(Ct));
    }

    // ---- Roster

    [SkippableFact]
    public async Task Roster_item_round_trips_every_field()
    {
        await CreateUsersAsync("romeo");
        var item = new RosterItem("juliet@example.com", null, Subscription.From, true, true, true, ["Friends"], OnRoster: true);

        await Store.Rosters.PutAsync("romeo", item, Ct);

        AssertItem(item, await Store.Rosters.GetAsync("romeo", "juliet@example.com", Ct));
    }

    [SkippableTheory]
    [InlineData(Subscription.None)]
    [InlineData(Subscription.To)]
    [InlineData(Subscription.From)]
    [InlineData(Subscription.Both)]
    public async Task Every_subscription_state_round_trips(Subscription subscription)
    {
        await CreateUsersAsync("romeo");
        var item = Item("juliet@example.com") with { Subscription = subscription };

        await Store.Rosters.PutAsync("romeo", item, Ct);

        Assert.Equal(subscription, (await Store.Rosters.GetAsync("romeo", "juliet@example.com", Ct))!.Subscription);
    }

    [SkippableFact]
    public async Task Off_roster_record_round_trips_and_is_returned_by_get_all()
    {
        await CreateUsersAsync("romeo");
        var pending = new RosterItem("stranger@example.com", null, Subscription.None, false, true, false, [], OnRoster: false);
        await Store.Rosters.PutAsync("romeo", pending, Ct);
        await Store.Rosters.PutAsync("romeo", Item("juliet@example.com"), Ct);

        AssertItem(pending, await Store.Rosters.GetAsync("romeo", "stranger@example.com", Ct));
        var all = await Store.Rosters.GetAllAsync("romeo", Ct);
        Assert.Equal(2, all.Count);
        Assert.False(all.Single(i => i.Contact == "stranger@example.com").OnRoster);
        Assert.True(all.Single(i => i.Contact == "juliet@example.com").OnRoster);
    }

    [SkippableFact]
    public async Task Put_replaces_the_existing_item()
    {
        await CreateUsersAsync("romeo");
        await Store.Rosters.PutAsync("romeo", Item("juliet@example.com", "A", "B"), Ct);
        var pending = new RosterItem("juliet@example.com", null, Subscription.None, false, true, false, [], OnRoster: false);
        await Store.Rosters.PutAsync("romeo", pending, Ct);
        var replacement = new RosterItem("juliet@example.com", "Jules", Subscription.To, true, false, true, ["C"]);

        await Store.Rosters.PutAsync("romeo", replacement, Ct);

        AssertItem(replacement, await Store.Rosters.GetAsync("romeo", "juliet@example.com", Ct));
        Assert.Single(await Store.Rosters.GetAllAsync("romeo", Ct));
    }

    [SkippableFact]
    public async Task Groups_keep_order_and_any_characters()
    {
        await CreateUsersAsync("romeo");
        string[] groups =
        [
            "Zeta", "alpha", "Alpha", "quote \" and ' apostrophe", "<xml & entities>", "back\\slash", "comma, semi; colon:",
            "tab\tnew\nline", "[\"looks\",\"like\",\"json\"]", "null", "", "  padded  ", "日本語", "emoji 🔥👩‍👩‍👧", "\u00e9 vs e\u0301",
            "%_like wildcards_%", "'; DROP TABLE roster; --",
        ];
        var item = Item("juliet@example.com", groups);

        await Store.Rosters.PutAsync("romeo", item, Ct);

        Assert.Equal(groups, (await Store.Rosters.GetAsync("romeo", "juliet@example.com", Ct))!.Groups);
        Assert.Equal(groups, (await Store.Rosters.GetAllAsync("romeo", Ct)).Single().Groups);
    }

    [SkippableFact]
    public async Task Empty_groups_and_missing_name_round_trip()
    {
        await CreateUsersAsync("romeo");
        var item = new RosterItem("juliet@example.com", null, Subscription.None, false, false, false, []);

        await Store.Rosters.PutAsync("romeo", item, Ct);

        AssertItem(item, await Store.Rosters.GetAsync("romeo", "juliet@example.com", Ct));
    }

    [SkippableFact]
    public async Task Get_all_returns_only_that_users_items()
    {
        await CreateUsersAsync("romeo", "juliet");
        await Store.Rosters.PutAsync("romeo", Item("c@example.com"), Ct);
        await Store.Rosters.PutAsync("romeo", Item("a@example.com"), Ct);
        await Store.Rosters.PutAsync("romeo", Item("b@example.com"), Ct);
        await Store.Rosters.PutAsync("juliet", Item("nurse@example.com"), Ct);

        var all = await Store.Rosters.GetAllAsync("romeo", Ct);

        Assert.Equal(["a@example.com", "b@example.com", "c@example.com"], all.Select(i => i.Contact).Order());
        Assert.Empty(await Store.Rosters.GetAllAsync("nobody", Ct));
    }

    [SkippableFact]
    public async Task Get_of_unknown_contact_is_null()
    {
        await CreateUsersAsync("romeo");
        await Store.Rosters.PutAsync("romeo", Item("juliet@example.com"), Ct);

        Assert.Null(await Store.Rosters.GetAsync("romeo", "nurse@example.com", Ct));
        Assert.Null(await Store.Rosters.GetAsync("juliet", "juliet@example.com", Ct));
    }

    [SkippableFact]
    public async Task Remove_deletes_one_item_and_reports_whether_it_existed()
    {
        await CreateUsersAsync("romeo");
        await Store.Rosters.PutAsync("romeo", Item("juliet@example.com"), Ct);
        await Store.Rosters.PutAsync("romeo", Item("nurse@example.com"), Ct);

        Assert.True(await Store.Rosters.RemoveAsync("romeo", "juliet@example.com", Ct));
        Assert.False(await Store.Rosters.RemoveAsync("romeo", "juliet@example.com", Ct));

        Assert.Null(await Store.Rosters.GetAsync("romeo", "juliet@example.com", Ct));
        Assert.Equal("nurse@example.com", (await Store.Rosters.GetAllAsync("romeo", Ct)).Single().Contact);
    }

    [SkippableFact]
    public async Task Roster_put_for_unknown_user_fails()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.Rosters.PutAsync("nobody", Item("juliet@example.com"), Ct));
    }

    // ---- Offline

    [SkippableFact]
    public async Task Peek_returns_messages_oldest_first_without_removing_them()
    {
        await CreateUsersAsync("juliet");
        var before = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        for (var i = 0; i < 5; i++)
        {
            Assert.True(await Store.Offline.StoreAsync("juliet", $"<message id='{i}'/>", 100, Ct));
        }

        var after = DateTimeOffset.UtcNow;

        var first = await Store.Offline.PeekAsync("juliet", Ct);
        var second = await Store.Offline.PeekAsync("juliet", Ct);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"<message id='{i}'/>"), first.Select(m => m.Stanza));
        Assert.Equal(first.Select(m => m.Id).Order(), first.Select(m => m.Id));
        Assert.Equal(first.Count, first.Select(m => m.Id).Distinct().Count());
        Assert.All(first, m => Assert.InRange(m.Stored, before, after));
        Assert.Equal(first, second);
    }

    [SkippableFact]
    public async Task Stanza_text_round_trips_exactly()
    {
        await CreateUsersAsync("juliet");
        var stanza = "<message xmlns='jabber:client' from='romeo@example.com/orchard'><body>Wherefore art thou? 🌹 \"'&amp;&lt;"
            + new string('x', 100_000) + "</body></message>";

        Assert.True(await Store.Offline.StoreAsync("juliet", stanza, 10, Ct));

        Assert.Equal(stanza, (await Store.Offline.PeekAsync("juliet", Ct)).Single().Stanza);
    }

    [SkippableFact]
    public async Task Remove_deletes_only_the_given_messages_of_that_user()
    {
        await CreateUsersAsync("juliet", "romeo");
        for (var i = 0; i < 4; i++)
        {
            await Store.Offline.StoreAsync("juliet", $"<m{i}/>", 100, Ct);
        }

        await Store.Offline.StoreAsync("romeo", "<r/>", 100, Ct);
        var juliets = await Store.Offline.PeekAsync("juliet", Ct);
        var romeos = await Store.Offline.PeekAsync("romeo", Ct);

        await Store.Offline.RemoveAsync("juliet", [juliets[0].Id, juliets[2].Id, romeos[0].Id, 999_999], Ct);

        Assert.Equal(["<m1/>", "<m3/>"], (await Store.Offline.PeekAsync("juliet", Ct)).Select(m => m.Stanza));
        Assert.Equal(2, await Store.Offline.CountAsync("juliet", Ct));
        Assert.Equal(1, await Store.Offline.CountAsync("romeo", Ct));
    }

    [SkippableFact]
    public async Task Remove_with_no_ids_does_nothing()
    {
        await CreateUsersAsync("juliet");
        await Store.Offline.StoreAsync("juliet", "<m/>", 10, Ct);

        await Store.Offline.RemoveAsync("juliet", [], Ct);

        Assert.Equal(1, await Store.Offline.CountAsync("juliet", Ct));
    }

    [SkippableFact]
    public async Task Ids_are_not_reused_after_the_newest_message_is_removed()
    {
        await CreateUsersAsync("juliet");
        await Store.Offline.StoreAsync("juliet", "<old/>", 10, Ct);
        var old = (await Store.Offline.PeekAsync("juliet", Ct)).Single();
        await Store.Offline.RemoveAsync("juliet", [old.Id], Ct);

        await Store.Offline.StoreAsync("juliet", "<new/>", 10, Ct);

        Assert.True((await Store.Offline.PeekAsync("juliet", Ct)).Single().Id > old.Id);
    }

    [SkippableFact]
    public async Task Quota_admits_exactly_that_many_messages()
    {
        await CreateUsersAsync("juliet", "romeo");
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await Store.Offline.StoreAsync("juliet", $"<m{i}/>", 3, Ct));
        }

        Assert.False(await Store.Offline.StoreAsync("juliet", "<over/>", 3, Ct));
        Assert.Equal(3, await Store.Offline.CountAsync("juliet", Ct));
        Assert.DoesNotContain(await Store.Offline.PeekAsync("juliet", Ct), m => m.Stanza == "<over/>");

        // The quota is per user.
        Assert.True(await Store.Offline.StoreAsync("romeo", "<m/>", 3, Ct));

        // Delivery frees room again.
        var oldest = (await Store.Offline.PeekAsync("juliet", Ct))[0];
        await Store.Offline.RemoveAsync("juliet", [oldest.Id], Ct);
        Assert.True(await Store.Offline.StoreAsync("juliet", "<later/>", 3, Ct));
        Assert.False(await Store.Offline.StoreAsync("juliet", "<over/>", 3, Ct));
    }

    [SkippableFact]
    public async Task Zero_quota_stores_nothing()
    {
        await CreateUsersAsync("juliet");

        Assert.False(await Store.Offline.StoreAsync("juliet", "<m/>", 0, Ct));
        Assert.Equal(0, await Store.Offline.CountAsync("juliet", Ct));
    }

    [SkippableFact]
    public async Task Concurrent_stores_respect_the_quota_exactly()
    {
        await CreateUsersAsync("juliet");
        const int quota = 20;

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Task.Run(() => Store.Offline.StoreAsync("juliet", $"<m{i}/>", quota, Ct))));

        Assert.Equal(quota, results.Count(stored => stored));
        Assert.Equal(quota, await Store.Offline.CountAsync("juliet", Ct));
        Assert.Equal(quota, (await Store.Offline.PeekAsync("juliet", Ct)).Count);
    }

    [SkippableFact]
    public async Task Concurrent_stores_through_separate_store_instances_respect_the_quota_exactly()
    {
        await CreateUsersAsync("juliet");
        var other = await OpenTrackedAsync();
        const int quota = 20;

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Task.Run(() => (i % 2 == 0 ? Store : other).Offline.StoreAsync("juliet", $"<m{i}/>", quota, Ct))));

        Assert.Equal(quota, results.Count(stored => stored));
        Assert.Equal(quota, await Store.Offline.CountAsync("juliet", Ct));
    }

    [SkippableFact]
    public async Task Many_concurrent_readers_and_writers_all_succeed()
    {
        const int users = 10;
        var names = Enumerable.Range(0, users).Select(i => $"user{i}").ToArray();
        await CreateUsersAsync(names);
        var failures = new ConcurrentQueue<Exception>();

        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var user = names[i % users];
            try
            {
                switch (i % 4)
                {
                    case 0:
                        await Store.Offline.StoreAsync(user, $"<m{i}/>", 1000, Ct);
                        break;
                    case 1:
                        await Store.Rosters.PutAsync(user, Item($"c{i}@example.com", "g"), Ct);
                        break;
                    case 2:
                        await Store.Rosters.GetAllAsync(user, Ct);
                        break;
                    default:
                        var messages = await Store.Offline.PeekAsync(user, Ct);
                        await Store.Offline.RemoveAsync(user, messages.Take(1).Select(m => m.Id).ToArray(), Ct);
                        break;
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })));

        Assert.Empty(failures);
        Assert.Equal(100, (await Task.WhenAll(names.Select(n => Store.Rosters.GetAllAsync(n, Ct)))).Sum(r => r.Count));
    }

    [SkippableFact]
    public async Task Offline_store_for_unknown_user_fails()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.Offline.StoreAsync("nobody", "<m/>", 10, Ct));
    }

    // ---- Lifecycle

    [SkippableFact]
    public async Task Data_survives_closing_and_reopening()
    {
        await CreateUsersAsync("juliet");
        await Store.Rosters.PutAsync("juliet", Item("romeo@example.com", "Montague"), Ct);
        await Store.Offline.StoreAsync("juliet", "<m/>", 10, Ct);
        await Store.DisposeAsync();

        var reopened = await OpenTrackedAsync();

        Assert.NotNull(await reopened.Users.GetAsync("juliet", Ct));
        Assert.Equal(["Montague"], (await reopened.Rosters.GetAsync("juliet", "romeo@example.com", Ct))!.Groups);
        Assert.Equal("<m/>", (await reopened.Offline.PeekAsync("juliet", Ct)).Single().Stanza);
    }

    [SkippableFact]
    public async Task Migrating_again_changes_nothing()
    {
        await CreateUsersAsync("juliet");
        await Store.Offline.StoreAsync("juliet", "<m/>", 10, Ct);

        await Store.MigrateAsync(Ct);
        await Store.MigrateAsync(Ct);

        Assert.Equal(1, await Store.Users.CountAsync(Ct));
        Assert.Equal(1, await Store.Offline.CountAsync("juliet", Ct));
    }
}
