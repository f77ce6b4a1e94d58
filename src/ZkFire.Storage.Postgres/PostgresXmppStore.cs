using Microsoft.Extensions.Logging;
using Npgsql;

namespace ZkFire.Storage.Postgres;

/// <summary>
/// <see cref="IXmppStore"/> on a PostgreSQL database, shared by every node of a cluster whatever host it runs on.
/// Safe for any number of concurrent callers in any number of processes: each operation takes a pooled connection
/// and PostgreSQL's own locking keeps the semantics the SQLite store has. Call <see cref="MigrateAsync"/> (or use
/// <see cref="OpenAsync"/>) before anything else.
/// </summary>
public sealed partial class PostgresXmppStore : IXmppStore
{
    // Any fixed number will do as long as nothing else in the database uses it for an advisory lock; this is
    // "ZkFire\0\x01" read as a big-endian integer.
    private const long MigrationLockKey = 0x5A6B_4669_7265_0001;

    private const string CreateVersionTableSql =
        "CREATE TABLE IF NOT EXISTS schema_version (" +
        "only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), version integer NOT NULL)";

    private const string SetVersionSql =
        "INSERT INTO schema_version (version) VALUES (@version) " +
        "ON CONFLICT (only_row) DO UPDATE SET version = excluded.version";

    private readonly PostgresDatabase _database;
    private readonly ILogger<PostgresXmppStore> _logger;

    public PostgresXmppStore(PostgresStoreOptions options, ILogger<PostgresXmppStore> logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _database = new PostgresDatabase(options, timeProvider ?? TimeProvider.System);
        _logger = logger;
        Users = new PostgresUserStore(_database);
        Rosters = new PostgresRosterStore(_database);
        Offline = new PostgresOfflineStore(_database);
    }

    public IUserStore Users { get; }

    public IRosterStore Rosters { get; }

    public IOfflineStore Offline { get; }

    /// <summary>Creates the store and brings its schema up to date.</summary>
    public static async Task<PostgresXmppStore> OpenAsync(
        PostgresStoreOptions options,
        ILogger<PostgresXmppStore> logger,
        CancellationToken cancellationToken,
        TimeProvider? timeProvider = null)
    {
        var store = new PostgresXmppStore(options, logger, timeProvider);
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
        await using var connection = await _database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // Nodes starting together would otherwise both find the old version and the second would fail on its
        // CREATE TABLE. The lock belongs to the transaction, so it is released by commit, rollback or a dropped
        // connection alike. It is per database, so stores in other schemas of the same database take turns too.
        await using (var takeLock = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            takeLock.Parameters.AddWithValue("key", MigrationLockKey);
            await takeLock.ExecuteNonQueryAsync(cancellationToken);
        }

        await ExecuteAsync(connection, transaction, CreateVersionTableSql, cancellationToken);

        int current;
        await using (var read = new NpgsqlCommand("SELECT version FROM schema_version", connection, transaction))
        {
            current = await read.ExecuteScalarAsync(cancellationToken) is int version ? version : 0;
        }

        var latest = PostgresMigrations.LatestVersion;
        if (current > latest)
        {
            throw new InvalidOperationException(
                $"PostgreSQL database {_database.Description} has schema version {current}, but this build only knows versions up to {latest}. " +
                "It was written by a newer ZkFire; run that version or restore a backup.");
        }

        if (current == latest)
        {
            await transaction.CommitAsync(cancellationToken);
            LogUpToDate(_logger, _database.Description, current);
            return;
        }

        for (var version = current; version < latest; version++)
        {
            await ExecuteAsync(connection, transaction, PostgresMigrations.Steps[version], cancellationToken);
        }

        await using (var write = new NpgsqlCommand(SetVersionSql, connection, transaction))
        {
            write.Parameters.AddWithValue("version", latest);
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        LogMigrated(_logger, _database.Description, current, latest);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "PostgreSQL database {Database} is at schema version {Version}")]
    private static partial void LogUpToDate(ILogger logger, string database, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrated PostgreSQL database {Database} from schema version {From} to {To}")]
    private static partial void LogMigrated(ILogger logger, string database, int from, int to);
}
