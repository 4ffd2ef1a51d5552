using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// Review of issue 16: a backup file is SQL that <c>fiscus restore</c> runs as the schema's owner. One whose schema was
/// changed (here: the trigger that refuses UPDATE of a line's amount dropped before the dump) carries its migrations'
/// history unchanged, so restore takes it and verify finds the data consistent: the restored ledger has lost a money rule
/// and nothing says so.
/// </summary>
public sealed class BackupReviewTests : IAsyncLifetime
{
    readonly string source = TestDatabases.NewName("tampered");
    readonly string copy = TestDatabases.NewName("restoredtampered");
    readonly string file = Path.Combine(Path.GetTempPath(), $"fiscus-backup-review-{Environment.ProcessId}-{Guid.NewGuid():N}.dump");

    public async Task InitializeAsync()
    {
        await TestDatabases.CreateAsync(source);
        await TestDatabases.CreateAsync(copy);
    }

    public async Task DisposeAsync()
    {
        File.Delete(file);
        await TestDatabases.DropAsync(copy);
        await TestDatabases.DropAsync(source);
    }

    static Task<(int Code, string Output, string Error)> RunAsync(string database, params string[] args) =>
        BackupTests.RunAsync(database, args);

    [Fact(Skip = "Review of issue 16 (finding, open): restore does not compare the restored schema with this build's migrations; unskipped, restore exits 0 and says \"its schema is this build's\" without the amount guard")]
    public async Task A_backup_whose_money_rules_were_removed_is_not_restored_as_clean()
    {
        var migrated = await RunAsync(source, "migrate");
        Assert.True(migrated.Code == 0, migrated.Output + migrated.Error);
        await using (var owner = new NpgsqlConnection(TestDatabases.ConnectionStringFor(source)))
        {
            await owner.OpenAsync();
            await using var drop = new NpgsqlCommand("DROP TRIGGER account_lines_guard_update ON account_lines", owner);
            await drop.ExecuteNonQueryAsync();
        }
        var backup = await RunAsync(source, "backup", "--to", file);
        Assert.True(backup.Code == 0, backup.Error);

        var restore = await RunAsync(copy, "restore", "--from", file);

        await using var restored = new NpgsqlConnection(TestDatabases.ConnectionStringFor(copy));
        await restored.OpenAsync();
        await using var guard = new NpgsqlCommand(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'account_lines_guard_update' AND tgrelid = 'account_lines'::regclass", restored);
        var guards = (long)(await guard.ExecuteScalarAsync())!;
        // Either the restore says the schema is not this build's, or the rule is back: never a clean restore without it.
        Assert.True(restore.Code != 0 || guards == 1,
            $"restore exited {restore.Code} with the amount guard missing:\n{restore.Output}{restore.Error}");
    }
}
