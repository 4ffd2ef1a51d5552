using Fiscus.Ledger.Accounts;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.IntakeAsync"/> (Koha bug 42785): a charge and the payment of it at once, applied to each other
/// and to nothing else, so the account's balance does not move. Money out is no charge.
/// </summary>
public sealed class IntakeTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    static IntakeCommand Intake(string debitType, long amountMinor, string paymentType, int? register = null) =>
        new(debitType, amountMinor, paymentType, register, null, null, null, null);

    /// <summary>
    /// Rows as the intake endpoint runs them: with the debit type, payment type and register read together with the account lock
    /// (<paramref name="Preloaded"/>), or each when the command asks for it.
    /// </summary>
    sealed record Rows(bool Preloaded)
    {
        public Row Take(string what, Actor who, Func<World, IntakeCommand> command, Then then, params Step[] given) =>
            new(Preloaded ? what + ", its references read with the lock" : what, given, who, async (w, actor) =>
            {
                var intake = command(w);
                var preload = Preloaded
                    ? new ReferencePreload(intake.DebitType, intake.PaymentType, intake.CashRegisterId ?? actor.Binding.CashRegisterId)
                    : null;
                return Answer.Of(await w.OnAccountAsync(actor, account => AccountOperations.IntakeAsync(account, intake), preload: preload),
                    balanceMinor: r => r.BalanceMinor);
            }, then);
    }

    /// <summary>The row's patron owes 5.00, which an intake leaves alone.</summary>
    static readonly Step Owing = Given.Debit("fine", 500);

    public static TheoryData<Row> Asked => Table(new Rows(Preloaded: false));

    public static TheoryData<Row> Preloaded => Table(new Rows(Preloaded: true));

    static TheoryData<Row> Table(Rows rows) => new()
    {
        rows.Take("cash by a kiosk bound to the till goes into it, and the debt stays", As.KioskAtTill, _ => Intake("PRINT", 340, "CASH"),
            Then.Ok(500, "PRINT 340/0", "PAYMENT -340/0 CASH @till#1"), Owing),
        rows.Take("cash at a named register", As.Cashier, w => Intake("PRINT", 340, "CASH", w.Till),
            Then.Ok(500, "PRINT 340/0", "PAYMENT -340/0 CASH @till#1"), Owing),
        rows.Take("card needs no register", As.Cashier, _ => Intake("COPY", 30, "CARD"), Then.Ok(0, "COPY 30/0", "PAYMENT -30/0 CARD")),
        rows.Take("card at a register is journaled to it", As.Cashier, w => Intake("COPY", 30, "CARD", w.Till),
            Then.Ok(0, "COPY 30/0", "PAYMENT -30/0 CARD @till#1")),
        rows.Take("both lines at the library asked for", As.Cashier, _ => Intake("COPY", 30, "CARD") with { LibraryId = Elsewhere },
            Then.Ok(0, $"COPY 30/0 lib {Elsewhere}", $"PAYMENT -30/0 CARD lib {Elsewhere}")),
        rows.Take("both lines at the library of the register", As.Cashier, w => Intake("COPY", 30, "CASH", w.ElsewhereRegister),
            Then.Ok(0, $"COPY 30/0 lib {Elsewhere}", $"PAYMENT -30/0 CASH @elsewhere#1 lib {Elsewhere}")),
        rows.Take("an unknown debit type", As.Cashier, _ => Intake("NOPE", 100, "CARD"), Then.Invalid("unknown_debit_type", "debit_type")),
        rows.Take("an archived debit type", As.Cashier, _ => Intake(ArchivedDebitType, 100, "CARD"), Then.Invalid("debit_type_archived", "debit_type")),
        rows.Take("a PAYOUT is no charge", As.Manager, _ => Intake("PAYOUT", 100, "CARD"), Then.Invalid("debit_type_reserved", "debit_type")),
        rows.Take("a VOID is no charge", As.Manager, _ => Intake("VOID", 100, "CARD"), Then.Invalid("debit_type_reserved", "debit_type")),
        rows.Take("PAID_OUT is no charge", As.Manager, _ => Intake("PAID_OUT", 100, "CARD"), Then.Invalid("debit_type_reserved", "debit_type")),
        rows.Take("CASHUP_DEFICIT is no charge", As.Manager, _ => Intake("CASHUP_DEFICIT", 100, "CARD"), Then.Invalid("debit_type_reserved", "debit_type")),
        rows.Take("an unknown tender", As.Cashier, _ => Intake("PRINT", 100, "BITCOIN"), Then.Invalid("unknown_payment_type", "payment_type")),
        rows.Take("an archived tender", As.Cashier, _ => Intake("PRINT", 100, ArchivedPaymentType), Then.Invalid("payment_type_archived", "payment_type")),
        rows.Take("cash with no register", As.Cashier, _ => Intake("PRINT", 100, "CASH"), Then.Invalid("register_required", "cash_register_id")),
        rows.Take("cash at an unknown register", As.Cashier, _ => Intake("PRINT", 100, "CASH", World.UnknownRegister),
            Then.Invalid("unknown_register", "cash_register_id")),
        rows.Take("cash at an archived register", As.Cashier, w => Intake("PRINT", 100, "CASH", w.ArchivedRegister),
            Then.Invalid("register_archived", "cash_register_id")),
        rows.Take("a kiosk bound to the till paying into another", As.KioskAtTill, w => Intake("PRINT", 100, "CASH", w.OtherTill),
            Then.Forbidden("outside_binding")),
        rows.Take("an unknown library", As.Cashier, _ => Intake("PRINT", 100, "CARD") with { LibraryId = "NOWHERE" },
            Then.Invalid("unknown_library", "library_id")),
        rows.Take("a client bound to MAIN recording at another library", As.BackOfficeOfMain, _ => Intake("PRINT", 100, "CARD") with { LibraryId = Elsewhere },
            Then.Forbidden("outside_binding")),
    };

    [Theory]
    [MemberData(nameof(Asked))]
    [MemberData(nameof(Preloaded))]
    public async Task Taking_a_payment_for_a_new_charge(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
