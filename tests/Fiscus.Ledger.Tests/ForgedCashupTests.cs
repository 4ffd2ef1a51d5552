using Dapper;
using Fiscus.Ledger.Database;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// A cash-up closes its session only as the session's lines say, whoever writes it (migration 0010). Security review:
/// working as the runtime role, a cash-up of a register holding 50.00 of cash takings was completed as "CASH expected 0,
/// counted 0" with no deficit line, its session closed and the next opened, and the 50.00 left the books while `fiscus
/// verify` still found the ledger consistent. Each row is such a transaction, sent as the runtime role against a register
/// whose open session took 50.00 in cash; null: the database accepts it.
/// </summary>
public sealed class ForgedCashupTests(RuntimeRoleDatabase database) : IClassFixture<RuntimeRoleDatabase>
{
    const string DoesNotReconcile = LedgerErrorCodes.CashupDoesNotReconcile;

    /// <summary>The transaction the review sent, as it sent it (its register and session are this test's).</summary>
    const string ReviewersCashup = """
        INSERT INTO cashups (cash_register_id, register_session_id, user_id, started_at) VALUES (@register, @session, @tester, now());
        INSERT INTO cashup_reconciliations (cashup_id, payment_type, expected_minor, counted_minor)
          SELECT cashup_id, 'CASH', 0, 0 FROM cashups WHERE register_session_id = @session;
        UPDATE register_sessions SET status='closed', counting_started_at=now(), closed_at=now() WHERE register_session_id = @session;
        UPDATE cashups SET completed_at=now(), amount_minor=0, summary='{"expected_cash_in_drawer":20.0,"total":0,"bankable":0}' WHERE register_session_id = @session;
        INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) VALUES (@register,'open',2000,now());
        """;

    const string Start = "INSERT INTO cashups (cash_register_id, register_session_id, user_id, started_at) VALUES (@register, @session, @tester, now());";

    const string Close = """
        UPDATE register_sessions SET status = 'closed', counting_started_at = now(), closed_at = now() WHERE register_session_id = @session;
        INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) VALUES (@register, 'open', 2000, now());
        """;

    static string Count(long expected, long counted, string line = "NULL") => $"""
        INSERT INTO cashup_reconciliations (cashup_id, payment_type, expected_minor, counted_minor, account_line_id)
        SELECT cashup_id, 'CASH', {expected}, {counted}, {line} FROM cashups WHERE register_session_id = @session;
        """;

    static string Complete(long amount) =>
        $"UPDATE cashups SET completed_at = now(), amount_minor = {amount}, summary = '{{}}' WHERE register_session_id = @session;";

    /// <summary>A CASHUP_DEFICIT (positive) or CASHUP_SURPLUS (negative) line of the session, with its CREATE offset.</summary>
    static string Difference(long amount) => $"""
        WITH line AS (
            INSERT INTO account_lines (debit_type_code, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                       register_session_id, library_id, user_id, interface, description, posted_at)
            VALUES ({(amount > 0 ? "'CASHUP_DEFICIT'" : "NULL")}, {(amount > 0 ? "NULL" : "'CASHUP_SURPLUS'")}, {amount}, {amount}, 'CASH',
                    @register, @session, 'MAIN', @tester, 'api', 'counted', now())
            RETURNING account_line_id)
        INSERT INTO account_offsets (debit_id, credit_id, type, amount_minor, created_at)
        SELECT CASE WHEN {amount} > 0 THEN account_line_id END, CASE WHEN {amount} < 0 THEN account_line_id END, 'CREATE', {amount}, now() FROM line;
        """;

    const string LastDifference =
        "(SELECT max(account_line_id) FROM account_lines WHERE register_session_id = @session AND COALESCE(debit_type_code, credit_type_code) LIKE 'CASHUP%')";

    public static TheoryData<string, string, string?> Transactions => new()
    {
        { "the review's cash-up: CASH expected 0, counted 0, no deficit", ReviewersCashup, DoesNotReconcile },
        { "the takings counted as expected, but only 0 cashed up", Start + Count(5000, 5000) + Close + Complete(0), DoesNotReconcile },
        { "CASH moved through the drawer and was not counted", Start + Close + Complete(5000), DoesNotReconcile },
        { "10.00 short, recorded by a deficit line of 1.00", Start + Difference(100) + Count(5000, 4000, LastDifference) + Close + Complete(4900),
          DoesNotReconcile },
        { "counted as expected, with a deficit line no count names", Start + Difference(5000) + Count(5000, 5000) + Close + Complete(0),
          DoesNotReconcile },
        { "a completed cash-up of a session left open", Start + Count(5000, 5000) + Complete(5000), DoesNotReconcile },
        { "a session closed with no cash-up at all", Close, DoesNotReconcile },
        { "a session sent to counting with no cash-up", """
            UPDATE register_sessions SET status = 'counting', counting_started_at = now() WHERE register_session_id = @session;
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) VALUES (@register, 'open', 2000, now());
            """, DoesNotReconcile },
        { "a surplus line in a session nobody is cashing up", Difference(-5000), DoesNotReconcile },
        // The same by hand, done right: the database does not stand in the way of an honest count.
        { "an honest cash-up, 10.00 short", Start + Difference(1000) + Count(5000, 4000, LastDifference) + Close + Complete(4000), null },
        { "an honest cash-up, 2.50 over", Start + Difference(-250) + Count(5000, 5250, LastDifference) + Close + Complete(5250), null },
    };

    [Theory]
    [MemberData(nameof(Transactions))]
    public async Task A_cash_up_completes_only_as_its_session_lines_say(string what, string sql, string? refusal)
    {
        long session;
        int register;
        await using (var owner = await database.Owner.OpenConnectionAsync())
        {
            (register, session) = await Tills.OpenAsync(owner);
            await Tills.SellAsync(owner, register, session, 5000);
        }
        await using var runtime = await database.Runtime.OpenConnectionAsync();

        var error = await Record.ExceptionAsync(async () =>
        {
            await using var transaction = await runtime.BeginTransactionAsync();
            await runtime.ExecuteAsync(sql, new { register, session, tester = LedgerDatabase.TesterUserId }, transaction);
            await transaction.CommitAsync();
        });

        if (refusal is null)
        {
            Assert.True(error is null, $"{what}: {error?.Message}");
            Assert.Equal("closed", await runtime.ExecuteScalarAsync<string>(
                "SELECT status FROM register_sessions WHERE register_session_id = @session", new { session }));
        }
        else
        {
            Assert.True(error is PostgresException postgres && postgres.SqlState == refusal, $"{what}: {error?.Message ?? "accepted"}");
            // Nothing of it stayed: the session still holds the 50.00, open.
            Assert.Equal(("open", 0L), await runtime.QuerySingleAsync<(string, long)>("""
                SELECT status, (SELECT count(*) FROM cashups WHERE register_session_id = @session) FROM register_sessions WHERE register_session_id = @session
                """, new { session }));
        }
    }

    [Fact]
    public async Task A_register_session_is_born_open_even_for_the_owner()
    {
        await using var owner = await database.Owner.OpenConnectionAsync();
        var (register, _) = await Tills.OpenAsync(owner);

        var error = await Record.ExceptionAsync(() => owner.ExecuteAsync("""
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at, counting_started_at, closed_at)
            VALUES (@register, 'closed', 0, now(), now(), now())
            """, new { register }));

        Assert.Equal(LedgerErrorCodes.AppendOnlyViolation, Assert.IsType<PostgresException>(error).SqlState);
    }
}
