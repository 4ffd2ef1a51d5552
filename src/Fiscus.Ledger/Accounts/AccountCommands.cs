namespace Fiscus.Ledger.Accounts;

// Commands on a patron account. Amounts are positive minor units, as the caller means them; the ledger
// stores credits negative.

/// <summary>A charge (Koha's add_debit). <see cref="PayoutType"/> and a register apply only to PAYOUT debits.</summary>
public sealed record AddDebitCommand(
    string Type, long AmountMinor, string? Description, string? InternalNote, string? LibraryId, int? CashRegisterId,
    string? PayoutType, long? ItemId);

/// <summary>A credit (Koha's add_credit): applied to the listed lines first, then to the oldest debits.</summary>
public sealed record AddCreditCommand(
    string CreditType, long AmountMinor, string? PaymentType, int? CashRegisterId, IReadOnlyList<long> AccountLineIds,
    string? LibraryId, string? Description, string? Note);

/// <summary>Atomic charge-and-pay (Koha bug 42785): the debit, the payment and the offset linking them.</summary>
public sealed record IntakeCommand(
    string DebitType, long AmountMinor, string PaymentType, int? CashRegisterId, string? LibraryId, string? Description,
    string? Note, string? ExternalId);

/// <summary>Write off (part of) what a debit still owes.</summary>
public sealed record WriteOffCommand(long? AmountMinor, string? Note);

/// <summary>
/// Give money back for a credit: first what is still outstanding on it, then (for a payment) what it paid,
/// as a REFUND credit; both leave through one PAYOUT, journaled to a register when the payout type is cash.
/// </summary>
public sealed record RefundCommand(long? AmountMinor, string? PayoutType, int? CashRegisterId, string? Note);

/// <summary>
/// Pay listed charges oldest first with one tender (Polaris' pay): one payment per charge paid, and the
/// excess as a credit on the account when <see cref="CreditOverpayment"/> allows it.
/// </summary>
public sealed record PayChargesCommand(
    IReadOnlyList<long> ChargeIds, long AmountMinor, string PaymentType, int? CashRegisterId, bool CreditOverpayment, string? Note);

/// <summary>What a command wrote: the lines it created or changed (as they now stand), its offsets and the new balance.</summary>
public sealed record AccountChange(
    AccountLine Line, IReadOnlyList<AccountLine> Created, IReadOnlyList<AccountLine> Changed, IReadOnlyList<AccountOffset> Offsets,
    long BalanceMinor);

public sealed record IntakeResult(AccountLine Debit, AccountLine Credit, IReadOnlyList<AccountOffset> Offsets, long BalanceMinor);

public sealed record PayChargesResult(IReadOnlyList<AccountLine> Payments, IReadOnlyList<AccountLine> Charges, long BalanceMinor);

/// <summary>
/// A payment a kiosk took for what the patron owes (SIP2's Fee Paid): one PAYMENT, applied to the named debit first,
/// then to the oldest outstanding debits; more than is owed is refused, or kept as the patron's credit when allowed.
/// </summary>
/// <param name="DebitId">The fee the kiosk named (SIP2's CG); null pays the oldest debts first.</param>
/// <param name="ExternalId">The payment device's transaction id (SIP2's BK), kept on the payment.</param>
public sealed record PayFeesCommand(
    long AmountMinor, string PaymentType, int? CashRegisterId, long? DebitId, bool CreditOverpayment, string? Description, string? Note,
    string? ExternalId);

/// <param name="Payment">The payment as it now stands (outstanding: the part kept as credit).</param>
/// <param name="Paid">The debits it paid, as they now stand.</param>
/// <param name="BalanceMinor">The patron's balance afterwards.</param>
public sealed record PayFeesResult(AccountLine Payment, IReadOnlyList<AccountLine> Paid, long BalanceMinor);
