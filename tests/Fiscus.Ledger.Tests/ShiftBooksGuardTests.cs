using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// What a register's books said its drawer held when a shift started is the database's word, not the writer's (migration
/// 0011): the runtime role cannot start a shift from books of its own making nor change them afterwards, and the figure
/// waits for money on its way into the drawer.
/// </summary>
public sealed class ShiftBooksGuardTests(RuntimeRoleDatabase database) : IClassFixture<RuntimeRoleDatabase>
{
    /// <summary>A register of its own with a 100.00 float, 14.00 paid into its drawer, and a cashier: the books hold 114.00.</summary>
    async Task<(int Register, long Session, long PaidIn, long User)> DrawerAsync()
    {
        await using var owner = await database.Owner.OpenConnectionAsync();
        var (register, session) = await owner.QuerySingleAsync<(int, long)>("""
            WITH r AS (INSERT INTO cash_registers (name, library_id, starting_float_minor, created_at, updated_at)
                       VALUES ('Books ' || left(md5(random()::text), 12), 'MAIN', 10000, now(), now()) RETURNING cash_register_id)
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
            SELECT cash_register_id, 'open', 10000, now() FROM r RETURNING cash_register_id, register_session_id
            """);
        var paidIn = await PayInAsync(owner, null, register, session, 1400);
        var user = await owner.ExecuteScalarAsync<long>("""
            INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
            VALUES (gen_random_uuid(), 'books' || left(md5(random()::text), 8), 'x', 'cashier', now(), now(), now()) RETURNING user_id
            """);
        return (register, session, paidIn, user);
    }

    static Task<long> PayInAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, int register, long session, long amountMinor) =>
        connection.ExecuteScalarAsync<long>("""
            WITH line AS (
                INSERT INTO account_lines (credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                           register_session_id, user_id, interface, posted_at)
                VALUES ('PAID_IN', -@amountMinor, -@amountMinor, 'CASH', @register, @session, @tester, 'pos', now()) RETURNING account_line_id)
            INSERT INTO account_offsets (credit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', -@amountMinor, now() FROM line
            RETURNING credit_id
            """, new { register, session, amountMinor, tester = LedgerDatabase.TesterUserId }, transaction);

    /// <summary>The runtime role starting a shift and claiming the drawer held nothing: the database says what it held.</summary>
    const string StartClaimingAnEmptyDrawer = """
        INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time,
                            books_cash_start_minor, books_register_session_id, books_through_line_id)
        VALUES (gen_random_uuid(), @user, @register, 'open', 0, now(), 0, @session, NULL)
        RETURNING shift_id, books_cash_start_minor, books_register_session_id, books_through_line_id
        """;

    [Fact]
    public async Task The_runtime_role_cannot_start_a_shift_from_books_of_its_own_making()
    {
        var (register, session, paidIn, user) = await DrawerAsync();
        await using var runtime = await database.Runtime.OpenConnectionAsync();

        var (shift, books, booksSession, through) = await runtime.QuerySingleAsync<(Guid, long, long, long?)>(
            StartClaimingAnEmptyDrawer, new { user, register, session });

        Assert.Equal((11400L, session, (long?)paidIn), (books, booksSession, through));
        // Nor change them afterwards: the column is not the runtime role's to update, and not even the owner's (the shift guard).
        var update = await Record.ExceptionAsync(() => runtime.ExecuteAsync(
            "UPDATE shifts SET books_cash_start_minor = 0 WHERE shift_id = @shift", new { shift }));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, Assert.IsType<PostgresException>(update).SqlState);
        await using var owner = await database.Owner.OpenConnectionAsync();
        var guarded = await Record.ExceptionAsync(() => owner.ExecuteAsync(
            "UPDATE shifts SET books_cash_start_minor = 0, books_through_line_id = NULL WHERE shift_id = @shift", new { shift }));
        Assert.Equal(Database.LedgerErrorCodes.AppendOnlyViolation, Assert.IsType<PostgresException>(guarded).SqlState);
        Assert.Equal(11400L, await runtime.ExecuteScalarAsync<long>("SELECT books_cash_start_minor FROM shifts WHERE shift_id = @shift", new { shift }));
    }

    public static TheoryData<string, string, string> Forged => new()
    {
        { "a figure the lines do not give", "UPDATE shifts SET books_cash_start_minor = 0 WHERE shift_id = @shift",
          "shifts started from the books their register held" },
        { "books read after the shift's own cash", "UPDATE shifts SET books_through_line_id = @own WHERE shift_id = @shift",
          "a shift's lines come after the books it started from" },
    };

    /// <summary>`fiscus verify` recomputes the stamped books from the lines, behind the triggers' backs (a superuser's edit).</summary>
    [Theory]
    [MemberData(nameof(Forged))]
    public async Task Verify_recomputes_a_shifts_books_from_the_lines(string what, string sql, string check)
    {
        var (register, session, _, user) = await DrawerAsync();
        await using var runtime = await database.Runtime.OpenConnectionAsync();
        var (shift, _, _, _) = await runtime.QuerySingleAsync<(Guid, long, long, long?)>(StartClaimingAnEmptyDrawer, new { user, register, session });
        var own = await PayInAsync(runtime, null, register, session, 300);
        await using var owner = await database.Owner.OpenConnectionAsync();
        Assert.Equal(shift, await owner.ExecuteScalarAsync<Guid>("SELECT shift_id FROM account_lines WHERE account_line_id = @own", new { own }));
        Assert.DoesNotContain((await Verification.LedgerVerifier.VerifyAsync(owner, CancellationToken.None)).Violations,
            v => v.Detail.Contains(shift.ToString(), StringComparison.Ordinal));

        await owner.ExecuteAsync($"SET session_replication_role = replica; {sql}; RESET session_replication_role;", new { shift, own });

        var violations = (await Verification.LedgerVerifier.VerifyAsync(owner, CancellationToken.None)).Violations
            .Where(v => v.Detail.Contains(shift.ToString(), StringComparison.Ordinal));
        Assert.True(violations.Any(v => v.Check == check), $"{what}: {string.Join("; ", violations)}");
    }

    [Fact]
    public async Task The_books_wait_for_money_on_its_way_into_the_drawer()
    {
        var (register, session, _, user) = await DrawerAsync();
        await using var till = await database.Runtime.OpenConnectionAsync();
        await using var sale = await till.BeginTransactionAsync();
        // As every writer does (RegisterSessions.LockOpenForJournalAsync): the open session share-locked, then the line.
        await till.ExecuteAsync("SELECT 1 FROM register_sessions WHERE register_session_id = @session FOR SHARE", new { session }, sale);
        var inFlight = await PayInAsync(till, sale, register, session, 600);

        await using var cashier = await database.Runtime.OpenConnectionAsync();
        var start = cashier.QuerySingleAsync<(Guid, long, long, long?)>(StartClaimingAnEmptyDrawer, new { user, register, session });
        await Task.Delay(500);
        Assert.False(start.IsCompleted, "the shift started from books that did not wait for the line in flight");
        await sale.CommitAsync();
        var (_, books, _, through) = await start;

        Assert.Equal((12000L, (long?)inFlight), (books, through));
    }
}
