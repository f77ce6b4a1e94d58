using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ZkFire.Storage.Sqlite;

/// <summary>
/// Returns every stored item, including those with <see cref="RosterItem.OnRoster"/> false: hiding them is the roster
/// logic's job, and it needs them to remember unanswered inbound requests.
/// </summary>
internal sealed class SqliteRosterStore(SqliteDatabase database) : IRosterStore
{
    private const string Columns = "contact, name, subscription, pending_out, pending_in, pre_approved, on_roster, groups";

    private const string SelectAllSql = "SELECT " + Columns + " FROM roster WHERE username = $username ORDER BY contact";

    private const string SelectOneSql = "SELECT " + Columns + " FROM roster WHERE username = $username AND contact = $contact";

    private const string UpsertSql =
        "INSERT INTO roster (username, " + Columns + ") VALUES ($username, $contact, $name, $subscription, " +
        "$pending_out, $pending_in, $pre_approved, $on_roster, $groups) " +
        "ON CONFLICT (username, contact) DO UPDATE SET name = excluded.name, subscription = excluded.subscription, " +
        "pending_out = excluded.pending_out, pending_in = excluded.pending_in, pre_approved = excluded.pre_approved, " +
        "on_roster = excluded.on_roster, groups = excluded.groups";

    private const string DeleteSql = "DELETE FROM roster WHERE username = $username AND contact = $contact";

    public Task<IReadOnlyList<RosterItem>> GetAllAsync(string username, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<RosterItem>>(
            SelectAllSql,
            command => command.Parameters.AddWithValue("$username", username),
            static reader =>
            {
                var items = new List<RosterItem>();
                while (reader.Read())
                {
                    items.Add(ReadItem(reader));
                }

                return items;
            },
            cancellationToken);

    public Task<RosterItem?> GetAsync(string username, string contact, CancellationToken cancellationToken) =>
        database.ReadAsync(
            SelectOneSql,
            command =>
            {
                command.Parameters.AddWithValue("$username", username);
                command.Parameters.AddWithValue("$contact", contact);
            },
            static reader => reader.Read() ? ReadItem(reader) : null,
            cancellationToken);

    public async Task PutAsync(string username, RosterItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var groups = EncodeGroups(item.Groups);
        try
        {
            await database.WriteAsync(
                UpsertSql,
                command =>
                {
                    command.Parameters.AddWithValue("$username", username);
                    command.Parameters.AddWithValue("$contact", item.Contact);
                    command.Parameters.AddWithValue("$name", (object?)item.Name ?? DBNull.Value);
                    command.Parameters.AddWithValue("$subscription", SubscriptionText.Format(item.Subscription));
                    command.Parameters.AddWithValue("$pending_out", item.PendingOut);
                    command.Parameters.AddWithValue("$pending_in", item.PendingIn);
                    command.Parameters.AddWithValue("$pre_approved", item.PreApproved);
                    command.Parameters.AddWithValue("$on_roster", item.OnRoster);
                    command.Parameters.AddWithValue("$groups", groups);
                },
                cancellationToken);
        }
        catch (SqliteException e) when (SqliteDatabase.IsForeignKeyViolation(e))
        {
            throw SqliteDatabase.NoSuchUser(username, e);
        }
    }

    public async Task<bool> RemoveAsync(string username, string contact, CancellationToken cancellationToken) =>
        await database.WriteAsync(
            DeleteSql,
            command =>
            {
                command.Parameters.AddWithValue("$username", username);
                command.Parameters.AddWithValue("$contact", contact);
            },
            cancellationToken) == 1;

    private static RosterItem ReadItem(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        SubscriptionText.Parse(reader.GetString(2)),
        reader.GetBoolean(3),
        reader.GetBoolean(4),
        reader.GetBoolean(5),
        DecodeGroups(reader.GetString(7)),
        reader.GetBoolean(6));

    private static string EncodeGroups(IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var group in groups)
            {
                writer.WriteStringValue(group);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] DecodeGroups(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("Roster groups are not a JSON array.");
        }

        var groups = new List<string>();
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            groups.Add(reader.GetString()!);
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new InvalidDataException("Roster groups are not a JSON array of strings.");
        }

        return [.. groups];
    }
}
