using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ZkFire.Storage.Sqlite;

/// <summary>
/// <see cref="IXmppStore"/> on one SQLite file in WAL mode. Safe for any number of concurrent callers: each read
/// takes a connection of its own, and writers are queued for the one write connection so none fails with
/// SQLITE_BUSY; connections keep their prepared statements, but no rows, between calls. Call
/// <see cref="MigrateAsync"/> (or use <see cref="OpenAsync"/>) before anything else.
/// </summary>
public sealed partial class SqliteXmppStore : IXmppStore
{
    private readonly SqliteDatabase _database;
    private readonly ILogger<SqliteXmppStore> _logger;

    public SqliteXmppStore(SqliteStoreOptions options, ILogger<SqliteXmppStore> logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _database = new SqliteDatabase(options, timeProvider ?? TimeProvider.System);
        _logger = logger;
        Users = new SqliteUserStore(_database);
        Rosters = new SqliteRosterStore(_database);
        Offline = new SqliteOfflineStore(_database);
    }

    /// <summary>Full path of the database file.</summary>
    public string DatabasePath => _database.DatabasePath;

    public IUserStore Users { get; }

    public IRosterStore Rosters { get; }

    public IOfflineStore Offline { get; }

    /// <summary>Creates the store and brings its schema up to date.</summary>
    public static async Task<SqliteXmppStore> OpenAsync(
        SqliteStoreOptions options,
        ILogger<SqliteXmppStore> logger,
        CancellationToken cancellationToken,
        TimeProvider? timeProvider = null)
    {
        var store = new SqliteXmppStore(options, logger, timeProvider);
        try
        {
            await store.MigrateAsync(cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <exception cref="InvalidOperationException">The database was written by a newer build.</exception>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var lease = await _database.BeginWriteAsync(cancellationToken);
        var connection = lease.Connection.Connection;

        // The journal mode is stored in the file, so this only does work the first time; it cannot run inside a
        // transaction.
        var journalMode = (string?)await ExecuteScalarAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken);
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            LogNotWal(_logger, DatabasePath, journalMode);
        }

        // IMMEDIATE so two processes migrating the same file at once take turns instead of both reading the old
        // version and the second failing on its upgrade.
        await using var transaction = connection.BeginTransaction(deferred: false);
        var current = (int)(long)(await ExecuteScalarAsync(connection, transaction, "PRAGMA user_version", cancellationToken))!;
        var latest = SqliteMigrations.LatestVersion;
        if (current > latest)
        {
            throw new InvalidOperationException(
                $"SQLite database {DatabasePath} has schema version {current}, but this build only knows versions up to {latest}. " +
                "It was written by a newer ZkFire; run that version or restore a backup.");
        }

        if (current == latest)
        {
            LogUpToDate(_logger, DatabasePath, current);
            return;
        }

        for (var version = current; version < latest; version++)
        {
            await ExecuteNonQueryAsync(connection, transaction, SqliteMigrations.Steps[version], cancellationToken);

            // PRAGMA takes no parameters; the value is an integer from this loop.
            await ExecuteNonQueryAsync(
                connection,
                transaction,
                string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {version + 1}"),
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogMigrated(_logger, DatabasePath, current, latest);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private static async Task ExecuteNonQueryAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string sql,
        CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ExecuteScalarAsync(
        SqliteConnection connection,
        SqliteTransaction? transaction,
        string sql,
        CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite database {Path} runs in journal mode {JournalMode}, not WAL (is it on a network file system?); readers and writers will block each other")]
    private static partial void LogNotWal(ILogger logger, string path, string? journalMode);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SQLite database {Path} is at schema version {Version}")]
    private static partial void LogUpToDate(ILogger logger, string path, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrated SQLite database {Path} from schema version {From} to {To}")]
    private static partial void LogMigrated(ILogger logger, string path, int from, int to);
}
