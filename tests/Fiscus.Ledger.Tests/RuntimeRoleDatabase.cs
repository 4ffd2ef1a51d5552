using Fiscus.Ledger.Database;
using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// A migrated and seeded database whose runtime role got its grants as a start with FISCUS_MIGRATION_DATABASE
/// gives them: <see cref="Owner"/> is the test server's superuser, <see cref="Runtime"/> signs in as the role the
/// server works as.
/// </summary>
public sealed class RuntimeRoleDatabase : IAsyncLifetime
{
    readonly LedgerDatabase ledger = new();

    public string Name => ledger.Name;

    public NpgsqlDataSource Owner => ledger.DataSource;

    public NpgsqlDataSource Runtime { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await ledger.InitializeAsync();
        Runtime = NpgsqlDataSource.Create(TestDatabases.RuntimeConnectionStringFor(Name));
        await RuntimeGrants.ApplyAsync(Owner, TestDatabases.RuntimeRole, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Runtime.DisposeAsync();
        await ledger.DisposeAsync();
    }
}
