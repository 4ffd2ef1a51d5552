using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Sealing;
using Fiscus.Ledger.Verification;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// Upgrades with money in the database: for every earlier schema version, a database migrated to it holds a patron, a
/// debit, a cash payment applied to it through a register (in a register session once there are sessions), written
/// with that version's columns only; migrated to the latest, the rows are all there and the verifier finds the ledger
/// consistent, and the sealer can seal them.
/// </summary>
public sealed class UpgradeFromEveryVersionTests() : OwnDatabase("upgrade_all")
{
    public override Task InitializeAsync()
    {
        // The verifier reads its findings with Dapper as the server configures it (FiscusApp.AddFiscusCore).
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        return base.InitializeAsync();
    }

    public static TheoryData<int> EarlierVersions()
    {
        var versions = new TheoryData<int>();
        foreach (var migration in Migration.All.SkipLast(1))
        {
            versions.Add(migration.Version);
        }
        return versions;
    }

    [Theory]
    [MemberData(nameof(EarlierVersions))]
    public async Task A_database_with_money_at_version_v_migrates_to_the_latest_with_its_ledger_intact(int version)
    {
        var migrator = new Migrator(DataSource, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None, upToVersion: version);
        await using var connection = await DataSource.OpenConnectionAsync();
        Assert.Equal(version, await connection.ExecuteScalarAsync<int>("SELECT max(version) FROM schema_migrations"));

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(RowsAt(version), transaction: transaction);
            await transaction.CommitAsync();
        }

        var applied = await migrator.MigrateAsync(CancellationToken.None);

        Assert.Equal(Migration.All.Where(m => m.Version > version).Select(m => m.Version), applied.Select(m => m.Version));
        var report = await LedgerVerifier.VerifyAsync(connection, CancellationToken.None);
        Assert.True(report.IsClean, string.Join("\n", report.Violations.Select(v => $"{v.Check}: {v.Detail}")));
        Assert.Equal((2L, 3L), (report.Lines, report.Offsets));
        var (debitOutstanding, paymentOutstanding, session, balance) = await connection.QuerySingleAsync<(long, long, long?, long)>("""
            SELECT d.amount_outstanding_minor, c.amount_outstanding_minor, c.register_session_id,
                   (SELECT sum(amount_outstanding_minor) FROM account_lines l WHERE l.patron_id = p.patron_id)::bigint
            FROM patrons p
            JOIN account_lines d ON d.patron_id = p.patron_id AND d.debit_type_code = 'OVERDUE'
            JOIN account_lines c ON c.patron_id = p.patron_id AND c.credit_type_code = 'PAYMENT'
            WHERE p.cardnumber = 'UPG-1'
            """);
        Assert.Equal((200L, 0L, 200L), (debitOutstanding, paymentOutstanding, balance));
        // 0003 opened a session for every register and put the lines journaled to it in it; later, the line named its own.
        Assert.NotNull(session);
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM account_offsets WHERE type = 'APPLY' AND amount_minor = -300"));

        // The old rows are the latest schema's rows: the sealer covers them and the verifier recomputes the seal.
        var sealedOnce = await LedgerSealer.SealAsync(connection, CancellationToken.None);
        Assert.NotEqual(SealOutcome.TransactionIdsBehind, sealedOnce.Outcome);
        var afterSeal = await LedgerVerifier.VerifyAsync(connection, CancellationToken.None);
        Assert.True(afterSeal.IsClean, string.Join("\n", afterSeal.Violations.Select(v => $"{v.Check}: {v.Detail}")));
    }

    /// <summary>
    /// Reference data, a patron owing 5.00 of which 3.00 was paid in cash at a register, in the columns
    /// <paramref name="version"/> has: nothing here may name a column or table a later migration added.
    /// </summary>
    static string RowsAt(int version) => $"""
        INSERT INTO installation (currency_code, currency_exponent, created_at) VALUES ('USD', 2, now());
        INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at) VALUES ('UPG', 'Upgrade branch', 'UTC', now(), now());
        INSERT INTO staff_users (user_uuid, username, password_hash, role, library_id, created_at, updated_at, password_changed_at)
        VALUES (gen_random_uuid(), 'upgrader', 'not-a-hash', 'manager', 'UPG', now(), now(), now());
        INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at) VALUES ('UPG-1', 'Upgrade', 'UPG', now(), now());
        INSERT INTO debit_types (code, description, created_at, updated_at) VALUES ('OVERDUE', 'Overdue fine', now(), now());
        INSERT INTO credit_types (code, description, can_be_added_manually, is_system, created_at, updated_at)
        VALUES ('PAYMENT', 'Payment', false, true, now(), now());
        INSERT INTO payment_types (code, payment_type_uuid, description, counts_as_cash, created_at, updated_at)
        VALUES ('CASH', gen_random_uuid(), 'Cash', true, now(), now());
        INSERT INTO cash_registers (name, library_id, starting_float_minor, library_default, created_at, updated_at)
        VALUES ('Desk', 'UPG', 1000, true, now(), now());
        {(version >= 3 ? """
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
            SELECT r.cash_register_id, 'open', r.starting_float_minor, now() FROM cash_registers r
            WHERE NOT EXISTS (SELECT 1 FROM register_sessions s WHERE s.cash_register_id = r.cash_register_id AND s.status = 'open');
            """ : "")}
        WITH debit AS (
            INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, library_id, user_id, interface, posted_at)
            SELECT patron_id, 'OVERDUE', 500, 200, 'UPG', (SELECT user_id FROM staff_users WHERE username = 'upgrader'), 'api', now()
            FROM patrons WHERE cardnumber = 'UPG-1'
            RETURNING account_line_id, patron_id
        ), payment AS (
            INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                       {(version >= 3 ? "register_session_id, " : "")}library_id, user_id, interface, posted_at)
            SELECT d.patron_id, 'PAYMENT', -300, 0, 'CASH', r.cash_register_id,
                   {(version >= 3 ? "(SELECT register_session_id FROM register_sessions s WHERE s.cash_register_id = r.cash_register_id AND s.status = 'open'), " : "")}
                   'UPG', (SELECT user_id FROM staff_users WHERE username = 'upgrader'), 'api', now()
            FROM debit d, cash_registers r WHERE r.name = 'Desk'
            RETURNING account_line_id
        )
        INSERT INTO account_offsets (debit_id, credit_id, type, amount_minor, created_at)
        SELECT account_line_id, NULL, 'CREATE', 500, now() FROM debit
        UNION ALL SELECT NULL, account_line_id, 'CREATE', -300, now() FROM payment
        UNION ALL SELECT d.account_line_id, p.account_line_id, 'APPLY', -300, now() FROM debit d, payment p;
        """;
}
