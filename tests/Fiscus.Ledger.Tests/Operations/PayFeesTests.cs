using Fiscus.Ledger.Accounts;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.PayFeesAsync"/> (SIP2's Fee Paid): one payment, to the named fee first, then the oldest debts;
/// more than is owed refused, or kept as credit when the kiosk's login allows it; cash into the kiosk's register.
/// </summary>
public sealed class PayFeesTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    static readonly Step[] Fines = [Given.Debit("c1", 600), Given.Debit("c2", 600), Given.Debit("c3", 400)];

    static Func<World, PayFeesCommand> Fee(long amountMinor, string paymentType = "CARD", string? fee = null, bool credit = false) =>
        w => new PayFeesCommand(amountMinor, paymentType, paymentType == "SIP00" ? w.Till : null, fee is null ? null : w[fee], credit,
            "SIP2 fee paid", null, null);

    static Row Paying(string what, Actor who, Func<World, PayFeesCommand> command, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.PayFeesAsync(account, command(w)), r => r.BalanceMinor,
            r => $"{r.Paid.Count} paid, {-r.Payment.AmountOutstandingMinor} credit"), then);

    public static TheoryData<Row> Rows => new()
    {
        Paying("no fee named: the oldest debts first, one payment", As.KioskAtTill, Fee(1000, "SIP00"),
            Then.Ok(600, "now MANUAL 600/0", "now MANUAL 600/200", "PAYMENT -1000/0 SIP00 @till#1").Answering("2 paid, 0 credit"), Fines),
        // A kiosk bound to its till journals every payment there, cash or card (its register's takings).
        Paying("the named fee", As.KioskAtTill, Fee(400, fee: "c3"), Then.Ok(1200, "now MANUAL 400/0", "PAYMENT -400/0 CARD @till#1"), Fines),
        Paying("part of the named fee", As.KioskAtTill, Fee(100, fee: "c2"), Then.Ok(1500, "now MANUAL 600/500", "PAYMENT -100/0 CARD @till#1"), Fines),
        Paying("more than is owed, refused", As.KioskAtTill, Fee(1601), Then.Invalid("amount_exceeds_owed", "amount"), Fines),
        Paying("more than the named fee owes, refused even with other debts", As.KioskAtTill, Fee(500, fee: "c3"),
            Then.Invalid("amount_exceeds_owed", "amount"), Fines),
        Paying("more than is owed, the named fee first, then the oldest, the rest as credit", As.KioskAtTill, Fee(1700, fee: "c3", credit: true),
            Then.Ok(-100, "now MANUAL 600/0", "now MANUAL 600/0", "now MANUAL 400/0", "PAYMENT -1700/-100 CARD @till#1").Answering("3 paid, 100 credit"),
            Fines),
        Paying("a patron in credit owes their balance, not their debts", As.KioskAtTill, Fee(1600), Then.Invalid("amount_exceeds_owed", "amount"),
            [Given.Payment("p", 100), .. Fines]),
        Paying("a patron in credit pays their balance", As.KioskAtTill, Fee(1500),
            Then.Ok(0, "now MANUAL 600/0", "now MANUAL 600/0", "now MANUAL 400/100", "PAYMENT -1500/0 CARD @till#1"), [Given.Payment("p", 100), .. Fines]),
        Paying("nothing owed", As.KioskAtTill, Fee(100), Then.Conflict("nothing_owed")),
        Paying("nothing owed, all of it credit when allowed", As.KioskAtTill, Fee(100, credit: true),
            Then.Ok(-100, "PAYMENT -100/-100 CARD @till#1").Answering("0 paid, 100 credit")),
        Paying("a fee already paid", As.KioskAtTill, Fee(100, fee: "c3"), Then.Conflict("fee_already_paid"),
            [.. Fines, Given.Payment("p", 400, "CARD", "c3")]),
        Paying("a credit named as the fee", As.KioskAtTill, Fee(100, fee: "p"), Then.Invalid("not_debits", "fee_id"),
            [.. Fines, Given.Payment("p", 100)]),
        Paying("another patron's fee", As.KioskAtTill, Fee(100, fee: "their charge"), Then.Invalid("unknown_account_lines", "fee_id"),
            [.. Fines, Given.AnotherPatron]),
        Paying("cash by a kiosk into another register", As.KioskAtTill, w => Fee(400, "SIP00")(w) with { CashRegisterId = w.OtherTill },
            Then.Forbidden("outside_binding"), Fines),
        Paying("cash with no register", As.KioskAtTill, w => Fee(400, "SIP00")(w) with { CashRegisterId = null },
            Then.Ok(1200, "now MANUAL 600/200", "PAYMENT -400/0 SIP00 @till#1"), Fines),
        Paying("an unknown tender", As.KioskAtTill, Fee(400, "BITCOIN"), Then.Invalid("unknown_payment_type", "payment_type"), Fines),
        Paying("an archived tender", As.KioskAtTill, Fee(400, ArchivedPaymentType), Then.Invalid("payment_type_archived", "payment_type"), Fines),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Paying_fees(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
