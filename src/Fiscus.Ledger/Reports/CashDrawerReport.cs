using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Reports;

/// <summary>
/// One movement of money through a drawer: a payment or purchase (<c>payment</c>, money in) or a payout or
/// void of a payment (<c>payout</c>, money out). <see cref="AmountMinor"/> is signed: in positive, out negative.
/// </summary>
public sealed record CashDrawerMovement(
    long AccountLineId, DateTime PostedAt, DateOnly BusinessDate, string Action, string Kind, string PaymentType, long AmountMinor,
    string Source, long? UserId, long? ApiClientId, int? CashRegisterId, string? RegisterName, string? LibraryId, long? PatronId,
    string? DebitType, string? Description);

/// <summary>A group of movements: how many, money in, money out and the net.</summary>
public sealed record ReportTotal(string Name, long Count, long InMinor, long OutMinor)
{
    public long NetMinor => InMinor - OutMinor;

    public static ReportTotal Of(string name, IEnumerable<CashDrawerMovement> movements)
    {
        long count = 0, moneyIn = 0, moneyOut = 0;
        foreach (var m in movements)
        {
            count++;
            if (m.AmountMinor >= 0)
            {
                moneyIn += m.AmountMinor;
            }
            else
            {
                moneyOut -= m.AmountMinor;
            }
        }
        return new ReportTotal(name, count, moneyIn, moneyOut);
    }
}

/// <summary>A cash-up completed in the report's range, with what was expected and counted per payment type.</summary>
public sealed record CashupInReport(
    long CashupId, int CashRegisterId, string RegisterName, DateTime CompletedAt, long? UserId, long AmountMinor, long ExpectedMinor,
    long CountedMinor, string? Note)
{
    public long DifferenceMinor => CountedMinor - ExpectedMinor;
}

/// <summary>
/// The cash drawer reconciliation report (FOLIO's, done over the whole ledger): the money that went through
/// the drawers over a range of business days — payments and sales in, payouts and refunds out (FOLIO lists
/// payments only) — by who handled it, how it was paid, what it paid for and at which register, with the
/// cash-ups counted in the range and their differences. Filterable by library, register and staff member.
/// Money through a register belongs to the register's library (whatever library the line names) and its
/// business day is reckoned in that library's time zone; other money, in its own library's.
/// </summary>
public sealed record CashDrawerReport(
    DateOnly From, DateOnly To, string? LibraryId, int? CashRegisterId, long? UserId, IReadOnlyList<CashDrawerMovement> Movements,
    IReadOnlyList<ReportTotal> BySource, IReadOnlyList<ReportTotal> ByPaymentType, IReadOnlyList<ReportTotal> ByDebitType,
    IReadOnlyList<ReportTotal> ByRegister, ReportTotal Total, IReadOnlyList<CashupInReport> Cashups)
{
    /// <summary>The most movements one report lists; a wider report is refused rather than cut short.</summary>
    public const int MaxRows = 100_000;

    public static async Task<Outcome<CashDrawerReport>> ComputeAsync(
        NpgsqlConnection connection, DateOnly from, DateOnly to, string fallbackTimeZone, string? libraryId, int? cashRegisterId,
        long? userId, CancellationToken cancellationToken)
    {
        var range = ReportRange.Of(from, to);
        if (range.Failure is { } invalid)
        {
            return invalid;
        }
        var parameters = new
        {
            from = from.ToDateTime(TimeOnly.MinValue), to = to.ToDateTime(TimeOnly.MinValue), lo = range.Value.Lower, hi = range.Value.Upper,
            fallbackTimeZone, libraryId, cashRegisterId, userId, limit = MaxRows + 1,
        };
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var rows = (await connection.QueryAsync<CashDrawerMovement>(new CommandDefinition("""
            SELECT l.account_line_id, l.posted_at,
                   (l.posted_at AT TIME ZONE COALESCE(lib.time_zone, @fallbackTimeZone))::date AS business_date,
                   CASE WHEN l.credit_type_code = 'PAID_IN' THEN 'paid_in' WHEN l.debit_type_code = 'PAID_OUT' THEN 'paid_out'
                        WHEN l.credit_type_code IS NOT NULL THEN 'payment' ELSE 'payout' END AS action,
                   COALESCE(l.credit_type_code, l.debit_type_code) AS kind,
                   l.payment_type, -l.amount_minor AS amount_minor,
                   COALESCE(u.username, ac.name, l.interface) AS source, l.user_id, l.api_client_id,
                   l.cash_register_id, r.name AS register_name, COALESCE(r.library_id, l.library_id) AS library_id, l.patron_id,
                   CASE WHEN l.credit_type_code IS NOT NULL THEN
                       (SELECT CASE WHEN count(DISTINCT d.debit_type_code) > 1 THEN 'Multiple' ELSE min(d.debit_type_code) END
                        FROM account_offsets o JOIN account_lines d ON d.account_line_id = o.debit_id
                        WHERE o.credit_id = l.account_line_id AND o.type = 'APPLY')
                   ELSE
                       (SELECT CASE WHEN count(DISTINCT rd.debit_type_code) > 1 THEN 'Multiple' ELSE min(rd.debit_type_code) END
                        FROM account_offsets o JOIN account_lines c ON c.account_line_id = o.credit_id
                        JOIN account_lines rd ON rd.account_line_id = c.related_account_line_id AND rd.debit_type_code IS NOT NULL
                        WHERE o.debit_id = l.account_line_id AND o.type = 'APPLY')
                   END AS debit_type,
                   l.description
            FROM account_lines l
            LEFT JOIN cash_registers r ON r.cash_register_id = l.cash_register_id
            LEFT JOIN libraries lib ON lib.library_id = COALESCE(r.library_id, l.library_id)
            LEFT JOIN staff_users u ON u.user_id = l.user_id
            LEFT JOIN api_clients ac ON ac.api_client_id = l.api_client_id
            WHERE l.payment_type IS NOT NULL AND l.posted_at >= @lo AND l.posted_at < @hi
              AND COALESCE(l.credit_type_code, l.debit_type_code) NOT IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT')
              AND (l.posted_at AT TIME ZONE COALESCE(lib.time_zone, @fallbackTimeZone))::date BETWEEN @from::date AND @to::date
              AND (@libraryId::text IS NULL OR COALESCE(r.library_id, l.library_id) = @libraryId)
              AND (@cashRegisterId::integer IS NULL OR l.cash_register_id = @cashRegisterId)
              AND (@userId::bigint IS NULL OR l.user_id = @userId OR ac.service_user_id = @userId)
            ORDER BY source, l.posted_at, l.account_line_id
            LIMIT @limit
            """, parameters, transaction, cancellationToken: cancellationToken, commandTimeout: 120))).AsList();
        if (rows.Count > MaxRows)
        {
            return Failure.Invalid("report_too_large", "from",
                $"More than {MaxRows} movements fall in this report; narrow the dates or filter by library, register or staff member.");
        }
        var cashups = (await connection.QueryAsync<CashupInReport>(new CommandDefinition("""
            SELECT c.cashup_id, c.cash_register_id, r.name AS register_name, c.completed_at, c.user_id, c.amount_minor,
                   COALESCE(sum(rc.expected_minor), 0)::bigint AS expected_minor, COALESCE(sum(rc.counted_minor), 0)::bigint AS counted_minor, c.note
            FROM cashups c
            JOIN cash_registers r ON r.cash_register_id = c.cash_register_id
            JOIN libraries lib ON lib.library_id = r.library_id
            LEFT JOIN cashup_reconciliations rc ON rc.cashup_id = c.cashup_id
            WHERE c.completed_at >= @lo AND c.completed_at < @hi
              AND (c.completed_at AT TIME ZONE lib.time_zone)::date BETWEEN @from::date AND @to::date
              AND (@libraryId::text IS NULL OR r.library_id = @libraryId)
              AND (@cashRegisterId::integer IS NULL OR c.cash_register_id = @cashRegisterId)
            GROUP BY c.cashup_id, r.name
            ORDER BY c.completed_at, c.cashup_id
            """, parameters, transaction, cancellationToken: cancellationToken))).AsList();
        await transaction.CommitAsync(cancellationToken);
        return new CashDrawerReport(from, to, libraryId, cashRegisterId, userId, rows,
            Totals(rows, m => m.Source), Totals(rows, m => m.PaymentType), Totals(rows, m => m.DebitType ?? "(not applied)"),
            Totals(rows, m => m.RegisterName ?? "(no register)"), ReportTotal.Of("Total", rows), cashups);
    }

    static List<ReportTotal> Totals(IEnumerable<CashDrawerMovement> rows, Func<CashDrawerMovement, string> key) =>
        rows.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => ReportTotal.Of(g.Key, g)).ToList();
}
