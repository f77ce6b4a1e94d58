using Npgsql;

namespace ZkFire.Storage.Postgres;

internal sealed class PostgresUserStore(PostgresDatabase database) : IUserStore
{
    private const string Columns =
        "username, sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key, " +
        "sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key, created";

    private const string InsertSql =
        "INSERT INTO users (" + Columns + ") VALUES (@username, @sha1_salt, @sha1_iterations, @sha1_stored_key, " +
        "@sha1_server_key, @sha256_salt, @sha256_iterations, @sha256_stored_key, @sha256_server_key, @created) " +
        "ON CONFLICT (username) DO NOTHING";

    private const string SelectSql = "SELECT " + Columns + " FROM users WHERE username = @username";

    private const string UpdateCredentialsSql =
        "UPDATE users SET sha1_salt = @sha1_salt, sha1_iterations = @sha1_iterations, " +
        "sha1_stored_key = @sha1_stored_key, sha1_server_key = @sha1_server_key, sha256_salt = @sha256_salt, " +
        "sha256_iterations = @sha256_iterations, sha256_stored_key = @sha256_stored_key, " +
        "sha256_server_key = @sha256_server_key WHERE username = @username";

    // Roster and offline rows go with the user through ON DELETE CASCADE, inside this statement's own transaction.
    private const string DeleteSql = "DELETE FROM users WHERE username = @username";

    private const string CountSql = "SELECT COUNT(*) FROM users";

    public async Task<bool> CreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var command = database.DataSource.CreateCommand(InsertSql);
        command.Parameters.AddWithValue("username", user.Username);
        AddCredentials(command, user.Sha1, user.Sha256);
        command.Parameters.AddWithValue("created", user.Created.ToUniversalTime());
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<UserRecord?> GetAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(SelectSql);
        command.Parameters.AddWithValue("username", username);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new UserRecord(
            reader.GetString(0),
            new ScramCredentials(reader.GetFieldValue<byte[]>(1), reader.GetInt32(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4)),
            new ScramCredentials(reader.GetFieldValue<byte[]>(5), reader.GetInt32(6), reader.GetFieldValue<byte[]>(7), reader.GetFieldValue<byte[]>(8)),
            reader.GetFieldValue<DateTimeOffset>(9));
    }

    public async Task<bool> UpdateCredentialsAsync(string username, ScramCredentials sha1, ScramCredentials sha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha1);
        ArgumentNullException.ThrowIfNull(sha256);
        await using var command = database.DataSource.CreateCommand(UpdateCredentialsSql);
        command.Parameters.AddWithValue("username", username);
        AddCredentials(command, sha1, sha256);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> DeleteAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue("username", username);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(CountSql);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static void AddCredentials(NpgsqlCommand command, ScramCredentials sha1, ScramCredentials sha256)
    {
        command.Parameters.AddWithValue("sha1_salt", sha1.Salt);
        command.Parameters.AddWithValue("sha1_iterations", sha1.Iterations);
        command.Parameters.AddWithValue("sha1_stored_key", sha1.StoredKey);
        command.Parameters.AddWithValue("sha1_server_key", sha1.ServerKey);
        command.Parameters.AddWithValue("sha256_salt", sha256.Salt);
        command.Parameters.AddWithValue("sha256_iterations", sha256.Iterations);
        command.Parameters.AddWithValue("sha256_stored_key", sha256.StoredKey);
        command.Parameters.AddWithValue("sha256_server_key", sha256.ServerKey);
    }
}
