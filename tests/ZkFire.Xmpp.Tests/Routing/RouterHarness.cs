using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Storage;
using ZkFire.Storage.Sqlite;
using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Xmpp.Tests.Routing;

/// <summary>A router over a real SQLite store, with sessions whose output is captured instead of sent.</summary>
internal sealed class RouterHarness : IAsyncDisposable
{
    private readonly string directory;

    private RouterHarness(string directory, SqliteXmppStore store, XmppServerOptions options)
    {
        this.directory = directory;
        Store = store;
        Options = options;
        Router = new StanzaRouter(options, new SessionRegistry(), new NoRemoteRoutes(), store, new AccountManager(store.Users, TimeProvider.System), NullLogger<StanzaRouter>.Instance);
    }

    public SqliteXmppStore Store { get; }

    public XmppServerOptions Options { get; }

    public StanzaRouter Router { get; }

    public static async Task<RouterHarness> StartAsync(int offlineQuota = 100)
    {
        var directory = Directory.CreateTempSubdirectory("zkfire-router-").FullName;
        var store = await SqliteXmppStore.OpenAsync(new SqliteStoreOptions { DatabasePath = Path.Combine(directory, "xmpp.db") }, NullLogger<SqliteXmppStore>.Instance, CancellationToken.None);
        return new RouterHarness(directory, store, new XmppServerOptions { Domain = "localhost", OfflineQuota = offlineQuota, RegistrationOpen = true });
    }

    public async Task CreateUserAsync(string username)
    {
        var keys = new ScramCredentials([1], 4096, [2], [3]);
        await Store.Users.CreateAsync(new UserRecord(username, keys, keys, DateTimeOffset.UtcNow), CancellationToken.None);
    }

    /// <summary>Creates the account if needed and binds a resource (no presence sent yet).</summary>
    public async Task<TestClient> BindAsync(string username, string resource)
    {
        if (await Store.Users.GetAsync(username, CancellationToken.None) is null)
        {
            await CreateUserAsync(username);
        }

        var client = new TestClient(Router, Jid.Parse($"{username}@localhost/{resource}"));
        Router.Sessions.Bind(client.Session);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>Parses one stanza written as text, in the jabber:client namespace of a client stream.</summary>
    public static Element Parse(string xml) => TestClient.Parse(xml);
}
