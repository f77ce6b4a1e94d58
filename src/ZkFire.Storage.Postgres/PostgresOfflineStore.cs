using Npgsql;

namespace ZkFire.Storage.Postgres;

internal sealed class PostgresOfflineStore(PostgresDatabase database) : IOfflineStore
{
    // Locking the owner's row serialises every store for that user, on every node, until commit (NO KEY UPDATE:
    // roster writes, whose foreign-key check only needs KEY SHARE, are not held up). The count runs as
    // a later statement so that, under READ COMMITTED, its snapshot is taken after the lock was granted and sees the
    // rows the previous holder committed; in one statement it would count from a snapshot older than the lock.
    private const string LockOwnerSql = "SELECT 1 FROM users WHERE username = @username FOR NO KEY UPDATE";

    private const string InsertWithinQuotaSql =
        "INSERT INTO offline (username, stanza, stored) SELECT @username, @stanza, @stored " +
        "WHERE (SELECT COUNT(*) FROM offline WHERE username = @username) < @quota";

    private const string PeekSql = "SELECT id, stanza, stored FROM offline WHERE username = @username ORDER BY id";

    private const string DeleteSql = "DELETE FROM offline WHERE username = @username AND id = ANY (@ids)";

    private const string CountSql = "SELECT COUNT(*) FROM offline WHERE username = @username";

    public async Task<bool> StoreAsync(string username, string stanza, int quota, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var lockOwner = new NpgsqlCommand(LockOwnerSql, connection, transaction))
        {
            lockOwner.Parameters.AddWithValue("username", username);
            if (await lockOwner.ExecuteScalarAsync(cancellationToken) is null)
            {
                throw PostgresDatabase.NoSuchUser(username);
            }
        }

        await using var insert = new NpgsqlCommand(InsertWithinQuotaSql, connection, transaction);
        insert.Parameters.AddWithValue("username", username);
        insert.Parameters.AddWithValue("stanza", stanza);
        insert.Parameters.AddWithValue("stored", database.Time.GetUtcNow().ToUniversalTime());
        insert.Parameters.AddWithValue("quota", (long)quota);
        var stored = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<OfflineMessage>> PeekAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(PeekSql);
        command.Parameters.AddWithValue("username", username);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var messages = new List<OfflineMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(new OfflineMessage(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return messages;
    }

    public async Task RemoveAsync(string username, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        await using var command = database.DataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue("username", username);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> CountAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(CountSql);
        command.Parameters.AddWithValue("username", username);
        return checked((int)(long)(await command.ExecuteScalarAsync(cancellationToken))!);
    }
}
