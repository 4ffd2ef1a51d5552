using System.Text.RegularExpressions;
using Dapper;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Registers;
using Fiscus.Ledger.Verification;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// `fiscus verify` recomputes every cash-up and session from the lines, so what migration 0010 refuses is found even where it
/// was written around the triggers (by the owner with triggers off, or before the migration). Each row plants one forgery with
/// every trigger off, as only a superuser can, and names the check that must report it.
/// </summary>
public sealed class CashupVerifierTests(LedgerDatabase database) : IClassFixture<LedgerDatabase>
{
    const string CashupCountsLines = "completed cash-ups count what their session's lines say";

    const string Start = "INSERT INTO cashups (cash_register_id, register_session_id, user_id, started_at) VALUES (@register, @session, @tester, now());";

    const string Close = """
        UPDATE register_sessions SET status = 'closed', counting_started_at = now(), closed_at = now() WHERE register_session_id = @session;
        INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) VALUES (@register, 'open', 2000, now());
        """;

    const string CountedAsExpected = """
        INSERT INTO cashup_reconciliations (cashup_id, payment_type, expected_minor, counted_minor)
        SELECT cashup_id, 'CASH', 5000, 5000 FROM cashups WHERE register_session_id = @session;
        """;

    static string Complete(long amount) =>
        $"UPDATE cashups SET completed_at = now(), amount_minor = {amount}, summary = '{{}}' WHERE register_session_id = @session;";

    static string Payout(string postedAt, string user) => $"""
        WITH line AS (
            INSERT INTO account_lines (debit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id, register_session_id,
                                       user_id, interface, posted_at)
            VALUES ('PAYOUT', 77700, 77700, 'CASH', @register, @session, {user}, 'api', {postedAt}) RETURNING account_line_id)
        INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 77700, now() FROM line;
        """;

    public static TheoryData<string, string, string> Forgeries => new()
    {
        { "the review's cash-up: CASH expected 0, counted 0", Start + """
            INSERT INTO cashup_reconciliations (cashup_id, payment_type, expected_minor, counted_minor)
            SELECT cashup_id, 'CASH', 0, 0 FROM cashups WHERE register_session_id = @session;
            """ + Close + Complete(0), CashupCountsLines },
        { "cash that moved and was not counted", Start + Close + Complete(5000), CashupCountsLines },
        { "a session closed with no cash-up", Close, "register sessions are counted and closed by one cash-up" },
        { "a completed cash-up of a session left open", Start + CountedAsExpected + Complete(5000), "register sessions are counted and closed by one cash-up" },
        { "a made-up amount", Start + CountedAsExpected + Close + Complete(0), "cash-up amounts are what their session took" },
        { "a deficit line no count names", Start + """
            WITH line AS (
                INSERT INTO account_lines (debit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id, register_session_id,
                                           user_id, interface, posted_at)
                VALUES ('CASHUP_DEFICIT', 5000, 5000, 'CASH', @register, @session, @tester, 'api', now()) RETURNING account_line_id)
            INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 5000, now() FROM line;
            """ + CountedAsExpected + Close + Complete(0), "cash-up differences are the surplus and deficit lines of their session" },
        { "the review's payout, dated 2026-01-15", Payout("'2026-01-15 12:00Z'", "@tester"), "register lines are not dated before their session opened" },
        { "a payout by no one", """
            ALTER TABLE account_lines DROP CONSTRAINT account_lines_has_actor;
            """ + Payout("now()", "NULL") + """
            ALTER TABLE account_lines ADD CONSTRAINT account_lines_has_actor CHECK ((user_id IS NULL) <> (api_client_id IS NULL)) NOT VALID;
            """, "lines say who wrote them" },
        { "a session opened before the one before it stopped taking money", Start + """
            UPDATE register_sessions SET status = 'counting', counting_started_at = now() WHERE register_session_id = @session;
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) VALUES (@register, 'open', 2000, now() - interval '1 day');
            UPDATE register_sessions SET counting_started_at = now() + interval '1 hour' WHERE register_session_id = @session;
            """, "register session times run in order" },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task The_verifier_reports_a_forgery_written_around_the_triggers(string what, string sql, string check)
    {
        await using var owner = await database.DataSource.OpenConnectionAsync();
        var (register, session) = await Tills.OpenAsync(owner);
        await Tills.SellAsync(owner, register, session, 5000);
        await using (var transaction = await owner.BeginTransactionAsync())
        {
            await owner.ExecuteAsync("SET LOCAL session_replication_role = replica", transaction: transaction);
            await owner.ExecuteAsync(sql, new { register, session, tester = LedgerDatabase.TesterUserId }, transaction);
            await transaction.CommitAsync();
        }

        var report = await LedgerVerifier.VerifyAsync(owner, CancellationToken.None);

        var mine = await MentionsAsync(owner, register);
        Assert.True(report.Violations.Any(v => v.Check == check && mine.IsMatch(v.Detail)),
            $"{what}: expected '{check}' about register {register}; the verifier said: {string.Join("; ", report.Violations.Select(v => $"{v.Check}: {v.Detail}"))}");
    }

    [Fact]
    public async Task A_cash_up_made_by_Fiscus_passes_and_its_summary_cannot_be_edited_unnoticed()
    {
        await using var owner = await database.DataSource.OpenConnectionAsync();
        var (register, session) = await Tills.OpenAsync(owner);
        await Tills.SellAsync(owner, register, session, 5000);
        await Tills.SellAsync(owner, register, session, 700, "CARD");
        await CashUpAsync(register, new CashupCommand([new("CASH", 4000, "short"), new("CARD", 700, null)], null, false));
        var mine = await MentionsAsync(owner, register);

        Assert.DoesNotContain((await LedgerVerifier.VerifyAsync(owner, CancellationToken.None)).Violations, v => mine.IsMatch(v.Detail));

        // What the drawer should have held, as shown to whoever reads the cash-up, edited behind the triggers' back.
        await owner.ExecuteAsync($$"""
            SET session_replication_role = replica;
            UPDATE cashups SET summary = jsonb_set(summary, '{{{nameof(SessionSummary.ExpectedCashInDrawerMinor)}}}', '2000') WHERE register_session_id = @session;
            SET session_replication_role = origin;
            """, new { session });
        var edited = await LedgerVerifier.VerifyAsync(owner, CancellationToken.None);
        Assert.Equal(new[] { "frozen cash-up summaries show what their session's lines say" },
            edited.Violations.Where(v => mine.IsMatch(v.Detail)).Select(v => v.Check));
    }

    /// <summary>What a violation about this register says: one of its sessions, cash-ups or lines.</summary>
    static async Task<Regex> MentionsAsync(NpgsqlConnection connection, int register)
    {
        var ids = await connection.QuerySingleAsync<(long[] Sessions, long[] Cashups, long[] Lines)>("""
            SELECT ARRAY(SELECT register_session_id FROM register_sessions WHERE cash_register_id = @register),
                   ARRAY(SELECT cashup_id FROM cashups WHERE cash_register_id = @register),
                   ARRAY(SELECT account_line_id FROM account_lines WHERE cash_register_id = @register)
            """, new { register });
        var alternatives = ids.Sessions.Select(id => $@"register session {id}\b")
            .Concat(ids.Cashups.Select(id => $@"cash-up {id}\b"))
            .Concat(ids.Lines.Select(id => $@"^line {id}:"));
        return new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    /// <summary>A cash-up as Fiscus makes one, by the tester with a manager's scopes.</summary>
    Task CashUpAsync(int register, CashupCommand command) =>
        Database.Transactions.RunAsync(database.DataSource, async (connection, transaction) =>
        {
            var actor = new LedgerActor(LedgerDatabase.TesterUserId, null, "api", "MAIN", Binding.None,
                new HashSet<string>([Scopes.CashupsWrite, Scopes.RefundsWrite], StringComparer.Ordinal));
            var outcome = await Cashups.CompleteAsync(connection, transaction, register, command, actor, DateTimeOffset.UtcNow, CancellationToken.None);
            Assert.Null(outcome.Failure);
            return outcome.Value;
        }, CancellationToken.None);
}
