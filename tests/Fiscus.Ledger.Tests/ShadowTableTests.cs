using Dapper;
using Fiscus.Ledger.Database;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// The runtime role cannot answer the ledger's triggers itself. A table name in a plpgsql function is looked up in
/// pg_temp first unless the function fixes its search_path, so a temporary account_lines or payment_types would stand
/// in for the real one inside a trigger; and the frozen cash of a shift must be what its lines say, whoever writes it.
/// (Found by a hostile review of the database roles; each of these failed before migration 0008.)
/// </summary>
public sealed class ShadowTableTests(RuntimeRoleDatabase database) : IClassFixture<RuntimeRoleDatabase>
{
    [Fact]
    public async Task A_temporary_table_cannot_fool_the_commit_time_balance_check()
    {
        long debit;
        await using (var owner = await database.Owner.OpenConnectionAsync())
        {
            var patron = await owner.ExecuteScalarAsync<long>("""
                INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
                VALUES (left(md5(random()::text), 20), 'Shadow', 'MAIN', now(), now()) RETURNING patron_id
                """);
            debit = await owner.ExecuteScalarAsync<long>("""
                WITH line AS (
                    INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
                    VALUES (@patron, 'MANUAL', 500, 500, 1, 'api', now()) RETURNING account_line_id)
                INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 500, now() FROM line
                RETURNING debit_id
                """, new { patron });
        }
        await using var connection = await database.Runtime.OpenConnectionAsync();
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var transaction = await connection.BeginTransactionAsync();
            // Without TEMP on the database the role cannot even try; were it granted back, the fixed search_path still holds.
            await connection.ExecuteAsync("CREATE TEMP TABLE account_lines (LIKE public.account_lines) ON COMMIT DROP", transaction: transaction);
            await connection.ExecuteAsync("UPDATE public.account_lines SET amount_outstanding_minor = 0 WHERE account_line_id = @debit",
                new { debit }, transaction);
            await transaction.CommitAsync();
        });

        Assert.IsType<PostgresException>(error);
        Assert.Equal(500, await connection.ExecuteScalarAsync<long>(
            "SELECT amount_outstanding_minor FROM public.account_lines WHERE account_line_id = @debit", new { debit }));
    }

    [Fact]
    public async Task The_runtime_role_has_no_temporary_tables()
    {
        await using var connection = await database.Runtime.OpenConnectionAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT has_database_privilege(current_database(), 'TEMP')"));
    }

    [Fact]
    public async Task Every_trigger_function_reads_its_own_schema_whatever_the_callers_search_path()
    {
        await using var connection = await database.Owner.OpenConnectionAsync();
        var loose = await connection.QueryAsync<string>("""
            SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.pronamespace = current_schema()::regnamespace AND l.lanname = 'plpgsql'
              AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%' AND c LIKE '%pg\_temp')
            """);
        Assert.Empty(loose);
    }

    [Fact]
    public async Task Even_with_a_temporary_payment_types_a_cash_line_is_frozen_as_cash()
    {
        await using var owner = await database.Owner.OpenConnectionAsync();
        await using var transaction = await owner.BeginTransactionAsync();
        // The owner may create temporary tables, so it stands in for a role that still could.
        await owner.ExecuteAsync("""
            CREATE TEMP TABLE payment_types ON COMMIT DROP AS SELECT * FROM public.payment_types;
            UPDATE pg_temp.payment_types SET counts_as_cash = false WHERE code = 'CASH';
            SET LOCAL search_path = pg_temp, public;
            """, transaction: transaction);

        var countsAsCash = await owner.ExecuteScalarAsync<bool>("""
            INSERT INTO public.account_lines (credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                              register_session_id, user_id, interface, posted_at)
            SELECT 'PAID_IN', -500, -500, 'CASH', 1, register_session_id, 1, 'api', now()
            FROM public.register_sessions WHERE cash_register_id = 1 AND status = 'open'
            RETURNING counts_as_cash
            """, transaction: transaction);

        Assert.True(countsAsCash);
        await transaction.RollbackAsync();
    }

    /// <summary>What the runtime role may not insert, and the SQLSTATE it gets: the born-open triggers' FL001, or, for the columns
    /// that complete a cash-up or close a session (which it may not name in an INSERT at all), PostgreSQL's 42501.</summary>
    public static TheoryData<string, string, string> BornClosed => new()
    {
        { "a shift inserted already closed", """
            INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time, end_time, expected_cash_end_minor,
                                actual_cash_end_minor, ended_by_user_id, cash_in_minor, cash_out_minor, cash_payments_minor, cash_refunds_minor)
            SELECT gen_random_uuid(), user_id, 1, 'closed', 0, now() - interval '2 hours', now() - interval '1 hour', 500000, 500000, user_id,
                   0, 0, 500000, 0
            FROM staff_users LIMIT 1
            """, LedgerErrorCodes.AppendOnlyViolation },
        { "a cash-up inserted already completed", """
            INSERT INTO cashups (cash_register_id, register_session_id, started_at, completed_at, amount_minor, summary)
            SELECT cash_register_id, register_session_id, now(), now(), 123456, '{}'::jsonb FROM register_sessions WHERE status = 'open' LIMIT 1
            """, PostgresErrorCodes.InsufficientPrivilege },
        { "a register session inserted already closed", """
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at, counting_started_at, closed_at)
            VALUES (1, 'closed', 0, now(), now(), now())
            """, PostgresErrorCodes.InsufficientPrivilege },
        { "a count added to a completed cash-up", """
            INSERT INTO cashup_reconciliations (cashup_id, payment_type, expected_minor, counted_minor)
            SELECT cashup_id, 'CARD', 0, 0 FROM cashups WHERE completed_at IS NOT NULL LIMIT 1
            """, LedgerErrorCodes.AppendOnlyViolation },
    };

    [Theory]
    [MemberData(nameof(BornClosed))]
    public async Task Shifts_sessions_and_cash_ups_are_born_open_and_close_only_through_their_checks(string what, string sql, string refusal)
    {
        await using (var owner = await database.Owner.OpenConnectionAsync())
        {
            // A staff user to name (a cash-up names who counted it, migration 0014), and a completed cash-up (of a new register's empty session) to add to, as the owner makes
            // them: the session closes with its cash-up and the next one opens (migration 0010 checks that at commit).
            await using var transaction = await owner.BeginTransactionAsync();
            await owner.ExecuteAsync("""
                INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
                SELECT gen_random_uuid(), 'born' || left(md5(random()::text), 8), 'x', 'cashier', now(), now(), now();
                WITH r AS (INSERT INTO cash_registers (name, library_id, created_at, updated_at)
                           VALUES ('born' || left(md5(random()::text), 8), 'MAIN', now(), now()) RETURNING cash_register_id),
                     s AS (INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
                           SELECT cash_register_id, 'open', 0, now() FROM r RETURNING cash_register_id, register_session_id)
                INSERT INTO cashups (cash_register_id, register_session_id, user_id, started_at)
                SELECT cash_register_id, register_session_id, (SELECT max(user_id) FROM staff_users WHERE NOT is_service_user), now() FROM s;
                UPDATE register_sessions SET status = 'closed', counting_started_at = now(), closed_at = now()
                WHERE register_session_id = (SELECT max(register_session_id) FROM cashups);
                INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
                SELECT cash_register_id, 'open', 0, now() FROM cashups WHERE completed_at IS NULL;
                UPDATE cashups SET completed_at = now(), amount_minor = 0, summary = '{}'::jsonb WHERE completed_at IS NULL;
                """, transaction: transaction);
            await transaction.CommitAsync();
            Assert.True(await owner.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM cashups WHERE completed_at IS NOT NULL)"));
        }
        await using var runtime = await database.Runtime.OpenConnectionAsync();

        var error = await Record.ExceptionAsync(() => runtime.ExecuteAsync(sql));

        Assert.True(error is PostgresException postgres && postgres.SqlState == refusal, $"{what}: {error?.Message ?? "accepted"}");
    }

    [Fact]
    public async Task A_shift_cannot_be_closed_with_cash_its_lines_do_not_show()
    {
        await using var owner = await database.Owner.OpenConnectionAsync();
        var shift = await owner.ExecuteScalarAsync<Guid>("""
            WITH u AS (INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
                       VALUES (gen_random_uuid(), left(md5(random()::text), 12), 'x', 'cashier', now(), now(), now()) RETURNING user_id)
            INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time)
            SELECT gen_random_uuid(), user_id, 1, 'open', 10000, now() FROM u RETURNING shift_id
            """);
        // 40.00 paid out of the drawer during the shift.
        await owner.ExecuteAsync("""
            WITH line AS (
                INSERT INTO account_lines (debit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                           register_session_id, user_id, interface, posted_at)
                SELECT 'PAID_OUT', 4000, 4000, 'CASH', 1, register_session_id, 1, 'pos', now()
                FROM register_sessions WHERE cash_register_id = 1 AND status = 'open' RETURNING account_line_id)
            INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 4000, now() FROM line
            """);
        const string Close = """
            UPDATE shifts SET status = 'closed', end_time = now(), expected_cash_end_minor = @expected, actual_cash_end_minor = @expected,
                              ended_by_user_id = user_id, cash_in_minor = 0, cash_out_minor = @cashOut, cash_payments_minor = 0, cash_refunds_minor = 0
            WHERE shift_id = @shift
            """;
        await using var runtime = await database.Runtime.OpenConnectionAsync();

        var forged = await Record.ExceptionAsync(() => runtime.ExecuteAsync(Close, new { shift, expected = 10000L, cashOut = 0L }));

        Assert.Equal(Database.LedgerErrorCodes.AppendOnlyViolation, Assert.IsType<PostgresException>(forged).SqlState);
        Assert.Equal(1, await runtime.ExecuteAsync(Close, new { shift, expected = 6000L, cashOut = 4000L }));
    }
}
