using Microsoft.Data.Sqlite;

namespace ZkFire.Storage.Sqlite;

/// <summary>
/// An open connection and the statements prepared on it, kept for the connection's life: preparing (parsing and
/// planning) a statement costs more than running one of the store's reads. Not thread-safe: one caller at a time.
/// </summary>
internal sealed class SqlitePreparedConnection : IDisposable
{
    // Keyed by the statement's text; the store's statements are constants, so this holds a dozen at most.
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    private SqlitePreparedConnection(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    /// <summary>Opens a connection (not pooled: disposing it closes the file) and applies <paramref name="settings"/>.</summary>
    public static SqlitePreparedConnection Open(string connectionString, string settings)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = settings;
            command.ExecuteNonQuery();
            return new SqlitePreparedConnection(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The command for <paramref name="sql"/>, prepared on first use, with no parameters: bind them anew. A
    /// statement stays prepared across executions and failures; disposing its reader resets it, which ends the read
    /// transaction it held, so the next execution sees every commit made since.
    /// </summary>
    public SqliteCommand Command(string sql)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            command.Parameters.Clear();
            return command;
        }

        command = Connection.CreateCommand();
        try
        {
            command.CommandText = sql;
            command.Prepare();
        }
        catch
        {
            command.Dispose();
            throw;
        }

        _commands.Add(sql, command);
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        Connection.Dispose();
    }
}
