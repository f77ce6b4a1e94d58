namespace ZkFire.Storage.Postgres;

/// <summary>
/// Schema history. Entry <c>i</c> upgrades version <c>i</c> to <c>i + 1</c>; the version lives in the one-row table
/// <c>schema_version</c>, written in the same transaction as the DDL (PostgreSQL DDL is transactional).
/// Never edit an entry once released: append a new one.
/// </summary>
internal static class PostgresMigrations
{
    public static readonly string[] Steps =
    [
        // Version 1: the same tables as the SQLite store, in native types. Roster groups are a text array: it keeps
        // order and any character, and a roster item is always read and written whole.
        """
        CREATE TABLE users (
            username          text        NOT NULL PRIMARY KEY,
            sha1_salt         bytea       NOT NULL,
            sha1_iterations   integer     NOT NULL,
            sha1_stored_key   bytea       NOT NULL,
            sha1_server_key   bytea       NOT NULL,
            sha256_salt       bytea       NOT NULL,
            sha256_iterations integer     NOT NULL,
            sha256_stored_key bytea       NOT NULL,
            sha256_server_key bytea       NOT NULL,
            created           timestamptz NOT NULL
        );

        CREATE TABLE roster (
            username     text    NOT NULL REFERENCES users (username) ON DELETE CASCADE,
            contact      text    NOT NULL,
            name         text,
            subscription text    NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
            pending_out  boolean NOT NULL,
            pending_in   boolean NOT NULL,
            pre_approved boolean NOT NULL,
            on_roster    boolean NOT NULL,
            groups       text[]  NOT NULL,
            PRIMARY KEY (username, contact)
        );

        -- An identity is never handed out twice, even after the newest row was deleted: a late RemoveAsync with
        -- stale ids can then never delete an undelivered stanza.
        CREATE TABLE offline (
            id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            username text        NOT NULL REFERENCES users (username) ON DELETE CASCADE,
            stanza   text        NOT NULL,
            stored   timestamptz NOT NULL
        );

        CREATE INDEX offline_by_user ON offline (username, id);
        """,
    ];

    public static int LatestVersion => Steps.Length;
}
