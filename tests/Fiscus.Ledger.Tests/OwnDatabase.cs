using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>A test class with an empty database of its own, created before its tests and dropped after them.</summary>
public abstract class OwnDatabase(string purpose) : IAsyncLifetime
{
    protected string Database { get; } = TestDatabases.NewName(purpose);

    protected NpgsqlDataSource DataSource { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await TestDatabases.CreateAsync(Database);
        DataSource = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(Database));
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await TestDatabases.DropAsync(Database);
    }
}
