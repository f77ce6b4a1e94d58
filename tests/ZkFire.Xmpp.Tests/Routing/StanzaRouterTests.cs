using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Storage;
using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Roster;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Tests.Routing;

public sealed class StanzaRouterTests : IAsyncLifetime
{
    private RouterHarness harness = null!;

    public async Task InitializeAsync() => harness = await RouterHarness.StartAsync(offlineQuota: 2);

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task Message_to_a_full_jid_reaches_only_that_resource()
    {
        var alice = await harness.BindAsync("alice", "a");
        var phone = await harness.BindAsync("bob", "phone");
        var laptop = await harness.BindAsync("bob", "laptop");

        await alice.SendAsync("<message to='bob@localhost/laptop' type='chat'><body>hi</body></message>");

        var got = Assert.Single(laptop.Take());
        Assert.Equal("hi", got.Child("body", Namespaces.Client)!.Text);
        Assert.Equal("alice@localhost/a", got.GetAttribute("from"));
        Assert.Empty(phone.Take());
    }

    [Fact]
    public async Task Message_to_a_bare_jid_reaches_every_resource_of_the_highest_nonnegative_priority()
    {
        var alice = await harness.BindAsync("alice", "a");
        var phone = await harness.BindAsync("bob", "phone");
        var laptop = await harness.BindAsync("bob", "laptop");
        var hidden = await harness.BindAsync("bob", "hidden");
        await phone.SendAsync("<presence><priority>5</priority></presence>");
        await laptop.SendAsync("<presence><priority>5</priority></presence>");
        await hidden.SendAsync("<presence><priority>-1</priority></presence>");
        Drain(phone, laptop, hidden);

        await alice.SendAsync("<message to='bob@localhost' type='chat'><body>both</body></message>");

        Assert.Single(phone.Take());
        Assert.Single(laptop.Take());
        Assert.Empty(hidden.Take());
    }

    [Fact]
    public async Task Message_for_an_offline_user_is_stored_and_delivered_on_initial_presence_with_a_delay()
    {
        var alice = await harness.BindAsync("alice", "a");
        await harness.CreateUserAsync("bob");

        await alice.SendAsync("<message to='bob@localhost' type='chat'><body>later</body></message>");
        Assert.Empty(alice.Take());

        var bob = await harness.BindAsync("bob", "phone");
        await bob.SendAsync("<presence/>");
        var message = Assert.Single(bob.Take(), s => s.Name == "message");
        Assert.Equal("later", message.Child("body", Namespaces.Client)!.Text);
        Assert.NotNull(message.Child("delay", "urn:xmpp:delay")?.GetAttribute("stamp"));

        await bob.SendAsync("<presence type='unavailable'/>");
        await bob.SendAsync("<presence/>");
        Assert.DoesNotContain(bob.Take(), s => s.Name == "message");
    }

    [Fact]
    public async Task Offline_quota_bounces_the_message_that_does_not_fit()
    {
        var alice = await harness.BindAsync("alice", "a");
        await harness.CreateUserAsync("bob");

        for (var i = 0; i < 3; i++)
        {
            await alice.SendAsync($"<message to='bob@localhost' id='m{i}'><body>{i}</body></message>");
        }

        var error = Assert.Single(alice.Take());
        Assert.Equal("m2", error.GetAttribute("id"));
        Assert.NotNull(error.Child("error", Namespaces.Client)!.Child("service-unavailable", Namespaces.StanzaErrors));
    }

    [Theory]
    [InlineData("<message to='nobody@localhost' id='x'><body>hi</body></message>", "service-unavailable")]
    [InlineData("<iq to='nobody@localhost' type='get' id='x'><query xmlns='jabber:iq:version'/></iq>", "service-unavailable")]
    [InlineData("<iq to='bob@localhost/gone' type='get' id='x'><query xmlns='jabber:iq:version'/></iq>", "service-unavailable")]
    [InlineData("<message to='someone@elsewhere.example' id='x'><body>hi</body></message>", "remote-server-not-found")]
    [InlineData("<message to='bob@localhost/gone' type='groupchat' id='x'><body>hi</body></message>", "service-unavailable")]
    public async Task Undeliverable_stanzas_bounce_with_the_rfc_condition(string xml, string condition)
    {
        var alice = await harness.BindAsync("alice", "a");
        await harness.CreateUserAsync("bob");

        await alice.SendAsync(xml);

        var error = Assert.Single(alice.Take());
        Assert.Equal("error", error.GetAttribute("type"));
        Assert.Equal("x", error.GetAttribute("id"));
        Assert.NotNull(error.Child("error", Namespaces.Client)!.Child(condition, Namespaces.StanzaErrors));
    }

    [Fact]
    public async Task Subscription_handshake_updates_both_rosters_and_exchanges_presence()
    {
        var alice = await harness.BindAsync("alice", "a");
        var bob = await harness.BindAsync("bob", "b");
        foreach (var client in new[] { alice, bob })
        {
            await client.SendAsync("<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>");
            await client.SendAsync("<presence/>");
        }

        Drain(alice, bob);

        await alice.SendAsync("<presence to='bob@localhost' type='subscribe'/>");
        Assert.Equal("subscribe", PushedItem(alice.Take())?.GetAttribute("ask"));
        var request = Assert.Single(bob.Take());
        Assert.Equal(("subscribe", "alice@localhost"), (request.GetAttribute("type"), request.GetAttribute("from")));

        await bob.SendAsync("<presence to='alice@localhost' type='subscribed'/>");
        var toAlice = alice.Take();
        Assert.Equal("to", PushedItem(toAlice)?.GetAttribute("subscription"));
        Assert.Contains(toAlice, s => s.Name == "presence" && s.GetAttribute("type") == "subscribed");
        Assert.Contains(toAlice, s => s.Name == "presence" && s.GetAttribute("type") is null && s.GetAttribute("from") == "bob@localhost/b");
        Assert.Equal("from", PushedItem(bob.Take())?.GetAttribute("subscription"));

        // Bob goes away: Alice, subscribed to him, sees it.
        await harness.Router.Presence.SessionClosedAsync(bob.Session, CancellationToken.None);
        Assert.Contains(alice.Take(), s => s.GetAttribute("type") == "unavailable" && s.GetAttribute("from") == "bob@localhost/b");
    }

    [Fact]
    public async Task Crossing_subscription_requests_leave_both_rosters_mutual()
    {
        // Each user asks the other at once, then approves at once: the user's own request and the contact's inbound
        // one update the same roster item from two read loops. Roster reads that take a while widen the window in
        // which an unserialised update would read the old state and overwrite the other.
        var router = new StanzaRouter(
            harness.Options, new SessionRegistry(), new NoRemoteRoutes(), new SlowRosterReads(harness.Store),
            new AccountManager(harness.Store.Users, TimeProvider.System), NullLogger<StanzaRouter>.Instance);
        await harness.CreateUserAsync("crossa");
        await harness.CreateUserAsync("crossb");
        var alice = new TestClient(router, Jid.Parse("crossa@localhost/r"));
        var bob = new TestClient(router, Jid.Parse("crossb@localhost/r"));
        router.Sessions.Bind(alice.Session);
        router.Sessions.Bind(bob.Session);

        foreach (var type in new[] { "subscribe", "subscribed" })
        {
            await Task.WhenAll(
                Task.Run(() => alice.SendAsync($"<presence to='crossb@localhost' type='{type}'/>")),
                Task.Run(() => bob.SendAsync($"<presence to='crossa@localhost' type='{type}'/>")));
        }

        var ofAlice = await harness.Store.Rosters.GetAsync("crossa", "crossb@localhost", CancellationToken.None);
        var ofBob = await harness.Store.Rosters.GetAsync("crossb", "crossa@localhost", CancellationToken.None);
        Assert.Equal((Subscription.Both, Subscription.Both), (RosterService.StateOf(ofAlice).Subscription, RosterService.StateOf(ofBob).Subscription));
    }

    [Fact]
    public async Task Initial_presence_probes_contacts_and_redelivers_pending_requests()
    {
        var alice = await harness.BindAsync("alice", "a");
        var bob = await harness.BindAsync("bob", "b");
        await bob.SendAsync("<presence/>");
        await alice.SendAsync("<presence to='bob@localhost' type='subscribe'/>");
        await bob.SendAsync("<presence to='alice@localhost' type='subscribed'/>");
        await harness.CreateUserAsync("carol");
        var carol = await harness.BindAsync("carol", "c");
        await carol.SendAsync("<presence to='alice@localhost' type='subscribe'/>");
        Drain(alice, bob, carol);

        // Alice's initial presence: Bob's presence comes back through the probe, Carol's request is shown again.
        await alice.SendAsync("<presence/>");
        var got = alice.Take();
        Assert.Contains(got, s => s.Name == "presence" && s.GetAttribute("from") == "bob@localhost/b" && s.GetAttribute("type") is null);
        Assert.Contains(got, s => s.GetAttribute("type") == "subscribe" && s.GetAttribute("from") == "carol@localhost");
    }

    [Fact]
    public async Task Roster_set_get_and_remove_push_to_interested_resources()
    {
        var phone = await harness.BindAsync("alice", "phone");
        var laptop = await harness.BindAsync("alice", "laptop");
        await phone.SendAsync("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
        Drain(phone);

        await laptop.SendAsync("<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='Bob@LOCALHOST' name='Bob'><group>Friends</group></item></query></iq>");
        Assert.Equal("bob@localhost", PushedItem(phone.Take())?.GetAttribute("jid"));
        Assert.Contains(laptop.Take(), s => s.GetAttribute("id") == "s1" && s.GetAttribute("type") == "result");

        await laptop.SendAsync("<iq type='get' id='r2'><query xmlns='jabber:iq:roster'/></iq>");
        var roster = Assert.Single(laptop.Take()).Child("query", Namespaces.Roster)!;
        var item = Assert.Single(roster.Elements("item", Namespaces.Roster));
        Assert.Equal(("Bob", "none", "Friends"), (item.GetAttribute("name"), item.GetAttribute("subscription"), item.Child("group", Namespaces.Roster)!.Text));

        await phone.SendAsync("<iq type='set' id='s2'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query></iq>");
        Assert.Equal("remove", PushedItem(laptop.Take())?.GetAttribute("subscription"));
        await phone.SendAsync("<iq type='set' id='s3'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query></iq>");
        Assert.Contains(phone.Take(), s => s.GetAttribute("id") == "s3" && s.GetAttribute("type") == "error");
    }

    [Fact]
    public async Task Server_answers_disco_version_and_ping()
    {
        var alice = await harness.BindAsync("alice", "a");

        await alice.SendAsync("<iq to='localhost' type='get' id='d'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        await alice.SendAsync("<iq to='localhost' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>");
        await alice.SendAsync("<iq to='localhost' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>");
        await alice.SendAsync("<iq to='localhost' type='get' id='u'><unknown xmlns='urn:example:unknown'/></iq>");

        var replies = alice.Take().ToDictionary(s => s.GetAttribute("id")!);
        var features = replies["d"].Child("query", Namespaces.DiscoInfo)!.Elements("feature", Namespaces.DiscoInfo).Select(f => f.GetAttribute("var")).ToList();
        Assert.Contains(Namespaces.Ping, features);
        Assert.Equal("ZkFire", replies["v"].Child("query", Namespaces.Version)!.Child("name", Namespaces.Version)!.Text);
        Assert.Equal("result", replies["p"].GetAttribute("type"));
        Assert.Equal("error", replies["u"].GetAttribute("type"));
    }

    private static Element? PushedItem(IEnumerable<Element> stanzas) =>
        stanzas.FirstOrDefault(s => s.Name == "iq" && s.GetAttribute("type") == "set")?
            .Child("query", Namespaces.Roster)?.Child("item", Namespaces.Roster);

    private static void Drain(params TestClient[] clients)
    {
        foreach (var client in clients)
        {
            client.Take();
        }
    }

    /// <summary>The store with roster reads that answer 50 ms late.</summary>
    private sealed class SlowRosterReads(IXmppStore inner) : IXmppStore, IRosterStore
    {
        public IUserStore Users => inner.Users;

        public IRosterStore Rosters => this;

        public IOfflineStore Offline => inner.Offline;

        public Task MigrateAsync(CancellationToken cancellationToken) => inner.MigrateAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public Task<IReadOnlyList<RosterItem>> GetAllAsync(string username, CancellationToken cancellationToken) =>
            inner.Rosters.GetAllAsync(username, cancellationToken);

        public async Task<RosterItem?> GetAsync(string username, string contact, CancellationToken cancellationToken)
        {
            var item = await inner.Rosters.GetAsync(username, contact, cancellationToken);
            await Task.Delay(50, cancellationToken);
            return item;
        }

        public Task PutAsync(string username, RosterItem item, CancellationToken cancellationToken) =>
            inner.Rosters.PutAsync(username, item, cancellationToken);

        public Task<bool> RemoveAsync(string username, string contact, CancellationToken cancellationToken) =>
            inner.Rosters.RemoveAsync(username, contact, cancellationToken);
    }
}
