using Npgsql;

namespace ZkFire.Storage.Tests;

/// <summary>
/// A fresh schema in the PostgreSQL database named by <c>ZKFIRE_TEST_POSTGRES</c>, dropped with everything in it on
/// dispose. Without that variable a test is skipped, or failed when CI=true: CI starts a server (.ci/run), so a skip
/// there would hide a broken set-up.
/// </summary>
public sealed class PostgresTestSchema : IAsyncDisposable
{
    public const string Variable = "ZKFIRE_TEST_POSTGRES";

    private string? _created;

    /// <summary>Schema names are generated here, never taken from input, so they can be spliced into DDL.</summary>
    public string Name { get; } = "zkfire_test_" + Guid.NewGuid().ToString("N");

    /// <summary>Creates the schema on first use and returns a connection string whose search path starts with it.</summary>
    public async Task<string> GetConnectionStringAsync()
    {
        if (_created is not null)
        {
            return _created;
        }

        var server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            var reason = $"{Variable} is not set (an Npgsql connection string to a PostgreSQL server where the role may create schemas).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"{reason} CI=true, so this is a failure rather than a skip. .ci/run starts one.");
            }

            Skip.If(true, $"{reason} .ci/run shows how to start one.");
        }

        await ExecuteAsync(server, $"CREATE SCHEMA {Name}");

        // A small pool per store: the contract's stress tests would otherwise open up to the default 100 connections
        // per store, PostgreSQL's whole default max_connections.
        _created = new NpgsqlConnectionStringBuilder(server) { SearchPath = Name, MaxPoolSize = 10 }.ToString();
        return _created;
    }

    public async Task<object?> QueryAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(await GetConnectionStringAsync()) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_created is not null)
        {
            await ExecuteAsync(_created, $"DROP SCHEMA {Name} CASCADE");
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
