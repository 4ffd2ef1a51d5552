using Fiscus.Ledger.Accounts;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.PayChargesAsync"/> (Polaris' pay): the listed charges, oldest first, one payment each; what is
/// left over is a credit only when the caller allows it. Cash goes through a register the caller may use.
/// </summary>
public sealed class PayChargesTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>Polaris' seed example: charges of 6.00, 6.00 and 4.00.</summary>
    static readonly Step[] Charges = [Given.Debit("c1", 600), Given.Debit("c2", 600), Given.Debit("c3", 400)];

    static Func<World, PayChargesCommand> Pay(long amountMinor, string paymentType, bool overpayment, params string[] charges) =>
        w => new PayChargesCommand([.. charges.Select(c => w[c])], amountMinor, paymentType, paymentType == "CASH" ? w.Till : null, overpayment, null);

    static Row Paying(string what, Actor who, Func<World, PayChargesCommand> command, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.PayChargesAsync(account, command(w)), r => r.BalanceMinor,
            r => $"{r.Payments.Count} payments, {r.Charges.Count} charges paid"), then);

    public static TheoryData<Row> Rows => new()
    {
        Paying("the seed example: 10.00 over the three, oldest first, one payment each", As.Cashier, Pay(1000, "CASH", false, "c1", "c2", "c3"),
            Then.Ok(600, "now MANUAL 600/0", "now MANUAL 600/200", "PAYMENT -600/0 CASH @till#1", "PAYMENT -400/0 CASH @till#1")
                .Answering("2 payments, 2 charges paid"), Charges),
        Paying("listed in any order, paid oldest first", As.Cashier, Pay(500, "CARD", false, "c3", "c1"),
            Then.Ok(1100, "now MANUAL 600/100", "PAYMENT -500/0 CARD").Answering("1 payments, 1 charges paid"), Charges),
        Paying("only the listed charges", As.Cashier, Pay(400, "CARD", false, "c3"), Then.Ok(1200, "now MANUAL 400/0", "PAYMENT -400/0 CARD"), Charges),
        Paying("a charge listed twice is paid once", As.Cashier, Pay(400, "CARD", false, "c3", "c3"),
            Then.Ok(1200, "now MANUAL 400/0", "PAYMENT -400/0 CARD"), Charges),
        Paying("a charge already paid is passed over", As.Cashier, Pay(300, "CARD", false, "c1", "c2"),
            Then.Ok(700, "now MANUAL 600/300", "PAYMENT -300/0 CARD"), [.. Charges, Given.Payment("p", 600, "CARD", "c1")]),
        Paying("more than they owe, refused", As.Cashier, Pay(500, "CARD", false, "c3"), Then.Invalid("amount_exceeds_charges", "amount"), Charges),
        Paying("more than they owe, the rest as credit", As.Cashier, Pay(500, "CARD", true, "c3"),
            Then.Ok(1100, "now MANUAL 400/0", "PAYMENT -400/0 CARD", "PAYMENT -100/-100 CARD").Answering("2 payments, 1 charges paid"), Charges),
        Paying("charges paid already, all of it credit", As.Cashier, Pay(500, "CARD", true, "c3"),
            Then.Ok(700, "PAYMENT -500/-500 CARD").Answering("1 payments, 0 charges paid"), [.. Charges, Given.Payment("p", 400, "CARD", "c3")]),
        Paying("a listed credit", As.Cashier, Pay(100, "CARD", false, "c1", "p"), Then.Invalid("not_debits", "charge_ids"),
            [.. Charges, Given.Payment("p", 100)]),
        Paying("another patron's charge", As.Cashier, Pay(100, "CARD", false, "their charge"), Then.Invalid("unknown_account_lines", "charge_ids"),
            [.. Charges, Given.AnotherPatron]),
        Paying("a charge that does not exist", As.Cashier,
            w => new PayChargesCommand([World.UnknownLine], 100, "CARD", null, false, null), Then.Invalid("unknown_account_lines", "charge_ids")),
        Paying("cash with no register", As.Cashier, w => Pay(400, "CASH", false, "c3")(w) with { CashRegisterId = null },
            Then.Invalid("register_required", "cash_register_id"), Charges),
        Paying("cash by a kiosk bound to the till goes into it", As.KioskAtTill, w => Pay(400, "CASH", false, "c3")(w) with { CashRegisterId = null },
            Then.Ok(1200, "now MANUAL 400/0", "PAYMENT -400/0 CASH @till#1"), Charges),
        Paying("cash by a kiosk bound to the till into another", As.KioskAtTill, w => Pay(400, "CASH", false, "c3")(w) with { CashRegisterId = w.OtherTill },
            Then.Forbidden("outside_binding"), Charges),
        Paying("cash at an archived register", As.Cashier, w => Pay(400, "CASH", false, "c3")(w) with { CashRegisterId = w.ArchivedRegister },
            Then.Invalid("register_archived", "cash_register_id"), Charges),
        Paying("an unknown tender", As.Cashier, Pay(400, "BITCOIN", false, "c3"), Then.Invalid("unknown_payment_type", "payment_type"), Charges),
        Paying("an archived tender", As.Cashier, Pay(400, ArchivedPaymentType, false, "c3"), Then.Invalid("payment_type_archived", "payment_type"), Charges),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Paying_listed_charges(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
