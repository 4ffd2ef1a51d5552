using System.Globalization;
using Npgsql;

namespace Fiscus.Testing;

/// <summary>
/// Real PostgreSQL for tests. <c>./test</c> starts a private cluster and sets FISCUS_TEST_DATABASE (a
/// connection string to a server where databases may be created); every test class gets its own database,
/// so classes run in parallel without seeing each other's rows.
/// </summary>
public static class TestDatabases
{
    static int counter;

    public static string ServerConnectionString { get; } = Environment.GetEnvironmentVariable("FISCUS_TEST_DATABASE") is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            "FISCUS_TEST_DATABASE is not set. Run the tests with ./test (it starts a private PostgreSQL), or set " +
            "FISCUS_TEST_DATABASE to an Npgsql connection string for a server where the tests may create databases.");

    /// <summary>A unique database name for this test process.</summary>
    public static string NewName(string purpose) => string.Create(CultureInfo.InvariantCulture,
        $"fiscus_{purpose}_{Environment.ProcessId}_{Interlocked.Increment(ref counter)}");

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database, Pooling = true }.ConnectionString;

    public static async Task CreateAsync(string database, string? template = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        var sql = template is null ? $"CREATE DATABASE \"{database}\"" : $"CREATE DATABASE \"{database}\" TEMPLATE \"{template}\"";
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task DropAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
