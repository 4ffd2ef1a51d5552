using Fiscus.Ledger.Accounts;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.AddCreditAsync"/>: a payment says how it was paid (cash through a register the caller may use),
/// and is applied to the listed charges, then to the oldest; a credit that is not a payment needs refunds:write and moves no
/// money. Fiscus's own credit types are not for callers.
/// </summary>
public sealed class AddCreditTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>The row's patron owes 4.00 ("a") and, since after it, 6.00 ("b").</summary>
    static readonly Step[] Owing = [Given.Debit("a", 400), Given.Debit("b", 600)];

    static AddCreditCommand Pay(long amountMinor, string? paymentType, int? register = null, params long[] listed) =>
        new(LineTypes.Payment, amountMinor, paymentType, register, listed, null, null, null);

    static AddCreditCommand Adjust(string creditType, long amountMinor) => new(creditType, amountMinor, null, null, [], null, null, null);

    static Row Credit(string what, Actor who, Func<World, AddCreditCommand> command, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.AddCreditAsync(account, command(w)), c => c.BalanceMinor), then);

    public static TheoryData<Row> Rows => new()
    {
        Credit("a card payment pays the oldest charge first", As.Cashier, _ => Pay(300, "CARD"),
            Then.Ok(700, "now MANUAL 400/100", "PAYMENT -300/0 CARD"), Owing),
        Credit("a cash payment of more than is owed pays all and stays as credit", As.Cashier, w => Pay(1200, "CASH", w.Till),
            Then.Ok(-200, "now MANUAL 400/0", "now MANUAL 600/0", "PAYMENT -1200/-200 CASH @till#1"), Owing),
        Credit("the listed charge is paid first", As.Cashier, w => Pay(500, "CARD", null, w["b"]),
            Then.Ok(500, "now MANUAL 600/100", "PAYMENT -500/0 CARD"), Owing),
        Credit("the listed charge first, then the oldest", As.Cashier, w => Pay(700, "CARD", null, w["b"]),
            Then.Ok(300, "now MANUAL 400/300", "now MANUAL 600/0", "PAYMENT -700/0 CARD"), Owing),
        Credit("a charge listed twice is paid once", As.Cashier, w => Pay(500, "CARD", null, w["b"], w["b"]),
            Then.Ok(500, "now MANUAL 600/100", "PAYMENT -500/0 CARD"), Owing),
        Credit("a paid charge listed is passed over", As.Cashier, w => Pay(200, "CARD", null, w["a"]),
            Then.Ok(400, "now MANUAL 600/400", "PAYMENT -200/0 CARD"), [.. Owing, Given.Payment("p", 400, "CARD", "a")]),
        Credit("a listed credit", As.Cashier, w => Pay(200, "CARD", null, w["p"]),
            Then.Invalid("not_debits", "account_lines_ids"), [.. Owing, Given.Payment("p", 100)]),
        Credit("a listed line of another patron", As.Cashier, w => Pay(200, "CARD", null, w["their charge"]),
            Then.Invalid("unknown_account_lines", "account_lines_ids"), [.. Owing, Given.AnotherPatron]),
        Credit("a listed line that does not exist", As.Cashier, _ => Pay(200, "CARD", null, World.UnknownLine),
            Then.Invalid("unknown_account_lines", "account_lines_ids"), Owing),
        Credit("a card payment taken at a register is journaled to it", As.Cashier, w => Pay(300, "CARD", w.Till),
            Then.Ok(700, "now MANUAL 400/100", "PAYMENT -300/0 CARD @till#1"), Owing),
        Credit("a payment at another library's register is recorded there", As.Cashier, w => Pay(1000, "CASH", w.ElsewhereRegister),
            Then.Ok(0, "now MANUAL 400/0", "now MANUAL 600/0", $"PAYMENT -1000/0 CASH @elsewhere#1 lib {Elsewhere}"), Owing),
        Credit("a kiosk bound to the till takes cash into it unasked", As.KioskAtTill, _ => Pay(400, "CASH"),
            Then.Ok(600, "now MANUAL 400/0", "PAYMENT -400/0 CASH @till#1"), Owing),
        Credit("a kiosk bound to the till cannot take cash into another", As.KioskAtTill, w => Pay(400, "CASH", w.OtherTill),
            Then.Forbidden("outside_binding"), Owing),
        Credit("a payment naming no tender", As.Cashier, _ => Pay(300, null), Then.Invalid("payment_type_required", "payment_type"), Owing),
        Credit("a payment in an unknown tender", As.Cashier, _ => Pay(300, "BITCOIN"), Then.Invalid("unknown_payment_type", "payment_type"), Owing),
        Credit("a payment in an archived tender", As.Cashier, _ => Pay(300, ArchivedPaymentType),
            Then.Invalid("payment_type_archived", "payment_type"), Owing),
        Credit("cash with no register", As.Cashier, _ => Pay(300, "CASH"), Then.Invalid("register_required", "cash_register_id"), Owing),
        Credit("SIP2 cash counts as cash too", As.Cashier, _ => Pay(300, "SIP00"), Then.Invalid("register_required", "cash_register_id"), Owing),
        Credit("cash at an unknown register", As.Cashier, _ => Pay(300, "CASH", World.UnknownRegister),
            Then.Invalid("unknown_register", "cash_register_id"), Owing),
        Credit("cash at an archived register", As.Cashier, w => Pay(300, "CASH", w.ArchivedRegister),
            Then.Invalid("register_archived", "cash_register_id"), Owing),
        Credit("an unknown library", As.Cashier, _ => Pay(300, "CARD") with { LibraryId = "NOWHERE" },
            Then.Invalid("unknown_library", "library_id"), Owing),

        Credit("a write-off by a cashier", As.Cashier, _ => Adjust("WRITEOFF", 1000), Then.Forbidden(), Owing),
        Credit("a write-off by a kiosk", As.KioskAtTill, _ => Adjust("FORGIVEN", 1000), Then.Forbidden(), Owing),
        Credit("a write-off by a manager moves no money", As.Manager, _ => Adjust("WRITEOFF", 1000),
            Then.Ok(0, "now MANUAL 400/0", "now MANUAL 600/0", "WRITEOFF -1000/0"), Owing),
        Credit("a goodwill credit beyond what is owed stays as credit", As.Manager, _ => Adjust("CREDIT", 1500),
            Then.Ok(-500, "now MANUAL 400/0", "now MANUAL 600/0", "CREDIT -1500/-500"), Owing),
        Credit("a forgiveness naming a tender", As.Manager, _ => Adjust("FORGIVEN", 300) with { PaymentType = "CASH" },
            Then.Invalid("validation_failed", "payment_type"), Owing),
        Credit("a goodwill credit at a register", As.Manager, w => Adjust("CREDIT", 300) with { CashRegisterId = w.Till },
            Then.Invalid("validation_failed", "cash_register_id"), Owing),
        Credit("an unknown credit type", As.Manager, _ => Adjust("GIFT", 300), Then.Invalid("unknown_credit_type", "credit_type"), Owing),
        Credit("an archived credit type", As.Manager, _ => Adjust(ArchivedCreditType, 300), Then.Invalid("credit_type_archived", "credit_type"), Owing),
        Credit("REFUND is written only by a refund", As.Manager, _ => Adjust("REFUND", 300), Then.Invalid("credit_type_reserved", "credit_type"), Owing),
        Credit("CANCELLATION is written only by a cancellation", As.Manager, _ => Adjust("CANCELLATION", 300),
            Then.Invalid("credit_type_reserved", "credit_type"), Owing),
        Credit("PURCHASE is written only by a sale, even with a tender", As.Cashier, w => Pay(300, "CASH", w.Till) with { CreditType = "PURCHASE" },
            Then.Invalid("credit_type_reserved", "credit_type"), Owing),
        Credit("CASHUP_SURPLUS is written only by a cash-up", As.Manager, w => Pay(300, "CASH", w.Till) with { CreditType = "CASHUP_SURPLUS" },
            Then.Invalid("credit_type_reserved", "credit_type"), Owing),
        Credit("PAID_IN is written only by a shift", As.Manager, w => Pay(300, "CASH", w.Till) with { CreditType = "PAID_IN" },
            Then.Invalid("credit_type_reserved", "credit_type"), Owing),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Adding_a_credit(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
