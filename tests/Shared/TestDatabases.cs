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

    /// <summary>
    /// The login role the server under test works as, as in production: it owns nothing and gets its privileges
    /// from Fiscus's start-up (FISCUS_MIGRATION_DATABASE is the superuser of <see cref="ServerConnectionString"/>).
    /// Roles belong to the whole server, so one role serves every test database (their grants travel with a clone).
    /// </summary>
    public const string RuntimeRole = "fiscus_test_runtime";

    /// <summary>
    /// The private cluster trusts its Unix socket and ignores it; a server in FISCUS_TEST_DATABASE that asks for
    /// passwords gets this one (a role created there by an earlier run keeps the password it was given then).
    /// </summary>
    const string RuntimePassword = "fiscus-test-runtime-password";

    static readonly Lazy<bool> RuntimeRoleCreated = new(CreateRuntimeRole);

    /// <summary>A connection string for <paramref name="database"/> as <see cref="RuntimeRole"/>, creating the role first if the server has none.</summary>
    public static string RuntimeConnectionStringFor(string database)
    {
        _ = RuntimeRoleCreated.Value;
        return new NpgsqlConnectionStringBuilder(ConnectionStringFor(database)) { Username = RuntimeRole, Password = RuntimePassword }.ConnectionString;
    }

    // Synchronous: it is asked for while a test host is being configured, which cannot await.
    static bool CreateRuntimeRole()
    {
        using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        connection.Open();
        using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = @role)", connection);
        exists.Parameters.AddWithValue("role", RuntimeRole);
        if ((bool)exists.ExecuteScalar()!)
        {
            return true;
        }
        using var create = new NpgsqlCommand(
            $"CREATE ROLE {RuntimeRole} LOGIN PASSWORD '{RuntimePassword}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION", connection);
        try
        {
            create.ExecuteNonQuery();
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
            // The other test assembly, running at the same time, created it first.
        }
        return true;
    }

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
