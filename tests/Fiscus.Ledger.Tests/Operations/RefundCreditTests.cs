using Fiscus.Ledger.Accounts;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.RefundCreditAsync"/>: needs refunds:write. What is still outstanding on a credit is paid out
/// directly; beyond that, what a payment paid is given back through a REFUND credit (the charge stays paid). One PAYOUT carries
/// the money out in the payout type (the credit's own unless another is named), which must allow refunds, through a register
/// when it is cash. Never more than is left to refund.
/// </summary>
public sealed class RefundCreditTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>10.00 of a lost book ("lost") paid by card ("p").</summary>
    static readonly Step[] PaidByCard = [Given.Debit("lost", 1000, "LOST"), Given.Payment("p", 1000)];

    /// <summary>20.00 paid in cash at the till with nothing owed ("p"): all of it credit.</summary>
    static readonly Step CashCredit = Given.Payment("p", 2000, "CASH");

    static RefundCommand Refund(long? amountMinor, string? payoutType = null, int? register = null) => new(amountMinor, payoutType, register, "item found");

    static Row Refunding(string what, Actor who, string credit, Func<World, RefundCommand> command, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.RefundCreditAsync(account, w[credit], command(w)),
            c => c.BalanceMinor, c => $"{c.Line.CreditTypeCode} {c.Line.Status ?? "not refunded in full"}"), then);

    public static TheoryData<Row> Rows => new()
    {
        Refunding("part of a cash credit, out of the till", As.Manager, "p", w => Refund(500, register: w.Till),
            Then.Ok(-1500, "now PAYMENT -2000/-1500 CASH @till#1", "PAYOUT 500/0 CASH @till#1 PAID").Answering("PAYMENT not refunded in full"),
            CashCredit),
        Refunding("all of a cash credit", As.Manager, "p", w => Refund(null, register: w.Till),
            Then.Ok(0, "now PAYMENT -2000/0 CASH @till#1 REFUNDED", "PAYOUT 2000/0 CASH @till#1 PAID").Answering("PAYMENT REFUNDED"), CashCredit),
        Refunding("a cash credit paid out by card needs no register", As.Manager, "p", _ => Refund(500, "CARD"),
            Then.Ok(-1500, "now PAYMENT -2000/-1500 CASH @till#1", "PAYOUT 500/0 CARD PAID"), CashCredit),
        Refunding("a cash credit with no register to pay it out of", As.Manager, "p", _ => Refund(500),
            Then.Invalid("register_required", "cash_register_id"), CashCredit),
        Refunding("a cash credit out of an archived register", As.Manager, "p", w => Refund(500, register: w.ArchivedRegister),
            Then.Invalid("register_archived", "cash_register_id"), CashCredit),
        Refunding("by a client bound to another register, out of the till", As.BackOfficeAtOther, "p", w => Refund(500, register: w.Till),
            Then.Forbidden("outside_binding"), CashCredit),
        Refunding("by a client bound to the till, out of it unasked", As.BackOfficeAtTill, "p", _ => Refund(500),
            Then.Ok(-1500, "now PAYMENT -2000/-1500 CASH @till#1", "PAYOUT 500/0 CASH @till#1 PAID"), CashCredit),
        Refunding("by a cashier", As.Cashier, "p", w => Refund(500, register: w.Till), Then.Forbidden(), CashCredit),

        Refunding("part of a card payment: a REFUND credit, and the charge stays paid", As.Manager, "p", _ => Refund(400),
            Then.Ok(0, "REFUND -400/0", "PAYOUT 400/0 CARD PAID"), PaidByCard),
        Refunding("all of a card payment", As.Manager, "p", _ => Refund(null),
            Then.Ok(0, "now PAYMENT -1000/0 CARD REFUNDED", "REFUND -1000/0", "PAYOUT 1000/0 CARD PAID"), PaidByCard),
        Refunding("the rest after a part", As.Manager, "p", _ => Refund(null),
            Then.Ok(0, "now PAYMENT -1000/0 CARD REFUNDED", "REFUND -600/0", "PAYOUT 600/0 CARD PAID"), [.. PaidByCard, Given.Refunded("p", 400)]),
        Refunding("more than was paid", As.Manager, "p", _ => Refund(1001), Then.Invalid("amount_exceeds_refundable", "amount"), PaidByCard),
        Refunding("more than is left after a part", As.Manager, "p", _ => Refund(601), Then.Invalid("amount_exceeds_refundable", "amount"),
            [.. PaidByCard, Given.Refunded("p", 400)]),
        Refunding("a payment refunded in full", As.Manager, "p", _ => Refund(null), Then.Conflict("nothing_to_refund"),
            [.. PaidByCard, Given.Refunded("p", 1000)]),
        Refunding("a payment partly applied: the credit first, then what it paid", As.Manager, "p", _ => Refund(null),
            Then.Ok(0, "now PAYMENT -1000/0 CARD REFUNDED", "REFUND -600/0", "PAYOUT 1000/0 CARD PAID"),
            Given.Debit("a", 600), Given.Payment("p", 1000)),
        Refunding("a payment partly applied, part of its credit", As.Manager, "p", _ => Refund(300),
            Then.Ok(-100, "now PAYMENT -1000/-100 CARD", "PAYOUT 300/0 CARD PAID"), Given.Debit("a", 600), Given.Payment("p", 1000)),
        Refunding("a payment in a tender that refunds nothing", As.Manager, "v", _ => Refund(null),
            Then.Invalid("refund_not_allowed", "payout_type"), Given.Payment("v", 500, NoRefundPaymentType)),
        Refunding("a payment in a tender that refunds nothing, paid out by card", As.Manager, "v", _ => Refund(null, "CARD"),
            Then.Ok(0, $"now PAYMENT -500/0 {NoRefundPaymentType} REFUNDED", "PAYOUT 500/0 CARD PAID"), Given.Payment("v", 500, NoRefundPaymentType)),
        Refunding("paid out in an unknown tender", As.Manager, "p", _ => Refund(null, "BITCOIN"),
            Then.Invalid("unknown_payment_type", "payout_type"), PaidByCard),
        Refunding("paid out in an archived tender", As.Manager, "p", _ => Refund(null, ArchivedPaymentType),
            Then.Invalid("payment_type_archived", "payout_type"), PaidByCard),

        // What a payment paid is refundable, whatever it paid; only the PAYOUTs of its own refunds are not refunded twice.
        Refunding("a card payment that repaid a cash PAYOUT the patron owed", As.Manager, "p", _ => Refund(null),
            Then.Ok(0, "now PAYMENT -4000/0 CARD REFUNDED", "REFUND -4000/0", "PAYOUT 4000/0 CARD PAID"),
            Given.PayoutDebit("out", 4000), Given.Payment("p", 4000)),
        Refunding("a goodwill credit, paid out in cash", As.Manager, "g", w => Refund(null, "CASH", w.Till),
            Then.Ok(0, "now CREDIT -300/0 REFUNDED", "PAYOUT 300/0 CASH @till#1 PAID"), Given.Adjustment("g", "CREDIT", 300)),
        Refunding("a goodwill credit, naming no payout type", As.Manager, "g", _ => Refund(null),
            Then.Invalid("payout_type_required", "payout_type"), Given.Adjustment("g", "CREDIT", 300)),
        Refunding("a write-off brought no money to give back", As.Manager, "w", _ => Refund(null, "CARD"), Then.Conflict("nothing_to_refund"),
            Given.Debit("a", 300), Given.Adjustment("w", "WRITEOFF", 300)),
        Refunding("a voided payment", As.Manager, "p", _ => Refund(null), Then.Conflict("credit_void"), [.. PaidByCard, Given.Voided("p")]),
        Refunding("a REFUND credit", As.Manager, "p/refund", _ => Refund(null, "CARD"), Then.Conflict("credit_not_refundable"),
            [.. PaidByCard, Given.Refunded("p", 400)]),
        Refunding("a CANCELLATION credit", As.Manager, "a/cancellation", _ => Refund(null, "CARD"), Then.Conflict("credit_not_refundable"),
            Given.Debit("a", 300), Given.Cancelled("a")),
        Refunding("a sale's PURCHASE credit", As.Manager, "s/purchase", _ => Refund(null), Then.Conflict("credit_not_refundable"),
            Given.Sold("s", 200, "CARD", toPatron: true)),
        Refunding("a debit", As.Manager, "lost", _ => Refund(null), Then.NotFound("credit_not_found"), PaidByCard),
        Refunding("another patron's payment", As.Manager, "their payment", _ => Refund(null), Then.NotFound("credit_not_found"), Given.AnotherPatron),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Refunding_a_credit(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
