using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Reports;

/// <summary>What one payment type or debit type took: how many movements and how much.</summary>
public sealed record IncomeShare(string Code, string Description, long Count, long TotalMinor);

/// <summary>One business day's income: by how it was paid and by what it paid for.</summary>
public sealed record IncomeDay(DateOnly Date, IReadOnlyList<IncomeShare> ByPaymentType, IReadOnlyList<IncomeShare> ByDebitType)
{
    public long IncomeTotalMinor => ByPaymentType.Sum(s => s.TotalMinor);
}

/// <summary>
/// Income per business day over a range, by payment type and by debit type — the Z-report's two income figures
/// (<c>total_grouped[].income</c> and <c>income_grouped</c>) for every day at once, for a chart or a spreadsheet.
/// Summed from the register movements in one query, so it costs the same whatever the registers' history; each
/// register's day is reckoned in its library's time zone. Every day of the range is listed, empty days included.
/// </summary>
public sealed record IncomeByDay(
    DateOnly From, DateOnly To, string? LibraryId, int? CashRegisterId, IReadOnlyList<IncomeDay> Days, IReadOnlyList<IncomeShare> ByPaymentType,
    IReadOnlyList<IncomeShare> ByDebitType)
{
    public long IncomeTotalMinor => ByPaymentType.Sum(s => s.TotalMinor);

    sealed record Row(DateOnly BusinessDate, string Kind, string Code, string? Description, long Count, long AmountMinor);

    public static async Task<Outcome<IncomeByDay>> ComputeAsync(
        NpgsqlConnection connection, DateOnly from, DateOnly to, string? libraryId, int? cashRegisterId, CancellationToken cancellationToken)
    {
        var range = ReportRange.Of(from, to);
        if (range.Failure is { } invalid)
        {
            return invalid;
        }
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        // The registers first, so the movements are read through their (cash_register_id, posted_at) index.
        var registers = (await connection.QueryAsync<int>(new CommandDefinition("""
            SELECT cash_register_id FROM cash_registers
            WHERE (@libraryId::text IS NULL OR library_id = @libraryId) AND (@cashRegisterId::integer IS NULL OR cash_register_id = @cashRegisterId)
            """, new { libraryId, cashRegisterId }, transaction, cancellationToken: cancellationToken))).ToArray();
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT m.business_date, m.kind, m.code, COALESCE(p.description, d.description) AS description, m.count, m.amount_minor
            FROM (SELECT (m.posted_at AT TIME ZONE lib.time_zone)::date AS business_date, m.kind,
                         CASE WHEN m.kind = 'in' THEN m.payment_type ELSE m.debit_type_code END AS code,
                         sum(m.count)::bigint AS count, sum(m.amount_minor)::bigint AS amount_minor
                  FROM register_movements m
                  JOIN cash_registers r ON r.cash_register_id = m.cash_register_id
                  JOIN libraries lib ON lib.library_id = r.library_id
                  WHERE m.cash_register_id = ANY(@registers) AND m.kind IN ('in', 'income')
                    AND m.posted_at >= @lo AND m.posted_at < @hi
                    AND (m.posted_at AT TIME ZONE lib.time_zone)::date BETWEEN @from::date AND @to::date
                  GROUP BY 1, 2, 3) m
            LEFT JOIN payment_types p ON m.kind = 'in' AND p.code = m.code
            LEFT JOIN debit_types d ON m.kind = 'income' AND d.code = m.code
            WHERE m.amount_minor <> 0
            """, new
            {
                registers, lo = range.Value.Lower, hi = range.Value.Upper,
                from = from.ToDateTime(TimeOnly.MinValue), to = to.ToDateTime(TimeOnly.MinValue),
            }, transaction, cancellationToken: cancellationToken))).AsList();
        await transaction.CommitAsync(cancellationToken);

        static IReadOnlyList<IncomeShare> Shares(IEnumerable<Row> rows) => rows
            .GroupBy(r => r.Code, StringComparer.Ordinal)
            .Select(g => new IncomeShare(g.Key, g.First().Description ?? g.Key, g.Sum(r => r.Count), g.Sum(r => r.AmountMinor)))
            .OrderByDescending(s => s.TotalMinor).ThenBy(s => s.Code, StringComparer.Ordinal).ToList();

        var byDay = rows.ToLookup(r => r.BusinessDate);
        var days = new List<IncomeDay>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            days.Add(new IncomeDay(day, Shares(byDay[day].Where(r => r.Kind == "in")), Shares(byDay[day].Where(r => r.Kind == "income"))));
        }
        return new IncomeByDay(from, to, libraryId, cashRegisterId, days, Shares(rows.Where(r => r.Kind == "in")),
            Shares(rows.Where(r => r.Kind == "income")));
    }
}
