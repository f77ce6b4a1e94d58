namespace ZkFire.Storage.Sqlite;

/// <summary>
/// Schema history. Entry <c>i</c> upgrades version <c>i</c> to <c>i + 1</c>; the version lives in
/// <c>PRAGMA user_version</c>, which is part of the database header and so commits atomically with the DDL.
/// Never edit an entry once released: append a new one.
/// </summary>
internal static class SqliteMigrations
{
    public static readonly string[] Steps =
    [
        // Version 1. STRICT so a type mix-up fails loudly instead of being coerced. Times are Unix milliseconds
        // (UTC). Roster groups are a JSON array of strings: it keeps order and any character, and a roster is
        // always read and written whole per item, so a child table would only add statements.
        """
        CREATE TABLE users (
            username          TEXT    NOT NULL PRIMARY KEY,
            sha1_salt         BLOB    NOT NULL,
            sha1_iterations   INTEGER NOT NULL,
            sha1_stored_key   BLOB    NOT NULL,
            sha1_server_key   BLOB    NOT NULL,
            sha256_salt       BLOB    NOT NULL,
            sha256_iterations INTEGER NOT NULL,
            sha256_stored_key BLOB    NOT NULL,
            sha256_server_key BLOB    NOT NULL,
            created           INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE roster (
            username     TEXT    NOT NULL REFERENCES users (username) ON DELETE CASCADE,
            contact      TEXT    NOT NULL,
            name         TEXT,
            subscription TEXT    NOT NULL CHECK (subscription IN ('none', 'to', 'from', 'both')),
            pending_out  INTEGER NOT NULL CHECK (pending_out IN (0, 1)),
            pending_in   INTEGER NOT NULL CHECK (pending_in IN (0, 1)),
            pre_approved INTEGER NOT NULL CHECK (pre_approved IN (0, 1)),
            on_roster    INTEGER NOT NULL CHECK (on_roster IN (0, 1)),
            groups       TEXT    NOT NULL,
            PRIMARY KEY (username, contact)
        ) STRICT, WITHOUT ROWID;

        -- AUTOINCREMENT so an id handed out by a peek is never reused for a later message, even after the
        -- newest one was deleted: a late RemoveAsync with stale ids can then never delete an undelivered stanza.
        CREATE TABLE offline (
            id       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
            username TEXT    NOT NULL REFERENCES users (username) ON DELETE CASCADE,
            stanza   TEXT    NOT NULL,
            stored   INTEGER NOT NULL
        ) STRICT;

        CREATE INDEX offline_by_user ON offline (username, id);
        """,
    ];

    public static int LatestVersion => Steps.Length;
}
