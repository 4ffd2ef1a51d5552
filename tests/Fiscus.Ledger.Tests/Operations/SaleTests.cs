using System.Globalization;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Sales;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="PointOfSale.SellAsync"/>: one debit per item and one PURCHASE credit paying them all, journaled to a register the
/// caller may use, nothing left outstanding; a patron named has them on the account with the balance unmoved. Only live,
/// sellable charges; what is handed over covers the total, and the change is what is left.
/// </summary>
public sealed class SaleTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    static SaleItem Item(string debitType, long priceMinor, int quantity = 1) => new(debitType, priceMinor, quantity, null);

    static Func<World, SaleCommand> Sale(string paymentType, params SaleItem[] items) =>
        w => new SaleCommand(w.Till, items, paymentType, null, null, null, SingleItem: items.Length == 1);

    static Row Selling(string what, Actor who, Func<World, SaleCommand> command, Then then, params Step[] given) =>
        new(what, given, who, Run.Alone((w, actor, c, t) => PointOfSale.SellAsync(c, t, command(w), actor, DateTimeOffset.UtcNow, Currency.Usd,
            CancellationToken.None), Describe), then);

    static string Describe(SaleResult sale) => string.Create(CultureInfo.InvariantCulture,
        $"total {sale.TotalMinor}, tendered {sale.TenderedMinor?.ToString(CultureInfo.InvariantCulture) ?? "-"}, change {sale.ChangeMinor?.ToString(CultureInfo.InvariantCulture) ?? "-"}");

    public static TheoryData<Row> Rows => new()
    {
        Selling("a print job in cash, by a cashier", As.Cashier, Sale("CASH", Item("PRINT", 300)),
            Then.Ok(0, "PRINT 300/0 @till#1 (no patron)", "PURCHASE -300/0 CASH @till#1 (no patron)").Answering("total 300, tendered -, change -")),
        Selling("a basket, with change", As.Cashier, w => Sale("CASH", Item("COPY", 15, 12), Item("PRINT", 110, 2))(w) with { TenderedMinor = 500 },
            Then.Ok(0, "COPY 180/0 @till#1 x12 (no patron)", "PRINT 220/0 @till#1 x2 (no patron)", "PURCHASE -400/0 CASH @till#1 (no patron)")
                .Answering("total 400, tendered 500, change 100")),
        Selling("the exact money", As.Cashier, w => Sale("CASH", Item("PRINT", 300))(w) with { TenderedMinor = 300 },
            Then.Ok(0, "PRINT 300/0 @till#1 (no patron)", "PURCHASE -300/0 CASH @till#1 (no patron)").Answering("total 300, tendered 300, change 0")),
        Selling("less than the total handed over", As.Cashier, w => Sale("CASH", Item("PRINT", 200, 3))(w) with { TenderedMinor = 599 },
            Then.Invalid("tendered_too_little", "amount_tendered")),
        Selling("by card", As.Cashier, Sale("CARD", Item("COPY", 30)),
            Then.Ok(0, "COPY 30/0 @till#1 (no patron)", "PURCHASE -30/0 CARD @till#1 (no patron)")),
        Selling("to a patron, whose balance does not move", As.Cashier, w => Sale("CARD", Item("PRINT", 300))(w) with { PatronId = w.Patron },
            Then.Ok(500, "PRINT 300/0 @till#1", "PURCHASE -300/0 CARD @till#1"), Given.Debit("fine", 500)),
        Selling("by a kiosk bound to the till", As.KioskAtTill, Sale("SIP00", Item("COPY", 30)),
            Then.Ok(0, "COPY 30/0 @till#1 (no patron)", "PURCHASE -30/0 SIP00 @till#1 (no patron)")),
        Selling("by a kiosk bound to the till, at another register", As.KioskAtTill, w => Sale("CASH", Item("COPY", 30))(w) with { CashRegisterId = w.OtherTill },
            Then.Forbidden("outside_binding")),
        Selling("at another library's register, recorded there", As.Cashier, w => Sale("CASH", Item("COPY", 30))(w) with { CashRegisterId = w.ElsewhereRegister },
            Then.Ok(0, $"COPY 30/0 @elsewhere#1 lib {Elsewhere} (no patron)", $"PURCHASE -30/0 CASH @elsewhere#1 lib {Elsewhere} (no patron)")),
        Selling("while the till is being counted: in its new session", As.Cashier, Sale("CASH", Item("COPY", 30)),
            Then.Ok(0, "COPY 30/0 @till#2 (no patron)", "PURCHASE -30/0 CASH @till#2 (no patron)"), Given.Sold("s", 100), Given.CountingStarted),
        Selling("during a shift at the till: its money is the shift's", As.Manager, Sale("CASH", Item("COPY", 30)),
            Then.Ok(0, "COPY 30/0 @till#1 (no patron)", "PURCHASE -30/0 CASH @till#1 in cashier's shift (no patron)"),
            Given.ShiftStarted(As.Cashier, 2000)),
        Selling("at a register that does not exist", As.Cashier, w => Sale("CASH", Item("COPY", 30))(w) with { CashRegisterId = World.UnknownRegister },
            Then.NotFound("register_not_found")),
        Selling("at an archived register", As.Cashier, w => Sale("CASH", Item("COPY", 30))(w) with { CashRegisterId = w.ArchivedRegister },
            Then.Invalid("register_archived", "cash_register_id")),
        Selling("in an unknown tender", As.Cashier, Sale("BITCOIN", Item("COPY", 30)), Then.Invalid("unknown_payment_type", "payment_type")),
        Selling("in an archived tender", As.Cashier, Sale(ArchivedPaymentType, Item("COPY", 30)), Then.Invalid("payment_type_archived", "payment_type")),
        Selling("a charge that is not for sale", As.Cashier, Sale("CASH", Item("OVERDUE", 100)), Then.Invalid("debit_type_not_sellable", "debit_type")),
        Selling("an unknown item", As.Cashier, Sale("CASH", Item("NOPE", 100)), Then.Invalid("unknown_debit_type", "debit_type")),
        Selling("an archived item", As.Cashier, Sale("CASH", Item(ArchivedDebitType, 100)), Then.Invalid("debit_type_archived", "debit_type")),
        Selling("a VOID", As.Manager, Sale("CASH", Item("VOID", 100)), Then.Invalid("debit_type_reserved", "debit_type")),
        Selling("a PAYOUT, even marked sellable", As.Manager, Sale("CASH", Item("PAYOUT", 100)), Then.Invalid("debit_type_not_sellable", "debit_type"),
            Given.Sql("UPDATE debit_types SET can_be_sold = true WHERE code = 'PAYOUT'")),
        Selling("a basket with one item not for sale", As.Cashier, Sale("CASH", Item("PRINT", 100), Item("LOST", 500)),
            Then.Invalid("debit_type_not_sellable", "items[1].debit_type")),
        Selling("a basket with two bad items: each named, the first one's code", As.Cashier, Sale("CASH", Item("NOPE", 100), Item("PRINT", 1), Item("LOST", 500)),
            Then.Invalid("unknown_debit_type", "items[0].debit_type", "items[2].debit_type")),
        Selling("a basket over the largest amount", As.Cashier, Sale("CARD", Item("PRINT", 50_000_001, 2)), Then.Invalid("sale_too_large", "items")),
        Selling("a basket of exactly the largest amount", As.Cashier, Sale("CARD", Item("PRINT", 50_000_000, 2)),
            Then.Ok(0, "PRINT 100000000/0 @till#1 x2 (no patron)", "PURCHASE -100000000/0 CARD @till#1 (no patron)")),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Selling_at_the_counter(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
