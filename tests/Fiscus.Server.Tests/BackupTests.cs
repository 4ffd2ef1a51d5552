using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Server.Cli;
using Microsoft.Extensions.Logging.Abstractions;
using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// <c>fiscus backup</c> and <c>fiscus restore</c> round trip money written through the API (payments, a sale, a cash-up,
/// a seal) into a database of their own, where <c>fiscus verify</c> is clean and every ledger row is as it was.
/// </summary>
public sealed class BackupTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>, IAsyncLifetime
{
    /// <summary>Every table whose rows are money, the cash-up's count or the seal: compared row for row after a restore.</summary>
    static readonly string[] LedgerTables =
    [
        "patrons", "account_lines", "account_offsets", "sales", "register_sessions", "cashups", "cashup_reconciliations",
        "register_movements", "audit_log", "ledger_seals", "ledger_seal_chunks", "schema_migrations",
    ];

    readonly string copy = TestDatabases.NewName("restored");
    readonly string file = Path.Combine(Path.GetTempPath(), $"fiscus-backup-test-{Environment.ProcessId}-{Guid.NewGuid():N}.dump");

    public Task InitializeAsync() => TestDatabases.CreateAsync(copy);

    public async Task DisposeAsync()
    {
        File.Delete(file);
        await TestDatabases.DropAsync(copy);
    }

    /// <summary>A CLI verb against <paramref name="database"/> as its owner and the runtime role.</summary>
    internal static async Task<(int Code, string Output, string Error)> RunAsync(string database, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await FiscusCli.RunAsync(args, new Dictionary<string, string?>
        {
            ["FISCUS_MIGRATION_DATABASE"] = TestDatabases.ConnectionStringFor(database),
            ["FISCUS_DATABASE"] = TestDatabases.RuntimeConnectionStringFor(database),
            ["FISCUS_TIME_ZONE"] = "UTC",
        }, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Every row of the ledger's tables as JSON, in a stable order.</summary>
    static async Task<Dictionary<string, string>> RowsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(TestDatabases.ConnectionStringFor(database));
        await connection.OpenAsync();
        var rows = new Dictionary<string, string>();
        foreach (var table in LedgerTables)
        {
            rows[table] = await connection.ExecuteScalarAsync<string?>(
                $"SELECT string_agg(to_jsonb(t)::text, E'\\n' ORDER BY to_jsonb(t)::text) FROM {table} t") ?? "";
        }
        return rows;
    }

    static string OneLine(string error)
    {
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("fiscus: ", line, StringComparison.Ordinal);
        return line;
    }

    /// <summary>Payments, a sale and a cash-up through the API, then a payment in the next session, all sealed.</summary>
    async Task<string> WriteMoneyAsync()
    {
        var admin = await fiscus.AdminAsync();
        var register = await fiscus.RegisterAsync(startingFloat: 20m);
        await fiscus.SellAsync(register, 2.50m, "PRINT", "CASH");
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 7m, "OVERDUE");
        using (var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 4m, payment_type = "CASH", cash_register_id = register })))
        {
            await paid.ExpectAsync(HttpStatusCode.Created);
        }
        using (var cashup = await admin.PostCashupAsync(register, new { reconciliations = new object[] { new { payment_type = "CASH", counted = 6.50m } } }))
        {
            await cashup.ExpectAsync(HttpStatusCode.Created);
        }
        using (var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 1m, payment_type = "CARD", cash_register_id = register })))
        {
            await paid.ExpectAsync(HttpStatusCode.Created);
        }
        Assert.Equal(2m, await fiscus.BalanceAsync(patron));
        return (await fiscus.SealAllAsync()).HashHex;
    }

    [Fact]
    public async Task A_backup_restored_into_a_fresh_database_verifies_clean_with_every_row_and_the_seal_as_they_were()
    {
        var hash = await WriteMoneyAsync();
        var before = await RowsAsync(fiscus.Factory.Database);

        var backup = await RunAsync(fiscus.Factory.Database, "backup", "--to", file);

        Assert.True(backup.Code == 0, backup.Error);
        Assert.Contains($"to {file}", backup.Output, StringComparison.Ordinal);
        Assert.Matches(@"\(\d+ bytes\), PostgreSQL custom format", backup.Output);
        Assert.True(new FileInfo(file).Length > 0);
        // Password hashes and every patron's account: its owner's only.
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!, $".{Path.GetFileName(file)}.*"));

        var restore = await RunAsync(copy, "restore", "--from", file);

        Assert.True(restore.Code == 0, restore.Output + restore.Error);
        Assert.Contains($"restored {file} into database {copy}", restore.Output, StringComparison.Ordinal);
        Assert.Contains("ledger is consistent", restore.Output, StringComparison.Ordinal);
        var after = await RowsAsync(copy);
        Assert.All(LedgerTables, table => Assert.Equal(before[table], after[table]));
        Assert.Contains("account_line_id", after["account_lines"], StringComparison.Ordinal);

        // The chain recomputes from the restored rows to the very hash recorded before the backup.
        var against = await RunAsync(copy, "verify", "--against", hash);
        Assert.True(against.Code == 0, against.Output + against.Error);
        Assert.Contains("nothing it or the seals before it cover has changed", against.Output, StringComparison.Ordinal);
        // The runtime role was granted what it needs: the restored database serves as the original did.
        var users = await RunAsync(copy, "user", "list");
        Assert.True(users.Code == 0, users.Error);
        Assert.Contains("admin", users.Output, StringComparison.Ordinal);

        // Into a database with tables: refused without --force, and nothing changes.
        var refused = await RunAsync(copy, "restore", "--from", file);
        Assert.Equal(1, refused.Code);
        Assert.Contains($"the database {copy} is not empty", OneLine(refused.Error), StringComparison.Ordinal);
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);

        // With --force: replaced by the backup's rows, however they were changed since.
        await using (var connection = new NpgsqlConnection(TestDatabases.ConnectionStringFor(copy)))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync("INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at) VALUES ('AFTER', 'Later', 'MAIN', now(), now())");
        }
        var forced = await RunAsync(copy, "restore", "--from", file, "--force");
        Assert.True(forced.Code == 0, forced.Output + forced.Error);
        Assert.Contains("(replacing what was there)", forced.Output, StringComparison.Ordinal);
        Assert.Contains("ledger is consistent", forced.Output, StringComparison.Ordinal);
        var replaced = await RowsAsync(copy);
        Assert.All(LedgerTables, table => Assert.Equal(before[table], replaced[table]));
    }

    [Fact]
    public async Task A_missing_unreadable_or_truncated_backup_is_one_line_exit_2_and_changes_nothing()
    {
        var missing = await RunAsync(copy, "restore", "--from", file);
        Assert.Equal(2, missing.Code);
        Assert.EndsWith($"--from {file}: no such file", OneLine(missing.Error), StringComparison.Ordinal);

        await File.WriteAllTextAsync(file, "this is not a backup\n");
        var junk = await RunAsync(copy, "restore", "--from", file);
        Assert.Equal(2, junk.Code);
        Assert.Contains("is not a backup pg_restore can read", OneLine(junk.Error), StringComparison.Ordinal);

        // A real backup cut short: its table of contents reads, its data does not; the one transaction leaves nothing behind.
        Assert.Equal(0, (await RunAsync(fiscus.Factory.Database, "backup", "--to", file)).Code);
        var whole = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, whole[..(whole.Length * 2 / 3)]);
        var truncated = await RunAsync(copy, "restore", "--from", file);
        Assert.Equal(2, truncated.Code);
        OneLine(truncated.Error);
        await using var connection = new NpgsqlConnection(TestDatabases.ConnectionStringFor(copy));
        await connection.OpenAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"));

        var unmigrated = await RunAsync(copy, "backup", "--to", file);
        Assert.Equal(2, unmigrated.Code);
        Assert.Contains($"the database {copy} holds no Fiscus schema yet", OneLine(unmigrated.Error), StringComparison.Ordinal);

        var nowhere = await RunAsync(copy, "backup", "--to", Path.Combine(file + ".missing-directory", "x.dump"));
        Assert.Equal(2, nowhere.Code);
        Assert.Contains("does not exist", OneLine(nowhere.Error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_from_a_newer_fiscus_or_older_than_the_database_it_would_replace_is_refused_before_anything_changes()
    {
        await using (var source = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(copy)))
        {
            await new Migrator(source, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None, upToVersion: Migration.All.Count - 1);
        }
        Assert.Equal(0, (await RunAsync(copy, "backup", "--to", file)).Code);
        var before = await RowsAsync(fiscus.Factory.Database);

        // --clean would drop only what the older backup holds, and leave the newer migrations' tables in its way.
        var older = await RunAsync(fiscus.Factory.Database, "restore", "--from", file, "--force");

        Assert.Equal(1, older.Code);
        Assert.Contains($"is at schema version {Migration.All.Count}, newer than the backup's {Migration.All.Count - 1}", OneLine(older.Error), StringComparison.Ordinal);
        Assert.Equal(before, await RowsAsync(fiscus.Factory.Database));

        await using (var connection = new NpgsqlConnection(TestDatabases.ConnectionStringFor(copy)))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')");
        }
        Assert.Equal(0, (await RunAsync(copy, "backup", "--to", file)).Code);
        await TestDatabases.DropAsync(copy);
        await TestDatabases.CreateAsync(copy);

        var newer = await RunAsync(copy, "restore", "--from", file);

        Assert.Equal(2, newer.Code);
        Assert.Contains("holds migration 9999, which this build of Fiscus does not know", OneLine(newer.Error), StringComparison.Ordinal);
        await using var check = new NpgsqlConnection(TestDatabases.ConnectionStringFor(copy));
        await check.OpenAsync();
        Assert.Equal(0, await check.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }
}
