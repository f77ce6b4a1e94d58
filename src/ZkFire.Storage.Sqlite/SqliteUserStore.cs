using ZkFire.Storage.Sql;

namespace ZkFire.Storage.Sqlite;

internal sealed class SqliteUserStore(SqliteDatabase database) : IUserStore
{
    public async Task<bool> CreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await database.WriteAsync(
            UserTable.InsertSql,
            command =>
            {
                UserTable.AddUsername(command, user.Username);
                UserTable.AddCredentials(command, user.Sha1, user.Sha256);
                UserTable.Add(command, "@created", user.Created.ToUnixTimeMilliseconds());
            },
            cancellationToken) == 1;
    }

    public Task<UserRecord?> GetAsync(string username, CancellationToken cancellationToken) =>
        database.ReadAsync(
            UserTable.SelectSql,
            command => UserTable.AddUsername(command, username),
            static reader => reader.Read()
                ? UserTable.Read(reader, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(UserTable.CreatedColumn)))
                : null,
            cancellationToken);

    public async Task<bool> UpdateCredentialsAsync(string username, ScramCredentials sha1, ScramCredentials sha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sha1);
        ArgumentNullException.ThrowIfNull(sha256);
        return await database.WriteAsync(
            UserTable.UpdateCredentialsSql,
            command =>
            {
                UserTable.AddUsername(command, username);
                UserTable.AddCredentials(command, sha1, sha256);
            },
            cancellationToken) == 1;
    }

    public async Task<bool> DeleteAsync(string username, CancellationToken cancellationToken) =>
        await database.WriteAsync(UserTable.DeleteSql, command => UserTable.AddUsername(command, username), cancellationToken) == 1;

    public Task<long> CountAsync(CancellationToken cancellationToken) =>
        database.ReadAsync(UserTable.CountSql, static _ => { }, SqliteDatabase.ReadScalarInt64, cancellationToken);
}
