using Fiscus.Ledger.Sales;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="PointOfSale.RefundAsync"/>: needs refunds:write; (part of) a sold item given back as a REFUND credit against it and a
/// PAYOUT from the register it is refunded at, in the sale's tender unless another is named (one that allows refunds). Never more
/// than its price; a client bound to a register refunds only what was sold there, and only there.
/// </summary>
public sealed class SaleRefundTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>A 3.00 print job sold for cash at the till ("s").</summary>
    static readonly Step Sold = Given.Sold("s", 300);

    static Func<World, PosRefundCommand> Refund(long? amountMinor, string? payoutType = null) =>
        w => new PosRefundCommand(w.Till, w["s"], amountMinor, payoutType, "misprint");

    static Row Refunding(string what, Actor who, Func<World, PosRefundCommand> command, Then then, params Step[] given) =>
        new(what, given, who, Run.Alone((w, actor, c, t) => PointOfSale.RefundAsync(c, t, command(w), actor, DateTimeOffset.UtcNow,
            CancellationToken.None), r => $"item {r.Item.Status ?? "not refunded in full"}"), then);

    public static TheoryData<Row> Rows => new()
    {
        Refunding("part of an item, out of the till", As.Manager, Refund(125),
            Then.Ok(0, "REFUND -125/0 (no patron)", "PAYOUT 125/0 CASH @till#1 PAID (no patron)").Answering("item not refunded in full"), Sold),
        Refunding("all of an item", As.Manager, Refund(null),
            Then.Ok(0, "now PRINT 300/0 @till#1 REFUNDED (no patron)", "REFUND -300/0 (no patron)", "PAYOUT 300/0 CASH @till#1 PAID (no patron)")
                .Answering("item REFUNDED"), Sold),
        Refunding("the rest after a part", As.Manager, Refund(null),
            Then.Ok(0, "now PRINT 300/0 @till#1 REFUNDED (no patron)", "REFUND -175/0 (no patron)", "PAYOUT 175/0 CASH @till#1 PAID (no patron)"),
            Sold, Given.SaleRefunded("s", 125)),
        Refunding("more than its price", As.Manager, Refund(301), Then.Invalid("amount_exceeds_refundable", "amount"), Sold),
        Refunding("more than is left after a part", As.Manager, Refund(176), Then.Invalid("amount_exceeds_refundable", "amount"),
            Sold, Given.SaleRefunded("s", 125)),
        Refunding("an item refunded in full", As.Manager, Refund(null), Then.Conflict("already_refunded"), Sold, Given.SaleRefunded("s", 300)),
        Refunding("by a cashier", As.Cashier, Refund(null), Then.Forbidden(), Sold),
        Refunding("paid back by card", As.Manager, Refund(125, "CARD"),
            Then.Ok(0, "REFUND -125/0 (no patron)", "PAYOUT 125/0 CARD @till#1 PAID (no patron)"), Sold),
        Refunding("paid back in a tender that refunds nothing", As.Manager, Refund(125, NoRefundPaymentType),
            Then.Invalid("refund_not_allowed", "payout_type"), Sold),
        Refunding("sold in a tender that refunds nothing", As.Manager, Refund(null),
            Then.Invalid("refund_not_allowed", "payout_type"), Given.Sold("s", 300, NoRefundPaymentType)),
        Refunding("paid back in an unknown tender", As.Manager, Refund(125, "BITCOIN"), Then.Invalid("unknown_payment_type", "payout_type"), Sold),
        Refunding("at another register, by staff", As.Manager, w => Refund(125)(w) with { CashRegisterId = w.OtherTill },
            Then.Ok(0, "REFUND -125/0 (no patron)", "PAYOUT 125/0 CASH @other#1 PAID (no patron)"), Sold),
        Refunding("at another library's register, recorded there", As.Manager, w => Refund(125)(w) with { CashRegisterId = w.ElsewhereRegister },
            Then.Ok(0, $"REFUND -125/0 lib {Elsewhere} (no patron)", $"PAYOUT 125/0 CASH @elsewhere#1 PAID lib {Elsewhere} (no patron)"), Sold),
        Refunding("by a client bound to the till it was sold at", As.BackOfficeAtTill, Refund(125),
            Then.Ok(0, "REFUND -125/0 (no patron)", "PAYOUT 125/0 CASH @till#1 PAID (no patron)"), Sold),
        Refunding("by a client bound to another register, at the till", As.BackOfficeAtOther, Refund(125), Then.Forbidden("outside_binding"), Sold),
        Refunding("by a client bound to another register, at its own", As.BackOfficeAtOther, w => Refund(125)(w) with { CashRegisterId = w.OtherTill },
            Then.Forbidden("outside_binding"), Sold),
        Refunding("at a register that does not exist", As.Manager, w => Refund(125)(w) with { CashRegisterId = World.UnknownRegister },
            Then.NotFound("register_not_found"), Sold),
        Refunding("at an archived register", As.Manager, w => Refund(125)(w) with { CashRegisterId = w.ArchivedRegister },
            Then.Invalid("register_archived", "cash_register_id"), Sold),
        Refunding("an item sold to a patron: on their account, the balance unmoved", As.Manager, Refund(null),
            Then.Ok(0, "now PRINT 300/0 @till#1 REFUNDED", "REFUND -300/0", "PAYOUT 300/0 CARD @till#1 PAID"), Given.Sold("s", 300, "CARD", toPatron: true)),
        Refunding("a sale's PURCHASE credit", As.Manager, w => Refund(null)(w) with { AccountLineId = w["s/purchase"] },
            Then.Invalid("unknown_sale_item", "account_line_id"), Sold),
        Refunding("a line that does not exist", As.Manager, w => Refund(null)(w) with { AccountLineId = World.UnknownLine },
            Then.Invalid("unknown_sale_item", "account_line_id"), Sold),
        Refunding("a charge on an account, not sold at a register", As.Manager, w => Refund(null)(w) with { AccountLineId = w["fine"] },
            Then.Invalid("not_a_sale", "account_line_id"), Sold, Given.Debit("fine", 200)),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Refunding_a_sold_item(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
