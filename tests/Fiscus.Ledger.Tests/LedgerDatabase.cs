using Fiscus.Ledger.Database;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.ReferenceData;
using Fiscus.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>A freshly migrated and seeded database of the test class's own.</summary>
public sealed class LedgerDatabase : IAsyncLifetime
{
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
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await TestDatabases.DropAsync(Name);
    }
}
