using Dapper;
using Fiscus.Ledger.Database;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// At commit, PostgreSQL checks every line a transaction touched: one CREATE offset, and an outstanding
/// amount equal to what its offsets say. A transaction that breaks that cannot commit.
/// </summary>
public sealed class LedgerConsistencyTests(LedgerDatabase database) : IClassFixture<LedgerDatabase>
{
    /// <summary>A debit of @patron paid in full by a payment of @payer: balanced when they are the same account.</summary>
    const string PaymentOfOneDebit = """
        WITH d AS (INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
                   VALUES (@patron, 'MANUAL', 500, 0, 1, 'api', now()) RETURNING account_line_id),
             c AS (INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, user_id, interface, posted_at)
                   VALUES (@payer, 'PAYMENT', -500, 0, 'CARD', 1, 'api', now()) RETURNING account_line_id)
        INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
        SELECT NULL, d.account_line_id, 'CREATE', 500, now() FROM d
        UNION ALL SELECT c.account_line_id, NULL, 'CREATE', -500, now() FROM c
        UNION ALL SELECT c.account_line_id, d.account_line_id, 'APPLY', -500, now() FROM c, d;
        """;

    public static TheoryData<string, string> BrokenTransactions => new()
    {
        { "a debit without its CREATE offset", """
            INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
            VALUES (@patron, 'MANUAL', 500, 500, 1, 'api', now())
            """ },
        { "a payment applied without an offset", """
            WITH d AS (INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
                       VALUES (@patron, 'MANUAL', 500, 500, 1, 'api', now()) RETURNING account_line_id)
            INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 500, now() FROM d;
            UPDATE account_lines SET amount_outstanding_minor = 0 WHERE account_line_id = currval('account_lines_account_line_id_seq');
            """ },
        { "an offset the lines do not reflect", """
            WITH d AS (INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
                       VALUES (@patron, 'MANUAL', 500, 500, 1, 'api', now()) RETURNING account_line_id),
                 c AS (INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, user_id, interface, posted_at)
                       VALUES (@patron, 'PAYMENT', -500, -500, 'CARD', 1, 'api', now()) RETURNING account_line_id)
            INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
            SELECT NULL, d.account_line_id, 'CREATE', 500, now() FROM d
            UNION ALL SELECT c.account_line_id, NULL, 'CREATE', -500, now() FROM c
            UNION ALL SELECT c.account_line_id, d.account_line_id, 'APPLY', -500, now() FROM c, d;
            """ },
        { "an application across two patrons' accounts", PaymentOfOneDebit },
    };

    [Theory]
    [MemberData(nameof(BrokenTransactions))]
    public async Task A_transaction_that_would_unbalance_the_ledger_cannot_commit(string what, string sql)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var (patron, other) = await PatronsAsync(connection);
        await using var transaction = await connection.BeginTransactionAsync();

        var error = await Record.ExceptionAsync(async () =>
        {
            await connection.ExecuteAsync(sql, new { patron, payer = other }, transaction);
            await transaction.CommitAsync();
        });

        var postgres = Assert.IsType<PostgresException>(error);
        Assert.True(postgres.SqlState == LedgerErrorCodes.LedgerInconsistent, $"{what}: {postgres.SqlState} {postgres.MessageText}");
    }

    [Fact]
    public async Task A_balanced_payment_commits()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var (patron, _) = await PatronsAsync(connection);
        await using var transaction = await connection.BeginTransactionAsync();

        // The control of the cross-account row above: the very same statements, with one account.
        await connection.ExecuteAsync(PaymentOfOneDebit, new { patron, payer = patron }, transaction);
        await transaction.CommitAsync();
    }

    static async Task<(long Patron, long Other)> PatronsAsync(NpgsqlConnection connection)
    {
        var ids = (await connection.QueryAsync<long>("""
            INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
            VALUES (left(md5(random()::text), 20), 'One', 'MAIN', now(), now()), (left(md5(random()::text), 20), 'Two', 'MAIN', now(), now())
            RETURNING patron_id
            """)).ToList();
        return (ids[0], ids[1]);
    }
}
