using Fiscus.Staff.Services;

namespace Fiscus.Staff.Model;

/// <summary>
/// What a patron's payment receipt shows: the credit as recorded, the charges it paid (from its offsets, as the ledger
/// applied it) and the balance after. Tendered and change are what the clerk typed; the ledger records the payment.
/// </summary>
public sealed record PatronReceipt(
    AccountLine Credit, Patron Patron, CashRegister? Register, IReadOnlyList<(AccountLine Debit, long AmountMinor)> Paid,
    string PaymentDescription, long AmountMinor, long? TenderedMinor, long? ChangeMinor, long BalanceAfterMinor)
{
    /// <summary>What stayed on the account as credit: the part of the payment no charge took.</summary>
    public long LeftAsCreditMinor => AmountMinor - Paid.Sum(p => p.AmountMinor);
}

public enum LineAction
{
    Void,
    Cancel,
    WriteOff,
    Refund,
}
