using Fiscus.Ledger.Money;
using Fiscus.Ledger.Registers;
using Fiscus.Server.Accounts;

namespace Fiscus.Server.Registers;

public sealed record TypeDescriptionDto(string? Description);

public sealed record IncomeGroupDto(string DebitTypeCode, TypeDescriptionDto DebitType, long Count, decimal Total);

public sealed record RelatedDebitDto(string DebitTypeCode, TypeDescriptionDto DebitType);

public sealed record PayoutGroupDto(
    string DebitTypeCode, string? CreditTypeCode, TypeDescriptionDto CreditType, RelatedDebitDto? RelatedDebit, decimal Total);

/// <param name="DrawerTotal">
/// What this type left in the drawer: the net of its lines that counted as cash when they were written (the part of
/// <c>total</c> in <c>expected_cash_in_drawer</c>; all of it or none unless the type's counts_as_cash changed mid-session).
/// </param>
public sealed record PaymentTypeTotalDto(
    string PaymentType, string Description, bool CountsAsCash, long IncomeCount, decimal Income, long PayoutCount, decimal Payouts,
    long PaidInCount, decimal PaidIn, long PaidOutCount, decimal PaidOut, decimal Total, decimal DrawerTotal);

public sealed record CountTotalDto(long Count, decimal Total);

public sealed record ReconciliationDto(string PaymentType, decimal Expected, decimal Counted, decimal Difference, string? Note, long? AccountLineId);

/// <summary>
/// A session's totals in Koha's cash-up summary shape (<c>from_date</c>, <c>to_date</c>, <c>income_grouped</c>,
/// <c>income_total</c>, <c>payout_grouped</c>, <c>payout_total</c>, <c>total</c>, <c>total_grouped</c>) plus the
/// float, the expected cash in the drawer, the bankable amount, payouts and refunds, and the reconciliations.
/// </summary>
public sealed record SummaryDto(
    DateTime FromDate,
    DateTime? ToDate,
    decimal Float,
    long LineCount,
    IReadOnlyList<IncomeGroupDto> IncomeGrouped,
    decimal IncomeTotal,
    IReadOnlyList<PayoutGroupDto> PayoutGrouped,
    decimal PayoutTotal,
    decimal Total,
    IReadOnlyList<PaymentTypeTotalDto> TotalGrouped,
    CountTotalDto Payouts,
    CountTotalDto Refunds,
    CountTotalDto PaidIn,
    CountTotalDto PaidOut,
    decimal ExpectedCashInDrawer,
    decimal Bankable,
    IReadOnlyList<ReconciliationDto> Reconciliations)
{
    public static SummaryDto From(SessionSummary s, Currency c) => new(
        s.FromDate, s.ToDate, c.ToMajor(s.FloatMinor), s.LineCount,
        s.IncomeGrouped.Select(g => new IncomeGroupDto(g.DebitTypeCode, new TypeDescriptionDto(g.Description), g.Count, c.ToMajor(g.TotalMinor))).ToList(),
        c.ToMajor(s.IncomeTotalMinor),
        s.PayoutGrouped.Select(g => new PayoutGroupDto(g.DebitTypeCode, g.CreditTypeCode, new TypeDescriptionDto(g.CreditTypeDescription),
            g.RelatedDebitTypeCode is null ? null : new RelatedDebitDto(g.RelatedDebitTypeCode, new TypeDescriptionDto(g.RelatedDebitTypeDescription)),
            c.ToMajor(g.TotalMinor))).ToList(),
        c.ToMajor(s.PayoutTotalMinor), c.ToMajor(s.TotalMinor),
        s.TotalGrouped.Select(t => new PaymentTypeTotalDto(t.PaymentType, t.Description, t.CountsAsCash, t.IncomeCount, c.ToMajor(t.IncomeMinor),
            t.PayoutCount, c.ToMajor(t.PayoutMinor), t.PaidInCount, c.ToMajor(t.PaidInMinor), t.PaidOutCount, c.ToMajor(t.PaidOutMinor),
            c.ToMajor(t.NetMinor), c.ToMajor(t.DrawerMinor))).ToList(),
        new CountTotalDto(s.Payouts.Count, c.ToMajor(s.Payouts.TotalMinor)), new CountTotalDto(s.Refunds.Count, c.ToMajor(s.Refunds.TotalMinor)),
        Count(s.PaidIn, c), Count(s.PaidOut, c),
        c.ToMajor(s.ExpectedCashInDrawerMinor), c.ToMajor(s.BankableMinor),
        s.Reconciliations.Select(r => new ReconciliationDto(r.PaymentType, c.ToMajor(r.ExpectedMinor), c.ToMajor(r.CountedMinor),
            c.ToMajor(r.DifferenceMinor), r.Note, r.AccountLineId)).ToList());

    static CountTotalDto Count(CountTotal? total, Currency c) => new(total?.Count ?? 0, c.ToMajor(total?.TotalMinor ?? 0));
}

/// <summary>The live session of a register: its summary and (a page of) its lines.</summary>
public sealed record SessionDto(
    int CashRegisterId, long RegisterSessionId, string Status, SummaryDto Summary, IReadOnlyList<AccountLineDto> Lines);

/// <summary>A cash-up in Koha's shape (<c>cashup_id</c>, <c>cash_register_id</c>, <c>manager_id</c>, <c>amount</c>, <c>timestamp</c>) and ours.</summary>
public sealed record CashupDto(
    long CashupId,
    int CashRegisterId,
    long RegisterSessionId,
    long? ManagerId,
    string? ClientId,
    string Status,
    DateTime StartedAt,
    DateTime Timestamp,
    decimal? Amount,
    string? Note,
    IReadOnlyList<ReconciliationDto> Reconciliations,
    SummaryDto? Summary);
