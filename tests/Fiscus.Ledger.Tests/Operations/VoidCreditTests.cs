using Fiscus.Ledger.Accounts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.VoidCreditAsync"/>: needs refunds:write; the credit's applications are reversed and a VOID debit
/// absorbs it, sending money back out of the register it came into (which must still be in use and the caller's), in that
/// register's open session. Credits that are part of another action, and refunded ones, are not voided.
/// </summary>
public sealed class VoidCreditTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>4.00 ("a") and 6.00 ("b") owed, and 12.00 paid in cash at the till ("p"): both paid, 2.00 in credit.</summary>
    static readonly Step[] PaidInCash = [Given.Debit("a", 400), Given.Debit("b", 600), Given.Payment("p", 1200, "CASH")];

    static Row Void(string what, Actor who, string credit, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.VoidCreditAsync(account, w[credit], "keyed twice"),
            c => c.BalanceMinor, c => "voided " + c.Line.CreditTypeCode), then);

    static Row VoidLine(string what, long line, Then then, params Step[] given) =>
        new(what, given, As.Manager, Run.OnAccount((_, account) => AccountOperations.VoidCreditAsync(account, line, null), c => c.BalanceMinor), then);

    public static TheoryData<Row> Rows => new()
    {
        Void("a cash payment: the charges owe again and the cash leaves the till", As.Manager, "p",
            Then.Ok(1000, "now MANUAL 400/400", "now MANUAL 600/600", "now PAYMENT -1200/0 CASH @till#1 VOID", "VOID 1200/0 CASH @till#1")
                .Answering("voided PAYMENT"), PaidInCash),
        Void("by a cashier", As.Cashier, "p", Then.Forbidden(), PaidInCash),
        Void("by a kiosk bound to the till it was taken at", As.KioskAtTill, "p", Then.Forbidden(), PaidInCash),
        Void("by a client bound to the till it was taken at", As.BackOfficeAtTill, "p",
            Then.Ok(1000, "now MANUAL 400/400", "now MANUAL 600/600", "now PAYMENT -1200/0 CASH @till#1 VOID", "VOID 1200/0 CASH @till#1"),
            PaidInCash),
        Void("by a client bound to another register than the one it was taken at", As.BackOfficeAtOther, "p",
            Then.Forbidden("outside_binding"), PaidInCash),
        Void("twice", As.Manager, "p", Then.Conflict("credit_already_void"), [.. PaidInCash, Given.Voided("p")]),
        Void("after the till was cashed up: the cash leaves its next session", As.Manager, "p",
            Then.Ok(1000, "now MANUAL 400/400", "now MANUAL 600/600", "now PAYMENT -1200/0 CASH @till#1 VOID", "VOID 1200/0 CASH @till#2"),
            [.. PaidInCash, Given.CashedUp]),
        Void("while the till is being counted: the cash leaves the session taking money", As.Manager, "p",
            Then.Ok(1000, "now MANUAL 400/400", "now MANUAL 600/600", "now PAYMENT -1200/0 CASH @till#1 VOID", "VOID 1200/0 CASH @till#2"),
            [.. PaidInCash, Given.CountingStarted]),
        Void("taken at a register since archived", As.Manager, "p", Then.Conflict("register_archived"),
            [.. PaidInCash, Given.CashedUp, Given.TillArchived]),
        Void("a card payment applied to nothing", As.Manager, "c", Then.Ok(0, "now PAYMENT -300/0 CARD VOID", "VOID 300/0 CARD"),
            Given.Payment("c", 300)),
        Void("a write-off: the charge owes again", As.Manager, "w",
            Then.Ok(400, "now MANUAL 400/400", "now WRITEOFF -150/0 VOID", "VOID 150/0").Answering("voided WRITEOFF"),
            Given.Debit("a", 400), Given.Adjustment("w", "WRITEOFF", 150)),
        Void("a payment partly refunded", As.Manager, "c", Then.Conflict("credit_refunded"), Given.Payment("c", 300), Given.Refunded("c", 100)),
        Void("a payment whose charge was refunded", As.Manager, "c", Then.Conflict("credit_refunded"),
            Given.Debit("a", 300), Given.Payment("c", 300), Given.Refunded("c", 100)),
        Void("a REFUND credit", As.Manager, "c/refund", Then.Conflict("credit_not_voidable"),
            Given.Debit("a", 300), Given.Payment("c", 300), Given.Refunded("c", 100)),
        Void("a CANCELLATION credit", As.Manager, "a/cancellation", Then.Conflict("credit_not_voidable"),
            Given.Debit("a", 300), Given.Cancelled("a")),
        Void("a sale's PURCHASE credit", As.Manager, "s/purchase", Then.Conflict("credit_not_voidable"), Given.Sold("s", 200, "CARD", toPatron: true)),
        Void("a debit", As.Manager, "a", Then.NotFound("credit_not_found"), PaidInCash),
        Void("another patron's payment", As.Manager, "their payment", Then.NotFound("credit_not_found"), Given.AnotherPatron),
        VoidLine("a line that does not exist", World.UnknownLine, Then.NotFound("credit_not_found")),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Voiding_a_credit(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
