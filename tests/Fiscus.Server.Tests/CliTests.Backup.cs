using Fiscus.Ledger.Database;
using Fiscus.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary><c>fiscus migrate --dry-run</c>, and <c>backup</c>/<c>restore</c> mistakes said in one line by the executable itself.</summary>
public sealed partial class CliTests
{
    [Fact]
    public async Task Migrate_dry_run_lists_what_would_run_and_changes_nothing()
    {
        var empty = await RunAsync("migrate", "--dry-run");

        Assert.Equal(0, empty.Code);
        Assert.Contains("would apply 0001 foundation\n", empty.Output, StringComparison.Ordinal);
        Assert.Contains($"{Migration.All.Count} migration(s) would be applied; nothing was changed", empty.Output, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(TestDatabases.ConnectionStringFor(database));
        await connection.OpenAsync();
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NULL", connection))
        {
            Assert.Equal(true, await exists.ExecuteScalarAsync());
        }

        var upTo = Migration.All.Count - 2;
        await using (var source = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(database)))
        {
            await new Migrator(source, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None, upToVersion: upTo);
        }
        var partly = await RunAsync("migrate", "--dry-run");

        Assert.Equal(0, partly.Code);
        Assert.Equal(
            [.. Migration.All.Skip(upTo).Select(m => $"would apply {m.Version:D4} {m.Name}"), "2 migration(s) would be applied; nothing was changed"],
            partly.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM schema_migrations", connection))
        {
            Assert.Equal((long)upTo, await count.ExecuteScalarAsync());
        }

        Assert.Equal(0, (await RunAsync("migrate")).Code);
        var current = await RunAsync("migrate", "--dry-run");
        Assert.Equal("schema is up to date; nothing was changed\n", current.Output);
    }

    [Fact]
    public async Task Migrate_dry_run_on_a_database_from_a_newer_fiscus_is_one_line()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        await using (var connection = new NpgsqlConnection(TestDatabases.ConnectionStringFor(database)))
        {
            await connection.OpenAsync();
            await using var newer = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')", connection);
            await newer.ExecuteNonQueryAsync();
        }

        var result = await RunAsync("migrate", "--dry-run");

        Assert.Equal(2, result.Code);
        Assert.StartsWith("fiscus: The database has migration 9999", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("restore", "--from", "/nonexistent/fiscus.dump")]
    [InlineData("backup", "--to", "/nonexistent/fiscus.dump")]
    public async Task Backup_and_restore_mistakes_are_one_line_and_exit_2_from_the_executable(params string[] args)
    {
        var (code, output, error, exited) = await ProcessAsync(args);

        Assert.True(exited);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("fiscus: ", Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}
