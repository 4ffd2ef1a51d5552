using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Fiscus.Ledger.Tests;

public sealed class MigratorTests : IAsyncLifetime
{
    readonly string database = TestDatabases.NewName("migrate");
    NpgsqlDataSource dataSource = null!;

    public async Task InitializeAsync()
    {
        await TestDatabases.CreateAsync(database);
        dataSource = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(database));
    }

    public async Task DisposeAsync()
    {
        await dataSource.DisposeAsync();
        await TestDatabases.DropAsync(database);
    }

    Migrator NewMigrator(NpgsqlDataSource? source = null) => new(source ?? dataSource, NullLogger<Migrator>.Instance);

    [Fact]
    public async Task An_empty_database_gets_every_migration_and_the_ledger_tables()
    {
        var applied = await NewMigrator().MigrateAsync(CancellationToken.None);

        Assert.Equal(Migration.All.Select(m => m.Version), applied.Select(m => m.Version));
        await using var connection = await dataSource.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
        string[] expected =
        [
            "libraries", "patrons", "staff_users", "api_clients", "access_tokens", "cash_registers", "debit_types",
            "credit_types", "payment_types", "account_lines", "account_offsets", "audit_log", "idempotency_keys",
            "installation", "schema_migrations",
        ];
        Assert.All(expected, table => Assert.Contains(table, tables));
        Assert.Equal(Migration.All.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Running_again_applies_nothing_and_changes_nothing()
    {
        await NewMigrator().MigrateAsync(CancellationToken.None);

        var second = await NewMigrator().MigrateAsync(CancellationToken.None);

        Assert.Empty(second);
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(Migration.All.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Instances_migrating_at_once_apply_each_migration_exactly_once()
    {
        // Separate data sources: separate sessions, as separate Fiscus processes would have.
        var sources = Enumerable.Range(0, 6).Select(_ => NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(database))).ToList();
        try
        {
            using var start = new ManualResetEventSlim();
            var runs = sources.Select(source => Task.Run(async () =>
            {
                start.Wait();
                return await NewMigrator(source).MigrateAsync(CancellationToken.None);
            })).ToList();
            start.Set();
            var results = await Task.WhenAll(runs);

            Assert.Equal(Migration.All.Count, results.Sum(r => r.Count));
            Assert.Single(results, r => r.Count > 0);
            await using var connection = await dataSource.OpenConnectionAsync();
            Assert.Equal(Migration.All.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var source in sources)
            {
                await source.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_stops_the_start()
    {
        await NewMigrator().MigrateAsync(CancellationToken.None);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
        }

        var error = await Assert.ThrowsAsync<MigrationException>(() => NewMigrator().MigrateAsync(CancellationToken.None));
        Assert.Contains("changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_from_a_newer_build_is_refused()
    {
        await NewMigrator().MigrateAsync(CancellationToken.None);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')");
        }

        var error = await Assert.ThrowsAsync<MigrationException>(() => NewMigrator().MigrateAsync(CancellationToken.None));
        Assert.Contains("9999", error.Message, StringComparison.Ordinal);
    }
}
