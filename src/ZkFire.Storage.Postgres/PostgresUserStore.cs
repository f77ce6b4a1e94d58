using ZkFire.Storage.Sql;

namespace ZkFire.Storage.Postgres;

internal sealed class PostgresUserStore(PostgresDatabase database) : IUserStore
{
    public async Task<bool> CreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var command = database.DataSource.CreateCommand(UserTable.InsertSql);
        UserTable.AddUsername(command, user.Username);
        UserTable.AddCredentials(command, user.Sha1, user.Sha256);
        UserTable.Add(command, "@created", user.Created.ToUniversalTime());
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<UserRecord?> GetAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(UserTable.SelectSql);
        UserTable.AddUsername(command, username);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? UserTable.Read(reader, reader.GetFieldValue<DateTimeOffset>(UserTable.CreatedColumn))
            : null;
    }

    public async Task<bool> UpdateCredentialsAsync(string username, ScramCredentials sha1, ScramCredentials sha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha1);
        ArgumentNullException.ThrowIfNull(sha256);
        await using var command = database.DataSource.CreateCommand(UserTable.UpdateCredentialsSql);
        UserTable.AddUsername(command, username);
        UserTable.AddCredentials(command, sha1, sha256);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> DeleteAsync(string username, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(UserTable.DeleteSql);
        UserTable.AddUsername(command, username);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(UserTable.CountSql);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
