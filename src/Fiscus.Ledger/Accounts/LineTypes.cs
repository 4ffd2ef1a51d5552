namespace Fiscus.Ledger.Accounts;

/// <summary>
/// The line types the ledger's money rules name, and the two kinds each side splits into. The database
/// repeats the same split in <c>fiscus_account_lines_money_rules</c> (migration 0007), so a bug here cannot
/// write a line of the wrong kind.
/// </summary>
/// <remarks>
/// A credit either brings money in (a payment, a sale's PURCHASE, cash paid into a drawer, a cash-up surplus:
/// it names the payment type the money came as) or is an adjustment (a write-off, a cancellation, a refund,
/// a goodwill CREDIT ...: it reduces what is owed without money changing hands, so it names no payment type
/// and no register, and needs <c>refunds:write</c>). A debit either takes money out of the library (a
/// PAYOUT, the VOID of a payment, cash paid out of a drawer, a cash-up deficit) or is a charge: what a patron
/// or a customer owes, which names no payment type.
/// </remarks>
public static class LineTypes
{
    public const string Payout = "PAYOUT";
    public const string Void = "VOID";
    public const string PaidOut = "PAID_OUT";
    public const string CashupDeficit = "CASHUP_DEFICIT";

    public const string Payment = "PAYMENT";
    public const string Purchase = "PURCHASE";
    public const string PaidIn = "PAID_IN";
    public const string CashupSurplus = "CASHUP_SURPLUS";

    // Adjustments Fiscus writes through the action that means them.
    public const string Cancellation = "CANCELLATION";
    public const string Refund = "REFUND";
    public const string WriteOff = "WRITEOFF";
    public const string Overpayment = "OVERPAYMENT";
    public const string Discount = "DISCOUNT";
    public const string Forgiven = "FORGIVEN";

    /// <summary>A debit type that takes money out of the library rather than charging for something.</summary>
    public static bool IsMoneyOut(string debitType) => debitType is Payout or Void or PaidOut or CashupDeficit;

    /// <summary>A credit type that brings money in, rather than adjusting what is owed.</summary>
    public static bool IsMoneyIn(string creditType) => creditType is Payment or Purchase or PaidIn or CashupSurplus;

    /// <summary>
    /// Whether writing this line needs <c>refunds:write</c>: money paid out of the library (a PAYOUT, a VOID, cash
    /// paid out of a drawer) or a debt reduced without money (an adjustment credit). The writer checks it on every
    /// line as a backstop; each command checks it first, to refuse with a clear 403. (A cash-up deficit only records
    /// what a count found missing; the cash-up itself needs cashups:write.)
    /// </summary>
    public static bool NeedsRefundsScope(NewLine line) =>
        line.DebitTypeCode is Payout or Void or PaidOut || line.CreditTypeCode is { } credit && !IsMoneyIn(credit);
}
