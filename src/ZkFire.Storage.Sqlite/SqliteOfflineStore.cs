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
        try
        {
            return await database.WriteAsync(
                InsertWithinQuotaSql,
                command =>
                {
                    command.Parameters.AddWithValue("$username", username);
                    command.Parameters.AddWithValue("$stanza", stanza);
                    command.Parameters.AddWithValue("$stored", database.Time.GetUtcNow().ToUnixTimeMilliseconds());
                    command.Parameters.AddWithValue("$quota", quota);
                },
                cancellationToken) == 1;
        }
        catch (SqliteException e) when (SqliteDatabase.IsForeignKeyViolation(e))
        {
            throw SqliteDatabase.NoSuchUser(username, e);
        }
    }

    public Task<IReadOnlyList<OfflineMessage>> PeekAsync(string username, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<OfflineMessage>>(
            PeekSql,
            command => command.Parameters.AddWithValue("$username", username),
            static reader =>
            {
                var messages = new List<OfflineMessage>();
                while (reader.Read())
                {
                    messages.Add(new OfflineMessage(
                        reader.GetInt64(0),
                        reader.GetString(1),
                        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
                }

                return messages;
            },
            cancellationToken);

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

        var idArray = json.Append(']').ToString();
        await database.WriteAsync(
            DeleteSql,
            command =>
            {
                command.Parameters.AddWithValue("$username", username);
                command.Parameters.AddWithValue("$ids", idArray);
            },
            cancellationToken);
    }

    public async Task<int> CountAsync(string username, CancellationToken cancellationToken) =>
        checked((int)await database.ReadAsync(
            CountSql,
            command => command.Parameters.AddWithValue("$username", username),
            SqliteDatabase.ReadScalarInt64,
            cancellationToken));
}
