using Fiscus.Ledger.Accounts;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.AddDebitAsync"/>: a charge on an account, or a PAYOUT (money paid out to the patron), which needs
/// refunds:write, a payout type and, for cash, a register the caller may use. Fiscus's own debit types are not for callers.
/// </summary>
public sealed class AddDebitTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    static AddDebitCommand Charge(string type, long amountMinor) => new(type, amountMinor, null, null, null, null, null, null);

    static AddDebitCommand Payout(long amountMinor, string? payoutType, int? register) =>
        new(LineTypes.Payout, amountMinor, null, null, null, register, payoutType, null);

    static Row Debit(string what, Actor who, Func<World, AddDebitCommand> command, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.AddDebitAsync(account, command(w)), c => c.BalanceMinor), then);

    public static TheoryData<Row> Rows => new()
    {
        Debit("a charge, by a cashier", As.Cashier, _ => Charge("MANUAL", 500), Then.Ok(500, "MANUAL 500/500")),
        Debit("a charge leaves a credit on the account unapplied", As.Cashier, _ => Charge("OVERDUE", 200),
            Then.Ok(-300, "OVERDUE 200/200"), Given.Payment("p", 500)),
        Debit("a charge recorded at another library", As.Manager, _ => Charge("LOST", 1200) with { LibraryId = Elsewhere },
            Then.Ok(1200, "LOST 1200/1200 lib ELSEWHERE")),
        Debit("a charge by a kiosk bound to the till is not journaled to it", As.KioskAtTill, _ => Charge("PRINT", 30),
            Then.Ok(30, "PRINT 30/30")),
        Debit("an unknown type", As.Cashier, _ => Charge("NOPE", 500), Then.Invalid("unknown_debit_type", "type")),
        Debit("an archived type", As.Cashier, _ => Charge(ArchivedDebitType, 500), Then.Invalid("debit_type_archived", "type")),
        Debit("VOID is written only by Fiscus", As.Manager, _ => Charge("VOID", 500), Then.Invalid("debit_type_reserved", "type")),
        Debit("CASHUP_DEFICIT is written only by Fiscus", As.Manager, _ => Charge("CASHUP_DEFICIT", 500),
            Then.Invalid("debit_type_reserved", "type")),
        Debit("PAID_OUT is written only by Fiscus", As.Manager, _ => Charge("PAID_OUT", 500), Then.Invalid("debit_type_reserved", "type")),
        Debit("a register on a charge", As.Manager, w => Charge("MANUAL", 500) with { CashRegisterId = w.Till },
            Then.Invalid("validation_failed", "cash_register_id")),
        Debit("a payout type on a charge", As.Manager, _ => Charge("MANUAL", 500) with { PayoutType = "CASH" },
            Then.Invalid("validation_failed", "payout_type")),
        Debit("an unknown library", As.Manager, _ => Charge("MANUAL", 500) with { LibraryId = "NOWHERE" },
            Then.Invalid("unknown_library", "library_id")),
        Debit("a client bound to MAIN charging at another library", As.BackOfficeOfMain, _ => Charge("MANUAL", 500) with { LibraryId = Elsewhere },
            Then.Forbidden("outside_binding")),

        Debit("a cash PAYOUT from the till", As.Manager, w => Payout(4000, "CASH", w.Till), Then.Ok(4000, "PAYOUT 4000/4000 CASH @till#1")),
        Debit("a PAYOUT against a credit on the account", As.Manager, _ => Payout(4000, "CARD", null),
            Then.Ok(0, "PAYOUT 4000/4000 CARD"), Given.Payment("p", 4000)),
        Debit("a PAYOUT by a cashier", As.Cashier, w => Payout(4000, "CASH", w.Till), Then.Forbidden()),
        Debit("a PAYOUT by a kiosk", As.KioskAtTill, w => Payout(4000, "CASH", w.Till), Then.Forbidden()),
        Debit("a PAYOUT naming no payout type", As.Manager, w => Payout(4000, null, w.Till), Then.Invalid("payout_type_required", "payout_type")),
        Debit("a PAYOUT in an unknown payout type", As.Manager, w => Payout(4000, "BITCOIN", w.Till),
            Then.Invalid("unknown_payment_type", "payout_type")),
        Debit("a PAYOUT in an archived payout type", As.Manager, _ => Payout(4000, ArchivedPaymentType, null),
            Then.Invalid("payment_type_archived", "payout_type")),
        Debit("a cash PAYOUT with no register", As.Manager, _ => Payout(4000, "CASH", null), Then.Invalid("register_required", "cash_register_id")),
        Debit("a cash PAYOUT at an unknown register", As.Manager, _ => Payout(4000, "CASH", World.UnknownRegister),
            Then.Invalid("unknown_register", "cash_register_id")),
        Debit("a cash PAYOUT at an archived register", As.Manager, w => Payout(4000, "CASH", w.ArchivedRegister),
            Then.Invalid("register_archived", "cash_register_id")),
        Debit("a cash PAYOUT at another library's register is recorded there", As.Manager, w => Payout(4000, "CASH", w.ElsewhereRegister),
            Then.Ok(4000, $"PAYOUT 4000/4000 CASH @elsewhere#1 lib {Elsewhere}")),
        Debit("a cash PAYOUT by a client bound to the till goes through it unasked", As.BackOfficeAtTill, _ => Payout(4000, "CASH", null),
            Then.Ok(4000, "PAYOUT 4000/4000 CASH @till#1")),
        Debit("a cash PAYOUT by a client bound to another register, from the till", As.BackOfficeAtOther, w => Payout(4000, "CASH", w.Till),
            Then.Forbidden("outside_binding")),
        Debit("a card PAYOUT needs no register", As.Manager, _ => Payout(4000, "CARD", null), Then.Ok(4000, "PAYOUT 4000/4000 CARD")),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Adding_a_debit(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
