using Dapper;
using Fiscus.Ledger.Database;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// Money says who wrote it and is dated when it is written (migration 0010). Security review: working as the runtime role, a
/// 777.00 cash payout from an open session, dated ten months before the session opened and naming neither a user nor a
/// client, was accepted; it changed a closed day's report and showed in the live session. Each row is a statement sent as
/// the runtime role, with a fresh register whose session opened now; null: the database accepts it.
/// </summary>
public sealed class BackdatedLineTests(RuntimeRoleDatabase database) : IClassFixture<RuntimeRoleDatabase>
{
    const string Backdated = LedgerErrorCodes.Backdated;
    const string NoActor = PostgresErrorCodes.CheckViolation;

    /// <summary>A PAYOUT of 777.00 in cash from the register's open session, with its CREATE offset, as the review wrote it.</summary>
    static string Payout(string postedAt, string user = "NULL", string client = "NULL") => $"""
        WITH line AS (
            INSERT INTO account_lines (debit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id, register_session_id,
                                       user_id, api_client_id, interface, posted_at)
            VALUES ('PAYOUT', 77700, 77700, 'CASH', @register, @session, {user}, {client}, 'api', {postedAt})
            RETURNING account_line_id)
        INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 77700, now() FROM line
        """;

    /// <summary>A card payment taken off any register, by the tester.</summary>
    static string CardPayment(string postedAt) => $"""
        WITH line AS (
            INSERT INTO account_lines (credit_type_code, amount_minor, amount_outstanding_minor, payment_type, user_id, interface, posted_at)
            VALUES ('PAYMENT', -500, -500, 'CARD', @tester, 'api', {postedAt}) RETURNING account_line_id)
        INSERT INTO account_offsets (credit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', -500, now() FROM line
        """;

    const string HonestCashupOfNothing = """
        INSERT INTO cashups (cash_register_id, register_session_id, user_id, started_at) VALUES (@register, @session, @tester, now());
        UPDATE register_sessions SET status = 'closed', counting_started_at = now(), closed_at = now() WHERE register_session_id = @session;
        INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) VALUES (@register, 'open', 2000, now());
        """;

    public static TheoryData<string, string, string?> Statements => new()
    {
        { "the review's payout: dated 2026-01-15, by no one", Payout("'2026-01-15 12:00Z'"), Backdated },
        { "the payout by no one, dated now", Payout("now()"), NoActor },
        { "the payout by a user and a client at once", Payout("now()", "@tester", "@client"), NoActor },
        { "the payout by a user, dated 2026-01-15", Payout("'2026-01-15 12:00Z'", "@tester"), Backdated },
        { "the payout by a user, dated an hour ago", Payout("now() - interval '1 hour'", "@tester"), Backdated },
        { "a card payment off any register, dated yesterday", CardPayment("now() - interval '1 day'"), Backdated },
        { "a session of a new register opened on 2026-01-15", """
            WITH r AS (INSERT INTO cash_registers (name, library_id, created_at, updated_at)
                       VALUES (left(md5(random()::text), 20), 'MAIN', now(), now()) RETURNING cash_register_id)
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) SELECT cash_register_id, 'open', 0, '2026-01-15 12:00Z' FROM r
            """, Backdated },
        { "a session opening ten minutes before the last one stopped taking money", """
            INSERT INTO cashups (cash_register_id, register_session_id, user_id, started_at) VALUES (@register, @session, @tester, now());
            UPDATE register_sessions SET status = 'counting', counting_started_at = now() + interval '10 minutes' WHERE register_session_id = @session;
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at) VALUES (@register, 'open', 2000, now());
            """, Backdated },
        { "a cash-up completed on 2026-01-15", HonestCashupOfNothing
            + "UPDATE cashups SET completed_at = '2026-01-15 12:00Z', amount_minor = 0, summary = '{}' WHERE register_session_id = @session;", Backdated },
        { "a closed session's close moved back a day", HonestCashupOfNothing
            + "UPDATE cashups SET completed_at = now(), amount_minor = 0, summary = '{}' WHERE register_session_id = @session;"
            + "UPDATE register_sessions SET closed_at = closed_at - interval '1 day' WHERE register_session_id = @session;",
          LedgerErrorCodes.AppendOnlyViolation },
        // What Fiscus writes: its caller, and its time.
        { "the payout by a user, dated now", Payout("now()", "@tester"), null },
        { "a card payment by a user, dated a minute ago (clock skew)", CardPayment("now() - interval '1 minute'"), null },
        { "an honest cash-up of an empty session", HonestCashupOfNothing
            + "UPDATE cashups SET completed_at = now(), amount_minor = 0, summary = '{}' WHERE register_session_id = @session;", null },
    };

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task Money_is_dated_when_it_is_written_and_names_who_wrote_it(string what, string sql, string? refusal)
    {
        int register;
        long session;
        long client;
        await using (var owner = await database.Owner.OpenConnectionAsync())
        {
            (register, session) = await Tills.OpenAsync(owner);
            client = await owner.ExecuteScalarAsync<long>("""
                INSERT INTO api_clients (client_uuid, client_id, secret_hash, name, scopes, created_at, updated_at, secret_rotated_at)
                VALUES (gen_random_uuid(), md5(random()::text), sha256('x'), md5(random()::text), '{}', now(), now(), now()) RETURNING api_client_id
                """);
        }
        await using var runtime = await database.Runtime.OpenConnectionAsync();

        var error = await Record.ExceptionAsync(async () =>
        {
            await using var transaction = await runtime.BeginTransactionAsync();
            await runtime.ExecuteAsync(sql, new { register, session, client, tester = LedgerDatabase.TesterUserId }, transaction);
            await transaction.CommitAsync();
        });

        if (refusal is null)
        {
            Assert.True(error is null, $"{what}: {error?.Message}");
        }
        else
        {
            Assert.True(error is PostgresException postgres && postgres.SqlState == refusal, $"{what}: {error?.Message ?? "accepted"}");
        }
    }

    [Theory]
    [InlineData("1 minute", true)]
    [InlineData("1 hour", false)]
    public async Task A_line_is_never_dated_before_its_session_opened(string sessionOpensIn, bool accepted)
    {
        // A session opened by an instance of Fiscus whose clock is ahead of this writer's.
        int register;
        long session;
        await using (var owner = await database.Owner.OpenConnectionAsync())
        {
            (register, session) = await Tills.OpenAsync(owner, $"now() + interval '{sessionOpensIn}'");
        }
        await using var runtime = await database.Runtime.OpenConnectionAsync();

        var written = await Record.ExceptionAsync(() => runtime.ExecuteAsync(Payout("now()", "@tester"),
            new { register, session, tester = LedgerDatabase.TesterUserId }));

        if (accepted)
        {
            // Within the clocks' tolerance it is the session's: dated at its opening, never in the period before it.
            Assert.Null(written);
            Assert.True(await runtime.ExecuteScalarAsync<bool>("""
                SELECT l.posted_at = s.opened_at FROM account_lines l JOIN register_sessions s USING (register_session_id)
                WHERE l.register_session_id = @session
                """, new { session }));
        }
        else
        {
            Assert.Equal(Backdated, Assert.IsType<PostgresException>(written).SqlState);
        }
    }
}
