using Microsoft.Extensions.Logging;
using ZkFire.Configuration;
using ZkFire.Storage;
using ZkFire.Storage.Postgres;
using ZkFire.Storage.Sqlite;

namespace ZkFire.Host;

/// <summary>Opens the storage backend cluster.xml names, migrated to the current schema.</summary>
internal static class StoreFactory
{
    public static async Task<IXmppStore> OpenAsync(XmppConfig xmpp, ILoggerFactory loggerFactory, CancellationToken cancellationToken) =>
        xmpp.Storage.Provider switch
        {
            "sqlite" => await SqliteXmppStore.OpenAsync(
                new SqliteStoreOptions { DatabasePath = xmpp.Storage.SqlitePath! },
                loggerFactory.CreateLogger<SqliteXmppStore>(),
                cancellationToken),
            "postgresql" => await PostgresXmppStore.OpenAsync(
                new PostgresStoreOptions { ConnectionString = xmpp.Storage.ConnectionString! },
                loggerFactory.CreateLogger<PostgresXmppStore>(),
                cancellationToken),
            _ => throw new NodeStartException($"Storage provider '{xmpp.Storage.Provider}' is not available in this build; use sqlite or postgresql."),
        };
}

/// <summary>The node cannot start; the message says why.</summary>
internal sealed class NodeStartException : Exception
{
    public NodeStartException() { }

    public NodeStartException(string message) : base(message) { }

    public NodeStartException(string message, Exception innerException) : base(message, innerException) { }
}
