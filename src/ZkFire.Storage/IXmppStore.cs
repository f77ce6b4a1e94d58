namespace ZkFire.Storage;

/// <summary>Everything the XMPP layer keeps durably. One implementation per backend (SQLite, PostgreSQL).</summary>
public interface IXmppStore : IAsyncDisposable
{
    IUserStore Users { get; }

    IRosterStore Rosters { get; }

    IOfflineStore Offline { get; }

    /// <summary>Creates or upgrades the schema to the version this build expects.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);
}

/// <summary>Usernames are normalised localparts (RFC 7622); callers normalise before calling.</summary>
public interface IUserStore
{
    /// <summary>Returns false when the username is taken.</summary>
    Task<bool> CreateAsync(UserRecord user, CancellationToken cancellationToken);

    Task<UserRecord?> GetAsync(string username, CancellationToken cancellationToken);

    /// <summary>Replaces the credentials; returns false when no such user.</summary>
    Task<bool> UpdateCredentialsAsync(string username, ScramCredentials sha1, ScramCredentials sha256, CancellationToken cancellationToken);

    /// <summary>Deletes the user with their roster and offline messages; returns false when no such user.</summary>
    Task<bool> DeleteAsync(string username, CancellationToken cancellationToken);

    Task<long> CountAsync(CancellationToken cancellationToken);
}

public interface IRosterStore
{
    Task<IReadOnlyList<RosterItem>> GetAllAsync(string username, CancellationToken cancellationToken);

    Task<RosterItem?> GetAsync(string username, string contact, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the item for <see cref="RosterItem.Contact"/>.</summary>
    Task PutAsync(string username, RosterItem item, CancellationToken cancellationToken);

    Task<bool> RemoveAsync(string username, string contact, CancellationToken cancellationToken);
}

public interface IOfflineStore
{
    /// <summary>Appends a stanza; returns false (and stores nothing) when the user already has <paramref name="quota"/> messages.</summary>
    Task<bool> StoreAsync(string username, string stanza, int quota, CancellationToken cancellationToken);

    /// <summary>Returns the user's stored stanzas oldest first, without removing them.</summary>
    Task<IReadOnlyList<OfflineMessage>> PeekAsync(string username, CancellationToken cancellationToken);

    /// <summary>Removes the given messages once they have been delivered.</summary>
    Task RemoveAsync(string username, IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    Task<int> CountAsync(string username, CancellationToken cancellationToken);
}
