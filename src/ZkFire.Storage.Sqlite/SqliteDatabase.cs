using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ZkFire.Storage.Sqlite;

/// <summary>
/// The store's connections to one database file: a few long-lived read connections, taken one caller at a time, and
/// one write connection used in this process's write turn, each keeping its prepared statements between calls.
/// Nothing read is cached: every read runs its statement again and sees what any process has committed.
/// </summary>
internal sealed class SqliteDatabase : IAsyncDisposable
{
    // Idle read connections kept for reuse. A caller holds one only while its statement runs, and Microsoft.Data.Sqlite
    // runs statements synchronously, so about as many are busy at once as threads read; a caller finding none idle
    // opens one, and one returned to a full pool is closed.
    private static readonly int MaxIdleReaders = Math.Max(4, 2 * Environment.ProcessorCount);

    // SQLite admits one writer at a time. Queueing writers here, asynchronously, keeps them from spinning in
    // SQLite's busy handler on thread-pool threads; busy_timeout is left to cover other processes and checkpoints.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    // Applied once to each connection when it opens.
    // synchronous=FULL: in WAL mode NORMAL can lose the last commits on power failure, and a commit here is
    // acknowledged to a client (a registration, a roster change, an offline message accepted on its behalf).
    private readonly string _connectionSettings;
    private readonly string _connectionString;

    private readonly SqlitePreparedConnection?[] _idleReaders = new SqlitePreparedConnection?[MaxIdleReaders];
    private int _idleReaderCount;
    private bool _disposed;

    // Touched only by the holder of the write gate.
    private SqlitePreparedConnection? _writer;

    public SqliteDatabase(SqliteStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.BusyTimeout, TimeSpan.Zero);

        DatabasePath = Path.GetFullPath(options.DatabasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);

        var busyMilliseconds = (int)Math.Min(options.BusyTimeout.TotalMilliseconds, int.MaxValue);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,

            // This class keeps its connections open itself; closing one must close the file.
            Pooling = false,

            // Microsoft.Data.Sqlite retries BUSY itself until this many seconds have passed; keep it in step.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        _connectionSettings = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {busyMilliseconds};");
        Time = timeProvider;
    }

    public string DatabasePath { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// Runs <paramref name="sql"/> on a read connection of its own, with the parameters <paramref name="bind"/> adds,
    /// and returns what <paramref name="read"/> makes of the rows. The reader is disposed before the connection is
    /// reused, which resets the statement and so releases its snapshot of the database.
    /// </summary>
    public async Task<T> ReadAsync<T>(string sql, Action<SqliteCommand> bind, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connection = RentReader();
        try
        {
            var command = connection.Command(sql);
            bind(command);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return read(reader);
        }
        finally
        {
            ReturnReader(connection);
        }
    }

    /// <summary>Runs <paramref name="sql"/> in this process's write turn and returns the number of rows it changed.</summary>
    public async Task<int> WriteAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var lease = await BeginWriteAsync(cancellationToken);
        var command = lease.Connection.Command(sql);
        bind(command);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Waits for this process's write turn and hands out the write connection until the lease is disposed.</summary>
    public async Task<WriteLease> BeginWriteAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _writer ??= SqlitePreparedConnection.Open(_connectionString, _connectionSettings);
            return new WriteLease(_writer, _writeGate);
        }
        catch
        {
            _writeGate.Release();
            throw;
        }
    }

    /// <summary>The integer a one-row, one-column query such as <c>SELECT COUNT(*)</c> returns.</summary>
    public static long ReadScalarInt64(SqliteDataReader reader) =>
        reader.Read() ? reader.GetInt64(0) : throw new InvalidDataException("The query returned no row.");

    /// <summary>SQLITE_CONSTRAINT_FOREIGNKEY: a roster or offline row names a user that does not exist.</summary>
    public static bool IsForeignKeyViolation(SqliteException exception) => exception.SqliteExtendedErrorCode == 787;

    public static InvalidOperationException NoSuchUser(string username, SqliteException exception) =>
        new($"User '{username}' does not exist.", exception);

    /// <summary>Closes every connection; a read still running closes its own when it ends, a write is waited for.</summary>
    public async ValueTask DisposeAsync()
    {
        SqlitePreparedConnection?[] idle;
        lock (_idleReaders)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            idle = _idleReaders[.._idleReaderCount];
            Array.Clear(_idleReaders);
            _idleReaderCount = 0;
        }

        foreach (var connection in idle)
        {
            connection!.Dispose();
        }

        // Writers queued behind this find the store disposed and throw.
        await _writeGate.WaitAsync();
        try
        {
            _writer?.Dispose();
            _writer = null;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private SqlitePreparedConnection RentReader()
    {
        lock (_idleReaders)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idleReaderCount > 0)
            {
                var connection = _idleReaders[--_idleReaderCount]!;
                _idleReaders[_idleReaderCount] = null;
                return connection;
            }
        }

        return SqlitePreparedConnection.Open(_connectionString, _connectionSettings);
    }

    private void ReturnReader(SqlitePreparedConnection connection)
    {
        lock (_idleReaders)
        {
            if (!_disposed && _idleReaderCount < _idleReaders.Length)
            {
                _idleReaders[_idleReaderCount++] = connection;
                return;
            }
        }

        connection.Dispose();
    }

    public sealed class WriteLease(SqlitePreparedConnection connection, SemaphoreSlim gate) : IAsyncDisposable
    {
        public SqlitePreparedConnection Connection { get; } = connection;

        public ValueTask DisposeAsync()
        {
            gate.Release();
            return ValueTask.CompletedTask;
        }
    }
}
