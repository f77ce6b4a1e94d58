namespace ZkFire.Storage.Postgres;

/// <summary>Which PostgreSQL database holds the store.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>
    /// Npgsql connection string. The tables live in the first schema of its search path (<c>Search Path=…</c>;
    /// PostgreSQL's default is the role's own schema, then <c>public</c>), so one database can hold several clusters.
    /// </summary>
    public string ConnectionString { get; set; } = "";
}
