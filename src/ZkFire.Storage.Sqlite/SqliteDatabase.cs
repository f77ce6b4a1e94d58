using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ZkFire.Storage.Sqlite;

/// <summary>Opens configured connections and serialises this process's writers.</summary>
internal sealed class SqliteDatabase : IDisposable
{
    // SQLite admits one writer at a time. Queueing writers here, asynchronously, keeps them from spinning in
    // SQLite's busy handler on thread-pool threads; busy_timeout is left to cover other processes and checkpoints.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    // Per-connection settings, applied once to each native connection: the pool hands the same handle out again
    // with its settings in place, and parsing three statements on every open was a measurable share of a login.
    // synchronous=FULL: in WAL mode NORMAL can lose the last commits on power failure, and a commit here is
    // acknowledged to a client (a registration, a roster change, an offline message accepted on its behalf).
    private readonly string _connectionSettings;
    private static readonly object Configured = new();
    private readonly ConditionalWeakTable<sqlite3, object> _configured = new();

    public SqliteDatabase(SqliteStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.BusyTimeout, TimeSpan.Zero);

        DatabasePath = Path.GetFullPath(options.DatabasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);

        var busyMilliseconds = (int)Math.Min(options.BusyTimeout.TotalMilliseconds, int.MaxValue);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,

            // Microsoft.Data.Sqlite retries BUSY itself until this many seconds have passed; keep it in step.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        _connectionSettings = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {busyMilliseconds};");
        Time = timeProvider;
    }

    public string DatabasePath { get; }

    public string ConnectionString { get; }

    public TimeProvider Time { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (!_configured.TryGetValue(connection.Handle!, out _))
            {
                using var command = connection.CreateCommand();
                command.CommandText = _connectionSettings;
                await command.ExecuteNonQueryAsync(cancellationToken);
                _configured.AddOrUpdate(connection.Handle!, Configured);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens a connection and waits for this process's write turn; dispose to release both.</summary>
    public async Task<WriteLease> BeginWriteAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        try
        {
            await _writeGate.WaitAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return new WriteLease(connection, _writeGate);
    }

    /// <summary>SQLITE_CONSTRAINT_FOREIGNKEY: a roster or offline row names a user that does not exist.</summary>
    public static bool IsForeignKeyViolation(SqliteException exception) => exception.SqliteExtendedErrorCode == 787;

    public static InvalidOperationException NoSuchUser(string username, SqliteException exception) =>
        new($"User '{username}' does not exist.", exception);

    public void Dispose()
    {
        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);
        _writeGate.Dispose();
    }

    public sealed class WriteLease(SqliteConnection connection, SemaphoreSlim gate) : IAsyncDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Connection.DisposeAsync();
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
