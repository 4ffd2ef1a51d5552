using Dapper;
using Fiscus.Ledger.Shifts;
using Npgsql;

namespace Fiscus.Ledger.Reports;

public sealed record ShiftReportRow(
    Guid ShiftId, long UserId, Guid UserUuid, string Username, int CashRegisterId, string RegisterName, string LibraryId, DateOnly BusinessDate, string Status,
    DateTime StartTime, DateTime? EndTime, long StartCashMinor, long? ExpectedCashEndMinor, long? ActualCashEndMinor, long? CashInMinor,
    long? CashOutMinor, long? CashPaymentsMinor, long? CashRefundsMinor, long? BooksCashStartMinor)
{
    public ShiftCash Cash { get; init; } = ShiftCash.None;

    public long? DifferenceMinor => ActualCashEndMinor - ExpectedCashEndMinor;

    public ShiftBooks Books => new(StartCashMinor, BooksCashStartMinor, ExpectedCashEndMinor, ActualCashEndMinor);
}

/// <summary>
/// The shift report: the shifts begun over a range of business days (in their register's library's time
/// zone), each with the cash it moved, what was expected and counted at its end and the difference, and the same
/// against the register's books (the opening difference, the books' end and the books difference); the
/// shortages and overages summed both ways, and how many are still open.
/// </summary>
public sealed record ShiftReport(DateOnly From, DateOnly To, IReadOnlyList<ShiftReportRow> Shifts)
{
    public long ShortMinor => Short(s => s.DifferenceMinor);

    public long OverMinor => Over(s => s.DifferenceMinor);

    /// <summary>Starts declared below the books (open shifts included: the cash is unaccounted for from the start).</summary>
    public long OpeningShortMinor => Short(s => s.Books.OpeningDifferenceMinor);

    public long OpeningOverMinor => Over(s => s.Books.OpeningDifferenceMinor);

    /// <summary>Ended shifts whose count fell short of what the register's books say the drawer should hold.</summary>
    public long BooksShortMinor => Short(s => s.Books.BooksDifferenceMinor);

    public long BooksOverMinor => Over(s => s.Books.BooksDifferenceMinor);

    long Short(Func<ShiftReportRow, long?> difference) => Shifts.Select(difference).Where(d => d < 0).Sum(d => d!.Value);

    long Over(Func<ShiftReportRow, long?> difference) => Shifts.Select(difference).Where(d => d > 0).Sum(d => d!.Value);

    public int OpenCount => Shifts.Count(s => s.Status == "open");

    public static async Task<Outcome<ShiftReport>> ComputeAsync(
        NpgsqlConnection connection, DateOnly from, DateOnly to, string? libraryId, int? cashRegisterId, long? userId,
        CancellationToken cancellationToken)
    {
        var range = ReportRange.Of(from, to);
        if (range.Failure is { } invalid)
        {
            return invalid;
        }
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var rows = (await connection.QueryAsync<ShiftReportRow>(new CommandDefinition("""
            SELECT s.shift_id, s.user_id, u.user_uuid, u.username, s.cash_register_id, r.name AS register_name, r.library_id,
                   (s.start_time AT TIME ZONE lib.time_zone)::date AS business_date, s.status, s.start_time, s.end_time, s.start_cash_minor,
                   s.expected_cash_end_minor, s.actual_cash_end_minor, s.cash_in_minor, s.cash_out_minor, s.cash_payments_minor,
                   s.cash_refunds_minor, s.books_cash_start_minor
            FROM shifts s
            JOIN staff_users u ON u.user_id = s.user_id
            JOIN cash_registers r ON r.cash_register_id = s.cash_register_id
            JOIN libraries lib ON lib.library_id = r.library_id
            WHERE s.start_time >= @lo AND s.start_time < @hi
              AND (s.start_time AT TIME ZONE lib.time_zone)::date BETWEEN @from::date AND @to::date
              AND (@libraryId::text IS NULL OR r.library_id = @libraryId)
              AND (@cashRegisterId::integer IS NULL OR s.cash_register_id = @cashRegisterId)
              AND (@userId::bigint IS NULL OR s.user_id = @userId)
            ORDER BY s.start_time, s.shift_id
            """, new
            {
                lo = range.Value.Lower, hi = range.Value.Upper, from = from.ToDateTime(TimeOnly.MinValue), to = to.ToDateTime(TimeOnly.MinValue),
                libraryId, cashRegisterId, userId,
            }, transaction, cancellationToken: cancellationToken))).AsList();
        // Closed shifts as frozen at their end; open ones as their lines stand.
        var live = await CashierShifts.CashOfAsync(connection, transaction, rows.Where(r => r.Status == "open").Select(r => r.ShiftId).ToArray(),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ShiftReport(from, to, rows.Select(r => r with
        {
            Cash = r.Status == "closed"
                ? new ShiftCash(r.CashInMinor!.Value, r.CashOutMinor!.Value, r.CashPaymentsMinor!.Value, r.CashRefundsMinor!.Value)
                : live.GetValueOrDefault(r.ShiftId, ShiftCash.None),
        }).ToList());
    }
}
