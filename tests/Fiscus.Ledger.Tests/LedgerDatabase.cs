using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.ReferenceData;
using Fiscus.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>A freshly migrated and seeded database of the test class's own, with one staff user to write lines as.</summary>
public sealed class LedgerDatabase : IAsyncLifetime
{
    /// <summary>
    /// The database's first staff user, whom the tests' own SQL names as the writer of the lines it inserts (every line names
    /// its user or client, migration 0010).
    /// </summary>
    public const long TesterUserId = 1;

    public string Name { get; } = TestDatabases.NewName("ledger");

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The ledger's Dapper queries name snake_case columns; the host sets this once at start-up (FiscusApp.AddFiscusCore).
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        await TestDatabases.CreateAsync(Name);
        DataSource = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(Name));
        await new Migrator(DataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        await Transactions.RunAsync(DataSource, (connection, transaction) =>
            Installation.EnsureAsync(connection, transaction, Currency.Usd, "UTC", DateTimeOffset.UtcNow, CancellationToken.None),
            CancellationToken.None);
        await using var owner = await DataSource.OpenConnectionAsync();
        var tester = await owner.ExecuteScalarAsync<long>("""
            INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
            VALUES (gen_random_uuid(), 'ledger-tester', 'x', 'manager', now(), now(), now()) RETURNING user_id
            """);
        if (tester != TesterUserId)
        {
            throw new InvalidOperationException($"The tester is user {tester}, not {TesterUserId}.");
        }
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await TestDatabases.DropAsync(Name);
    }
}
