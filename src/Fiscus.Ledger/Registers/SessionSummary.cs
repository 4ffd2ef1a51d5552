using Fiscus.Ledger.Accounts;
using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Registers;

/// <summary>What money taken in a session paid for (Koha's income_grouped).</summary>
public sealed record IncomeGroup(string DebitTypeCode, string Description, long Count, long TotalMinor);

/// <summary>Money paid out of the drawer, by what paid it out and what for (Koha's payout_grouped).</summary>
public sealed record PayoutGroup(
    string DebitTypeCode, string? CreditTypeCode, string? CreditTypeDescription, string? RelatedDebitTypeCode,
    string? RelatedDebitTypeDescription, long TotalMinor);

/// <summary>
/// Money in and out of the drawer for one payment type: takings and payouts, and cash paid in or out of the
/// drawer that is neither (a float top-up, a drop to the safe, petty cash).
/// </summary>
/// <param name="CountsAsCash">
/// Whether this type's money in the scope went into the drawer: as each line counted when it was written (true
/// if any did), or, when nothing moved, as the type is set now.
/// </param>
/// <param name="DrawerNetMinor">
/// The net of the lines that counted as cash when they were written: what this type left in the drawer. Null in
/// summaries frozen before lines carried that flag (then the whole net when the type counted as cash).
/// </param>
public sealed record PaymentTypeTotal(
    string PaymentType, string Description, bool CountsAsCash, long IncomeCount, long IncomeMinor, long PayoutCount, long PayoutMinor,
    long PaidInCount = 0, long PaidInMinor = 0, long PaidOutCount = 0, long PaidOutMinor = 0, long? DrawerNetMinor = null)
{
    public long NetMinor => IncomeMinor - PayoutMinor + PaidInMinor - PaidOutMinor;

    public long DrawerMinor => DrawerNetMinor ?? (CountsAsCash ? NetMinor : 0);

    /// <summary>What a cash-up counts this type against: what it left in the drawer if it is cash, else all it took.</summary>
    public long ExpectedMinor => CountsAsCash ? DrawerMinor : NetMinor;

    public bool Moved => IncomeCount + PayoutCount + PaidInCount + PaidOutCount > 0;
}

public sealed record CountTotal(long Count, long TotalMinor);

/// <summary>A counted payment type of a cash-up: what the ledger expected, what was counted, and the line recording any difference.</summary>
public sealed record ReconciliationLine(string PaymentType, long ExpectedMinor, long CountedMinor, string? Note, long? AccountLineId)
{
    public long DifferenceMinor => CountedMinor - ExpectedMinor;
}

/// <summary>
/// A register session's totals. Money lines are those with a payment type: credits brought money in,
/// debits (PAYOUT, VOID) took it out; cash paid in or out of the drawer (PAID_IN, PAID_OUT) moves the
/// drawer but is neither income nor payout. Cash-up surplus and deficit lines are reported as
/// reconciliations. Expected cash in the drawer is the float plus the net of the lines that counted as cash
/// when they were written; bankable is that net alone (negative: the drawer needs topping up).
/// </summary>
public sealed record SessionSummary(
    long RegisterSessionId,
    int CashRegisterId,
    string Status,
    DateTime FromDate,
    DateTime? ToDate,
    long FloatMinor,
    long LineCount,
    IReadOnlyList<IncomeGroup> IncomeGrouped,
    long IncomeTotalMinor,
    IReadOnlyList<PayoutGroup> PayoutGrouped,
    long PayoutTotalMinor,
    IReadOnlyList<PaymentTypeTotal> TotalGrouped,
    CountTotal Payouts,
    CountTotal Refunds,
    IReadOnlyList<ReconciliationLine> Reconciliations,
    CountTotal? PaidIn = null,
    CountTotal? PaidOut = null)
{
    public long TotalMinor => IncomeTotalMinor - PayoutTotalMinor;

    public long BankableMinor => TotalGrouped.Sum(t => t.DrawerMinor);

    public long ExpectedCashInDrawerMinor => FloatMinor + BankableMinor;

    /// <summary>Computes a session's summary in one round trip, from the session's movements.</summary>
    public static async Task<SessionSummary> ComputeAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, RegisterSession session, CancellationToken cancellationToken)
    {
        var scope = LineScope.Session(session.RegisterSessionId);
        using var results = await connection.QueryMultipleAsync(new CommandDefinition(AggregateSql(scope) + """
            SELECT r.payment_type, r.expected_minor, r.counted_minor, r.note, r.account_line_id
            FROM cashup_reconciliations r JOIN cashups c ON c.cashup_id = r.cashup_id
            WHERE c.register_session_id = @scopeSession
            ORDER BY r.payment_type;
            """, scope.Parameters, transaction, cancellationToken: cancellationToken));
        var aggregates = await ReadAggregatesAsync(results);
        var reconciliations = (await results.ReadAsync<ReconciliationLine>()).AsList();
        return aggregates.ToSummary(session.RegisterSessionId, session.CashRegisterId, session.Status, session.OpenedAt,
            session.CountingStartedAt ?? session.ClosedAt, session.FloatMinor, reconciliations);
    }

    /// <summary>The same aggregates over any set of movements (a register's business day, say).</summary>
    public static async Task<Aggregates> AggregateAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, LineScope scope, CancellationToken cancellationToken)
    {
        using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            AggregateSql(scope), scope.Parameters, transaction, cancellationToken: cancellationToken));
        return await ReadAggregatesAsync(results);
    }

    public sealed record Aggregates(
        long LineCount, IReadOnlyList<PaymentTypeTotal> ByType, IReadOnlyList<IncomeGroup> Income, IReadOnlyList<PayoutGroup> Payouts,
        CountTotal Refunds)
    {
        public long IncomeTotalMinor => ByType.Sum(t => t.IncomeMinor);

        public long PayoutTotalMinor => ByType.Sum(t => t.PayoutMinor);

        public CountTotal PayoutCount => new(ByType.Sum(t => t.PayoutCount), PayoutTotalMinor);

        public CountTotal PaidIn => new(ByType.Sum(t => t.PaidInCount), ByType.Sum(t => t.PaidInMinor));

        public CountTotal PaidOut => new(ByType.Sum(t => t.PaidOutCount), ByType.Sum(t => t.PaidOutMinor));

        public SessionSummary ToSummary(
            long sessionId, int registerId, string status, DateTime from, DateTime? to, long floatMinor, IReadOnlyList<ReconciliationLine> reconciliations) =>
            new(sessionId, registerId, status, from, to, floatMinor, LineCount, Income, IncomeTotalMinor, Payouts, PayoutTotalMinor, ByType,
                PayoutCount, Refunds, reconciliations, PaidIn, PaidOut);
    }

    sealed record Movement(
        string Kind, string? PaymentType, string? DebitTypeCode, string? CreditTypeCode, string? RelatedDebitTypeCode, bool CountsAsCash, long Count,
        long AmountMinor, string? DebitTypeDescription, string? CreditTypeDescription, string? RelatedDebitTypeDescription);

    sealed record PaymentTypeRow(string Code, string Description, bool CountsAsCash, bool Archived);

    static async Task<Aggregates> ReadAggregatesAsync(SqlMapper.GridReader results)
    {
        var movements = (await results.ReadAsync<Movement>()).AsList();
        var paymentTypes = await results.ReadAsync<PaymentTypeRow>();
        var lineCount = movements.Where(m => m.Kind is "line" or "in" or "out" or "paid_in" or "paid_out").Sum(m => m.Count);
        var byType = new List<PaymentTypeTotal>();
        foreach (var type in paymentTypes)
        {
            var money = movements.Where(m => m.PaymentType == type.Code).ToList();
            (long Count, long Minor) Of(string kind) => (money.Where(m => m.Kind == kind).Sum(m => m.Count), money.Where(m => m.Kind == kind).Sum(m => m.AmountMinor));
            if (money.Count > 0 || !type.Archived)
            {
                var (inCount, inMinor) = Of("in");
                var (outCount, outMinor) = Of("out");
                var (paidInCount, paidInMinor) = Of("paid_in");
                var (paidOutCount, paidOutMinor) = Of("paid_out");
                // What the drawer holds is what the lines said when they were written, not what the type says now.
                var drawer = money.Where(m => m.CountsAsCash).ToList();
                var drawerNet = drawer.Sum(m => m.Kind is "in" or "paid_in" ? m.AmountMinor : -m.AmountMinor);
                byType.Add(new PaymentTypeTotal(type.Code, type.Description, money.Count > 0 ? drawer.Count > 0 : type.CountsAsCash, inCount, inMinor,
                    outCount, outMinor, paidInCount, paidInMinor, paidOutCount, paidOutMinor, drawerNet));
            }
        }
        var income = movements.Where(m => m.Kind == "income" && m.AmountMinor != 0)
            .Select(m => new IncomeGroup(m.DebitTypeCode!, m.DebitTypeDescription ?? m.DebitTypeCode!, m.Count, m.AmountMinor))
            .OrderBy(g => g.Description, StringComparer.Ordinal).ThenBy(g => g.DebitTypeCode, StringComparer.Ordinal).ToList();
        var payouts = movements.Where(m => m.Kind == "payout")
            .Select(m => new PayoutGroup(m.DebitTypeCode!, m.CreditTypeCode, m.CreditTypeDescription, m.RelatedDebitTypeCode,
                m.RelatedDebitTypeDescription, m.AmountMinor))
            .OrderBy(g => g.DebitTypeCode, StringComparer.Ordinal).ThenBy(g => g.CreditTypeCode, StringComparer.Ordinal)
            .ThenBy(g => g.RelatedDebitTypeCode, StringComparer.Ordinal).ToList();
        var refunds = movements.Where(m => m.Kind == "payout" && m.CreditTypeCode == LineTypes.Refund).ToList();
        return new Aggregates(lineCount, byType, income, payouts, new CountTotal(refunds.Sum(m => m.Count), refunds.Sum(m => m.AmountMinor)));
    }

    /// <summary>The scope's movements summed per group (a few dozen rows at most), then the payment types to report them by.</summary>
    static string AggregateSql(LineScope scope) => $"""
        SELECT m.kind, m.payment_type, m.debit_type_code, m.credit_type_code, m.related_debit_type_code, m.counts_as_cash, m.count, m.amount_minor,
               dt.description AS debit_type_description, ct.description AS credit_type_description, rdt.description AS related_debit_type_description
        FROM (SELECT kind, payment_type, debit_type_code, credit_type_code, related_debit_type_code, counts_as_cash,
                     sum(count)::bigint AS count, sum(amount_minor)::bigint AS amount_minor
              FROM register_movements m WHERE {scope.On("m")}
              GROUP BY 1, 2, 3, 4, 5, 6) m
        LEFT JOIN debit_types dt ON dt.code = m.debit_type_code
        LEFT JOIN credit_types ct ON ct.code = m.credit_type_code
        LEFT JOIN debit_types rdt ON rdt.code = m.related_debit_type_code;

        SELECT code, description, counts_as_cash, archived FROM payment_types ORDER BY code;

        """;
}

/// <summary>Which movements an aggregate covers, as a SQL condition on an alias plus its parameters.</summary>
public sealed record LineScope(string Condition, object Parameters)
{
    public string On(string alias) => Condition.Replace("{L}", alias, StringComparison.Ordinal);

    public static LineScope Session(long sessionId) => new("{L}.register_session_id = @scopeSession", new { scopeSession = sessionId });

    /// <summary>Movements of these registers posted in [from, to) (an application counts when its money line was posted).</summary>
    public static LineScope Window(int[] registers, DateTimeOffset from, DateTimeOffset to) => new(
        "{L}.cash_register_id = ANY(@scopeRegisters) AND {L}.posted_at >= @scopeFrom AND {L}.posted_at < @scopeTo",
        new { scopeRegisters = registers, scopeFrom = from, scopeTo = to });
}
