using System.Globalization;
using Dapper;
using Fiscus.Ledger.Accounts;
using Npgsql;

namespace Fiscus.Ledger.Shifts;

/// <param name="BooksCashStartMinor">
/// What the register's books said the drawer held when the shift started (stamped by the database, migration 0011);
/// null for shifts started before that.
/// </param>
public sealed record Shift(
    Guid ShiftId, long UserId, Guid UserUuid, string Username, int CashRegisterId, string LibraryId, string Status, long StartCashMinor,
    DateTime StartTime, DateTime? EndTime, long? ExpectedCashEndMinor, long? ActualCashEndMinor, long? EndedByUserId, long? CashInMinor,
    long? CashOutMinor, long? CashPaymentsMinor, long? CashRefundsMinor, long? BooksCashStartMinor)
{
    public const string Select = """
        SELECT s.shift_id, s.user_id, u.user_uuid, u.username, s.cash_register_id, r.library_id, s.status, s.start_cash_minor, s.start_time,
               s.end_time, s.expected_cash_end_minor, s.actual_cash_end_minor, s.ended_by_user_id, s.cash_in_minor, s.cash_out_minor,
               s.cash_payments_minor, s.cash_refunds_minor, s.books_cash_start_minor
        FROM shifts s JOIN staff_users u ON u.user_id = s.user_id JOIN cash_registers r ON r.cash_register_id = s.cash_register_id
        """;

    public long? DifferenceMinor => ActualCashEndMinor - ExpectedCashEndMinor;

    public ShiftBooks Books => new(StartCashMinor, BooksCashStartMinor, ExpectedCashEndMinor, ActualCashEndMinor);

    /// <summary>A closed shift's cash as frozen at its end; null while open (compute it from its lines).</summary>
    public ShiftCash? FrozenCash => Status == "closed" ? new(CashInMinor!.Value, CashOutMinor!.Value, CashPaymentsMinor!.Value, CashRefundsMinor!.Value) : null;
}

/// <summary>
/// The cash a shift moved through its drawer, from the lines stamped with it that counted as cash when they
/// were written: paid in and out of the drawer, taken (payments, sales, intake) and given back (refunds,
/// payouts, voids), by whoever used the drawer while the shift was open.
/// </summary>
public sealed record ShiftCash(long CashInMinor, long CashOutMinor, long CashPaymentsMinor, long CashRefundsMinor)
{
    public static readonly ShiftCash None = new(0, 0, 0, 0);

    public long ExpectedMinor(long startCashMinor) => startCashMinor + CashInMinor - CashOutMinor + CashPaymentsMinor - CashRefundsMinor;
}

/// <summary>
/// A shift against the register's books: the start cash its cashier declared beside what the books said the drawer held
/// (the opening difference), and at the end the count beside what the books say the drawer should hold then. Every
/// money line journaled to the register while the shift is open is the shift's (migration 0011 says why), so the books
/// at the end are the books at the start moved by the shift's own cash: the expected cash end, less the start cash,
/// plus the books' start. Hence books difference = opening difference + difference. All null for a shift started
/// before the books were recorded; the end figures null while the shift is open.
/// </summary>
public sealed record ShiftBooks(long StartCashMinor, long? BooksCashStartMinor, long? ExpectedCashEndMinor, long? ActualCashEndMinor)
{
    /// <summary>Start cash minus the books: negative when the cashier declared less than the drawer should have held.</summary>
    public long? OpeningDifferenceMinor => StartCashMinor - BooksCashStartMinor;

    public long? BooksCashEndMinor => BooksCashStartMinor + (ExpectedCashEndMinor - StartCashMinor);

    /// <summary>The count at the end minus what the books say the drawer should hold then.</summary>
    public long? BooksDifferenceMinor => ActualCashEndMinor - BooksCashEndMinor;
}

public sealed record CashTransaction(
    Guid CashTransactionId, Guid ShiftId, long AccountLineId, string Type, long AmountMinor, string Category, string? Description,
    Guid UserUuid, DateTime CreatedAt);

/// <summary>
/// Cashier shifts. One open shift per staff member and per register (the database's unique indexes). Money
/// journaled to a register while a shift is open there is stamped with the shift by a trigger under a share
/// lock on it; ending the shift takes the row's exclusive lock, so it waits for lines on their way in, and the
/// expected cash it freezes is exactly what the shift's lines say.
/// </summary>
public static class CashierShifts
{
    public const string CashIn = "cash_in";
    public const string CashOut = "cash_out";
    public const int MaxCategoryLength = 50;

    /// <summary>The categories POS Kasir documents; any other text up to 50 characters is accepted as well.</summary>
    public static readonly IReadOnlyList<string> KnownCategories = ["expense", "drop", "refund", "other", "opening", "deposit"];

    /// <summary>The payment type cash in and out of the drawer is journaled with.</summary>
    public const string CashPaymentType = "CASH";

    public static async Task<Outcome<Shift>> StartAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long userId, string? userLibraryId, int? cashRegisterId,
        long startCashMinor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var register = await RegisterForAsync(connection, transaction, userLibraryId, cashRegisterId, cancellationToken);
        if (register.Failure is { } failure)
        {
            return failure;
        }
        var registerId = register.Value;
        // Checked here for a clear answer; the unique indexes decide between two starts racing past it (also a 409).
        var open = (await connection.QueryAsync<(long UserId, string Username)>(new CommandDefinition("""
            SELECT s.user_id, u.username FROM shifts s JOIN staff_users u USING (user_id)
            WHERE s.status = 'open' AND (s.user_id = @userId OR s.cash_register_id = @registerId)
            """, new { userId, registerId }, transaction, cancellationToken: cancellationToken))).AsList();
        if (open.Any(s => s.UserId == userId))
        {
            return AlreadyOpen;
        }
        if (open.Count > 0)
        {
            return Failure.Conflict("register_in_use", Invariant($"Register {registerId} is in {open[0].Username}'s open shift: one drawer, one shift."));
        }
        // Whatever start cash is declared is taken: a count that differs from the books is a fact to record, not to refuse
        // (refusing it would push the cashier to declare the books' figure and hide the difference). The database stamps
        // the books' figure on the row (migration 0011), waiting for money on its way into the drawer, and the answer
        // shows the opening difference; the cash out cap never trusts the start cash alone (CashInDrawerAsync).
        var shiftId = Guid.CreateVersion7(now);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time)
            VALUES (@shiftId, @userId, @registerId, 'open', @startCashMinor, @now)
            """, new { shiftId, userId, registerId, startCashMinor, now }, transaction, cancellationToken: cancellationToken));
        return (await FindAsync(connection, transaction, shiftId, cancellationToken))!;
    }

    /// <summary>
    /// Pays cash into or out of the drawer of the caller's open shift: a PAID_IN credit or PAID_OUT debit on its register.
    /// Cash out is money leaving a drawer, so it needs refunds:write (as a refund or a payout does) and no more than the
    /// drawer should hold.
    /// </summary>
    public static async Task<Outcome<CashTransaction>> AddCashAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string type, long amountMinor, string category, string? description,
        LedgerActor actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        now = Timestamps.ToDatabasePrecision(now);
        var paidIn = type == CashIn;
        if (!paidIn && actor.Require(Access.Scopes.RefundsWrite, "Cash paid out of a drawer") is { } forbidden)
        {
            return forbidden;
        }
        // Share-locked: the shift cannot end between this check and the line that the trigger stamps with it. Cash out
        // takes the row for itself, so two cash-outs cannot both see the same cash in the drawer (lines on their way in
        // share-lock it too, and are waited for).
        var shift = await connection.QuerySingleOrDefaultAsync<(Guid ShiftId, int CashRegisterId, string LibraryId, bool Archived, Guid UserUuid, long StartCashMinor)?>(
            new CommandDefinition($"""
                SELECT s.shift_id, s.cash_register_id, r.library_id, r.archived, u.user_uuid, s.start_cash_minor
                FROM shifts s JOIN cash_registers r USING (cash_register_id) JOIN staff_users u USING (user_id)
                WHERE s.user_id = @UserId AND s.status = 'open'
                FOR {(paidIn ? "SHARE" : "NO KEY UPDATE")} OF s
                """, new { actor.UserId }, transaction, cancellationToken: cancellationToken));
        if (shift is not { } open)
        {
            return NoOpenShift();
        }
        if (open.Archived)
        {
            return Failure.Conflict("register_archived", Invariant($"The shift's register {open.CashRegisterId} has been archived."));
        }
        if (!paidIn && await CashInDrawerAsync(connection, transaction, open.ShiftId, open.StartCashMinor, open.CashRegisterId, cancellationToken) is var inDrawer
            && amountMinor > inDrawer)
        {
            return Failure.Conflict("insufficient_cash",
                Invariant($"The drawer should hold {inDrawer} minor units; {amountMinor} cannot be paid out of it."));
        }
        var references = new LedgerReferences(connection, transaction, cancellationToken);
        var cash = await references.PaymentTypeAsync(CashPaymentType, "type");
        if (cash.Failure is { } cashFailure)
        {
            return cashFailure;
        }
        var writer = new LedgerWriter(connection, transaction, actor, now, cancellationToken);
        var line = await writer.AddLineAsync(new NewLine
        {
            CreditTypeCode = paidIn ? LineTypes.PaidIn : null,
            DebitTypeCode = paidIn ? null : LineTypes.PaidOut,
            AmountMinor = paidIn ? -amountMinor : amountMinor,
            PaymentType = cash.Value!.Code,
            CashRegisterId = open.CashRegisterId,
            LibraryId = open.LibraryId,
            Description = description ?? Invariant($"{(paidIn ? "Cash in" : "Cash out")}: {category}"),
        });
        var id = Guid.CreateVersion7(now);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO shift_cash_transactions (cash_transaction_id, shift_id, account_line_id, type, category, description, user_id, created_at)
            VALUES (@id, @ShiftId, @AccountLineId, @type, @category, @description, @UserId, @now)
            """, new { id, open.ShiftId, line.AccountLineId, type, category, description, actor.UserId, now }, transaction,
            cancellationToken: cancellationToken));
        return new CashTransaction(id, open.ShiftId, line.AccountLineId, type, amountMinor, category, description, open.UserUuid, now.UtcDateTime);
    }

    /// <summary>
    /// The most a drawer can give: what the shift expects (from the start cash its cashier declared) and what the
    /// register's ledger says is in it, whichever is less, so an inflated start cash pays nothing out. Read under the
    /// shift's row lock, which every money line journaled to the register while the shift is open also takes.
    /// </summary>
    static async Task<long> CashInDrawerAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid shiftId, long startCashMinor, int cashRegisterId,
        CancellationToken cancellationToken)
    {
        var shift = (await CashOfAsync(connection, transaction, shiftId, cancellationToken)).ExpectedMinor(startCashMinor);
        var session = await Registers.RegisterSessions.FindAsync(connection, transaction, cashRegisterId, "open", cancellationToken);
        var ledger = session is null ? 0
            : (await Registers.SessionSummary.ComputeAsync(connection, transaction, session, cancellationToken)).ExpectedCashInDrawerMinor;
        return Math.Min(shift, ledger);
    }

    /// <summary>
    /// Ends a shift with the cash counted in its drawer: the caller's own open shift, or (a manager closing a shift
    /// left open) the one named. The expected cash is frozen from the shift's lines once no more can arrive.
    /// </summary>
    public static async Task<Outcome<(Shift Shift, ShiftCash Cash)>> EndAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long endedByUserId, Guid? shiftId, long actualCashMinor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var locked = await connection.QuerySingleOrDefaultAsync<(Guid ShiftId, long StartCashMinor)?>(new CommandDefinition($"""
            SELECT shift_id, start_cash_minor FROM shifts
            WHERE status = 'open' AND {(shiftId is null ? "user_id = @endedByUserId" : "shift_id = @shiftId")}
            FOR UPDATE
            """, new { endedByUserId, shiftId }, transaction, cancellationToken: cancellationToken));
        if (locked is not { } open)
        {
            return shiftId is null ? NoOpenShift() : Failure.NotFound("no_open_shift", Invariant($"There is no open shift {shiftId}."));
        }
        var cash = await CashOfAsync(connection, transaction, open.ShiftId, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE shifts SET status = 'closed', end_time = @now, expected_cash_end_minor = @expected, actual_cash_end_minor = @actualCashMinor,
                              ended_by_user_id = @endedByUserId, cash_in_minor = @CashInMinor, cash_out_minor = @CashOutMinor,
                              cash_payments_minor = @CashPaymentsMinor, cash_refunds_minor = @CashRefundsMinor
            WHERE shift_id = @ShiftId
            """, new
            {
                now, expected = cash.ExpectedMinor(open.StartCashMinor), actualCashMinor, endedByUserId, open.ShiftId, cash.CashInMinor,
                cash.CashOutMinor, cash.CashPaymentsMinor, cash.CashRefundsMinor,
            }, transaction, cancellationToken: cancellationToken));
        return ((await FindAsync(connection, transaction, open.ShiftId, cancellationToken))!, cash);
    }

    public static Task<Shift?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid shiftId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Shift>(new CommandDefinition(Shift.Select + " WHERE s.shift_id = @shiftId", new { shiftId }, transaction,
            cancellationToken: cancellationToken));

    public static Task<Shift?> OpenOfAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long userId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Shift>(new CommandDefinition(Shift.Select + " WHERE s.user_id = @userId AND s.status = 'open'",
            new { userId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The cash the shift has moved so far (or moved, once closed).</summary>
    public static async Task<ShiftCash> CashOfAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid shiftId, CancellationToken cancellationToken) =>
        (await CashOfAsync(connection, transaction, [shiftId], cancellationToken)).GetValueOrDefault(shiftId, ShiftCash.None);

    public static async Task<Dictionary<Guid, ShiftCash>> CashOfAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid[] shiftIds, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<(Guid ShiftId, long CashIn, long CashOut, long Payments, long Refunds)>(new CommandDefinition("""
            SELECT l.shift_id,
                   COALESCE(-sum(l.amount_minor) FILTER (WHERE l.credit_type_code = 'PAID_IN'), 0)::bigint,
                   COALESCE(sum(l.amount_minor) FILTER (WHERE l.debit_type_code = 'PAID_OUT'), 0)::bigint,
                   COALESCE(-sum(l.amount_minor) FILTER (WHERE l.credit_type_code <> 'PAID_IN'), 0)::bigint,
                   COALESCE(sum(l.amount_minor) FILTER (WHERE l.debit_type_code <> 'PAID_OUT'), 0)::bigint
            FROM account_lines l
            WHERE l.shift_id = ANY(@shiftIds) AND l.counts_as_cash
            GROUP BY l.shift_id
            """, new { shiftIds }, transaction, cancellationToken: cancellationToken)))
        .ToDictionary(r => r.ShiftId, r => new ShiftCash(r.CashIn, r.CashOut, r.Payments, r.Refunds));

    public static async Task<IReadOnlyList<CashTransaction>> TransactionsOfAsync(
        NpgsqlConnection connection, Guid shiftId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<CashTransaction>(new CommandDefinition("""
            SELECT t.cash_transaction_id, t.shift_id, t.account_line_id, t.type, abs(l.amount_minor) AS amount_minor, t.category, t.description,
                   u.user_uuid, t.created_at
            FROM shift_cash_transactions t JOIN account_lines l USING (account_line_id) JOIN staff_users u ON u.user_id = t.user_id
            WHERE t.shift_id = @shiftId ORDER BY t.created_at, t.cash_transaction_id
            """, new { shiftId }, cancellationToken: cancellationToken))).AsList();

    /// <summary>
    /// Open shifts begun before today in their register's library: left open overnight, for a manager to close. Narrowed to a
    /// library, and to one register for a caller bound to it.
    /// </summary>
    public static async Task<IReadOnlyList<Shift>> StaleAsync(
        NpgsqlConnection connection, string? libraryId, int? cashRegisterId, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<Shift>(new CommandDefinition(Shift.Select + """
             JOIN libraries lib ON lib.library_id = r.library_id
            WHERE s.status = 'open' AND (s.start_time AT TIME ZONE lib.time_zone)::date < (@now AT TIME ZONE lib.time_zone)::date
              AND (@libraryId::text IS NULL OR r.library_id = @libraryId)
              AND (@cashRegisterId::integer IS NULL OR s.cash_register_id = @cashRegisterId)
            ORDER BY s.start_time
            """, new { now, libraryId, cashRegisterId }, cancellationToken: cancellationToken))).AsList();

    /// <summary>The register a shift runs at: the one named, or the default register of the cashier's library (or of the only library).</summary>
    static async Task<Outcome<int>> RegisterForAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string? userLibraryId, int? cashRegisterId, CancellationToken cancellationToken)
    {
        if (cashRegisterId is { } id)
        {
            // Share-locked: an archive (or a cash-up) of the register in progress finishes first, and is then seen.
            var named = await connection.QuerySingleOrDefaultAsync<(int Id, bool Archived)?>(new CommandDefinition(
                "SELECT cash_register_id, archived FROM cash_registers WHERE cash_register_id = @id FOR SHARE", new { id }, transaction,
                cancellationToken: cancellationToken));
            return named switch
            {
                null => Failure.Invalid("unknown_register", "cash_register_id", Invariant($"cash_register_id {id} is not a cash register.")),
                { Archived: true } => Failure.Invalid("register_archived", "cash_register_id", Invariant($"Cash register {id} is archived.")),
                _ => id,
            };
        }
        var defaults = (await connection.QueryAsync<int>(new CommandDefinition("""
            SELECT r.cash_register_id FROM cash_registers r
            WHERE r.library_default AND NOT r.archived
              AND (r.library_id = @userLibraryId OR (@userLibraryId::text IS NULL AND (SELECT count(*) FROM libraries) = 1))
            FOR SHARE
            """, new { userLibraryId }, transaction, cancellationToken: cancellationToken))).AsList();
        return defaults.Count == 1
            ? defaults[0]
            : Failure.Invalid("register_required", "cash_register_id",
                userLibraryId is null
                    ? "Say which register the shift is at: give cash_register_id (you have no home library to take its default register from)."
                    : $"Library '{userLibraryId}' has no default register: give cash_register_id.");
    }

    static readonly Failure AlreadyOpen = Failure.Conflict("shift_already_open", "User already has an open shift: end it before starting another.");

    static Failure NoOpenShift() => Failure.NotFound("no_open_shift", "No open shift found: start a shift first.");

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
