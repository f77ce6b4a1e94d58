using Npgsql;

namespace ZkFire.Storage.Postgres;

/// <summary>The shared connection pool and the error mapping the three stores have in common.</summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    public PostgresDatabase(PostgresStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString);

        // Parsed here so a malformed string fails at construction rather than on the first query.
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        DataSource = NpgsqlDataSource.Create(builder);
        Description = $"{builder.Host}/{builder.Database}";
        Time = timeProvider;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Host and database, for log messages: never the full string, which may hold a password.</summary>
    public string Description { get; }

    public TimeProvider Time { get; }

    public static bool IsForeignKeyViolation(PostgresException exception) =>
        exception.SqlState == PostgresErrorCodes.ForeignKeyViolation;

    public static InvalidOperationException NoSuchUser(string username, Exception? exception = null) =>
        new($"User '{username}' does not exist.", exception);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
