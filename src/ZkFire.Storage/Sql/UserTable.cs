using System.Data.Common;

namespace ZkFire.Storage.Sql;

/// <summary>
/// The <c>users</c> table as every SQL backend has it: the statements (named parameters with <c>@</c>, which SQLite
/// and PostgreSQL both take), the binding of the SCRAM keys and the reading of a row. Only <c>created</c> differs by
/// backend (SQLite keeps Unix milliseconds, PostgreSQL a timestamptz), so each backend binds and reads that column.
/// </summary>
internal static class UserTable
{
    private const string Columns =
        "username, sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key, " +
        "sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key, created";

    public const string InsertSql =
        "INSERT INTO users (" + Columns + ") VALUES (@username, @sha1_salt, @sha1_iterations, @sha1_stored_key, " +
        "@sha1_server_key, @sha256_salt, @sha256_iterations, @sha256_stored_key, @sha256_server_key, @created) " +
        "ON CONFLICT (username) DO NOTHING";

    public const string SelectSql = "SELECT " + Columns + " FROM users WHERE username = @username";

    public const string UpdateCredentialsSql =
        "UPDATE users SET sha1_salt = @sha1_salt, sha1_iterations = @sha1_iterations, " +
        "sha1_stored_key = @sha1_stored_key, sha1_server_key = @sha1_server_key, sha256_salt = @sha256_salt, " +
        "sha256_iterations = @sha256_iterations, sha256_stored_key = @sha256_stored_key, " +
        "sha256_server_key = @sha256_server_key WHERE username = @username";

    // Roster and offline rows go with the user through ON DELETE CASCADE, inside this statement's own transaction.
    public const string DeleteSql = "DELETE FROM users WHERE username = @username";

    public const string CountSql = "SELECT COUNT(*) FROM users";

    /// <summary>The column of <c>created</c> in a row read with <see cref="SelectSql"/>.</summary>
    public const int CreatedColumn = 9;

    public static void AddUsername(DbCommand command, string username) => Add(command, "@username", username);

    public static void AddCredentials(DbCommand command, ScramCredentials sha1, ScramCredentials sha256)
    {
        Add(command, "@sha1_salt", sha1.Salt);
        Add(command, "@sha1_iterations", sha1.Iterations);
        Add(command, "@sha1_stored_key", sha1.StoredKey);
        Add(command, "@sha1_server_key", sha1.ServerKey);
        Add(command, "@sha256_salt", sha256.Salt);
        Add(command, "@sha256_iterations", sha256.Iterations);
        Add(command, "@sha256_stored_key", sha256.StoredKey);
        Add(command, "@sha256_server_key", sha256.ServerKey);
    }

    /// <summary>A row of <see cref="SelectSql"/>, given its <c>created</c> as the backend stores it.</summary>
    public static UserRecord Read(DbDataReader reader, DateTimeOffset created) => new(
        reader.GetString(0),
        new ScramCredentials(reader.GetFieldValue<byte[]>(1), reader.GetInt32(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4)),
        new ScramCredentials(reader.GetFieldValue<byte[]>(5), reader.GetInt32(6), reader.GetFieldValue<byte[]>(7), reader.GetFieldValue<byte[]>(8)),
        created);

    public static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
