namespace ZkFire.Storage.Sqlite;

/// <summary>Where the SQLite database lives and how long a statement may wait for another writer.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Path of the database file; its folder is created when missing.</summary>
    public string DatabasePath { get; set; } = "zkfire.db";

    /// <summary>
    /// How long a statement waits for a lock held by another connection (another process, or a checkpoint) before
    /// failing. Writers inside one process queue on an async gate instead, so this only bounds cross-process waits.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
