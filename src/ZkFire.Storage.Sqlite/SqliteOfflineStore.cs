using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace ZkFire.Storage.Sqlite;

internal sealed class SqliteOfflineStore(SqliteDatabase database) : IOfflineStore
{
    // One statement is one write transaction, and SQLite takes the write lock before it reads anything, so the
    // count and the insert are atomic against every other connection: the same guarantee as BEGIN IMMEDIATE with
    // a separate SELECT and INSERT, in one step.
    private const string InsertWithinQuotaSql =
        "INSERT INTO offline (username, stanza, stored) SELECT $username, $stanza, $stored " +
        "WHERE (SELECT COUNT(*) FROM offline WHERE username = $username) < $quota";

    private const string PeekSql = "SELECT id, stanza, stored FROM offline WHERE username = $username ORDER BY id";

    // The ids travel as one JSON array so the statement text stays fixed whatever the number of ids.
    private const string DeleteSql =
        "DELETE FROM offline WHERE username = $username AND id IN (SELECT value FROM json_each($ids))";

    private const string CountSql = "SELECT COUNT(*) FROM offline WHERE username = $username";

    public async Task<bool> StoreAsync(string username, string stanza, int quota, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        await using var lease = await database.BeginWriteAsync(cancellationToken);
        using var command = lease.Connection.CreateCommand();
        command.CommandText = InsertWithinQuotaSql;
        command.Parameters.AddWithValue("$username", username);
        command.Parameters.AddWithValue("$stanza", stanza);
        command.Parameters.AddWithValue("$stored", database.Time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$quota", quota);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        catch (SqliteException e) when (SqliteDatabase.IsForeignKeyViolation(e))
        {
            throw SqliteDatabase.NoSuchUser(username, e);
        }
    }

    public async Task<IReadOnlyList<OfflineMessage>> PeekAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var command = connection.CreateCommand();
        command.CommandText = PeekSql;
        command.Parameters.AddWithValue("$username", username);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var messages = new List<OfflineMessage>();
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(new OfflineMessage(
                reader.GetInt64(0),
                reader.GetString(1),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
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

        var json = new StringBuilder(ids.Count * 8).Append('[');
        foreach (var id in ids)
        {
            if (json.Length > 1)
            {
                json.Append(',');
            }

            json.Append(id.ToString(CultureInfo.InvariantCulture));
        }

        json.Append(']');

        await using var lease = await database.BeginWriteAsync(cancellationToken);
        using var command = lease.Connection.CreateCommand();
        command.CommandText = DeleteSql;
        command.Parameters.AddWithValue("$username", username);
        command.Parameters.AddWithValue("$ids", json.ToString());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> CountAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        using var command = connection.CreateCommand();
        command.CommandText = CountSql;
        command.Parameters.AddWithValue("$username", username);
        return checked((int)(long)(await command.ExecuteScalarAsync(cancellationToken))!);
    }
}
