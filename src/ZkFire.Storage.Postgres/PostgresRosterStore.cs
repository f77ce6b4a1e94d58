using Npgsql;
using NpgsqlTypes;

namespace ZkFire.Storage.Postgres;

/// <summary>
/// Returns every stored item, including those with <see cref="RosterItem.OnRoster"/> false: hiding them is the roster
/// logic's job, and it needs them to remember unanswered inbound requests.
/// </summary>
internal sealed class PostgresRosterStore(PostgresDatabase database) : IRosterStore
{
    private const string Columns = "contact, name, subscription, pending_out, pending_in, pre_approved, on_roster, groups";

    // COLLATE "C" so the order is by code point whatever the database's collation, as it is in SQLite.
    private const string SelectAllSql = "SELECT " + Columns + " FROM roster WHERE username = @username ORDER BY contact COLLATE \"C\"";

    private const string SelectOneSql = "SELECT " + Columns + " FROM roster WHERE username = @username AND contact = @contact";

    private const string UpsertSql =
        "INSERT INTO roster (username, " + Columns + ") VALUES (@username, @contact, @name, @subscription, " +
        "@pending_out, @pending_in, @pre_approved, @on_roster, @groups) " +
        "ON CONFLICT (username, contact) DO UPDATE SET name = excluded.name, subscription = excluded.subscription, " +
        "pending_out = excluded.pending_out, pending_in = excluded.pending_in, pre_approved = excluded.pre_approved, " +
        "on_roster = excluded.on_roster, groups = excluded.groups";

    private const string DeleteSql = "DELETE FROM roster WHERE username = @username AND contact = @contact";

    public async Task<IReadOnlyList<RosterItem>> GetAllAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(SelectAllSql);
        command.Parameters.AddWithValue("username", username);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<RosterItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadItem(reader));
        }

        return items;
    }

    public async Task<RosterItem?> GetAsync(string username, string contact, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(SelectOneSql);
        command.Parameters.AddWithValue("username", username);
        command.Parameters.AddWithValue("contact", contact);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadItem(reader) : null;
    }

    public async Task PutAsync(string username, RosterItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(item.Groups);
        await using var command = database.DataSource.CreateCommand(UpsertSql);
        command.Parameters.AddWithValue("username", username);
        command.Parameters.AddWithValue("contact", item.Contact);
        command.Parameters.AddWithValue("name", NpgsqlDbType.Text, (object?)item.Name ?? DBNull.Value);
        command.Parameters.AddWithValue("subscription", SubscriptionText.Format(item.Subscription));
        command.Parameters.AddWithValue("pending_out", item.PendingOut);
        command.Parameters.AddWithValue("pending_in", item.PendingIn);
        command.Parameters.AddWithValue("pre_approved", item.PreApproved);
        command.Parameters.AddWithValue("on_roster", item.OnRoster);
        command.Parameters.AddWithValue("groups", item.Groups.ToArray());
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (PostgresDatabase.IsForeignKeyViolation(e))
        {
            throw PostgresDatabase.NoSuchUser(username, e);
        }
    }

    public async Task<bool> RemoveAsync(string username, string contact, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue("username", username);
        command.Parameters.AddWithValue("contact", contact);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static RosterItem ReadItem(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        SubscriptionText.Parse(reader.GetString(2)),
        reader.GetBoolean(3),
        reader.GetBoolean(4),
        reader.GetBoolean(5),
        reader.GetFieldValue<string[]>(7),
        reader.GetBoolean(6));
}
