using Fiscus.Ledger.Accounts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.CancelDebitAsync"/>: needs refunds:write; a charge nothing has been paid or written off on is
/// absorbed by a CANCELLATION credit and marked CANCELLED. Money out is not cancelled.
/// </summary>
public sealed class CancelDebitTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    static readonly Step Owing = Given.Debit("a", 400);

    static Row Cancel(string what, Actor who, string debit, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.CancelDebitAsync(account, w[debit], "charged in error"),
            c => c.BalanceMinor, c => "cancelled " + c.Line.Status), then);

    public static TheoryData<Row> Rows => new()
    {
        Cancel("an unpaid charge", As.Manager, "a",
            Then.Ok(0, "now MANUAL 400/0 CANCELLED", "CANCELLATION -400/0 APPLIED").Answering("cancelled CANCELLED"), Owing),
        Cancel("one charge among others", As.Manager, "b", Then.Ok(400, "now MANUAL 600/0 CANCELLED", "CANCELLATION -600/0 APPLIED"),
            Owing, Given.Debit("b", 600)),
        Cancel("a charge whose payment was voided owes it all again", As.Manager, "a",
            Then.Ok(0, "now MANUAL 400/0 CANCELLED", "CANCELLATION -400/0 APPLIED"), Owing, Given.Payment("p", 400), Given.Voided("p")),
        Cancel("by a cashier", As.Cashier, "a", Then.Forbidden(), Owing),
        Cancel("by a client bound to MAIN", As.BackOfficeOfMain, "a",
            Then.Ok(0, "now MANUAL 400/0 CANCELLED", "CANCELLATION -400/0 APPLIED"), Owing),
        Cancel("twice", As.Manager, "a", Then.Conflict("debit_already_cancelled"), Owing, Given.Cancelled("a")),
        Cancel("a charge partly paid", As.Manager, "a", Then.Conflict("debit_already_offset"), Owing, Given.Payment("p", 100)),
        Cancel("a charge partly written off", As.Manager, "a", Then.Conflict("debit_already_offset"), Owing, Given.WrittenOff("a", 100)),
        Cancel("a PAYOUT", As.Manager, "out", Then.Conflict("debit_not_cancellable"), Given.PayoutDebit("out", 500)),
        Cancel("a VOID", As.Manager, "p/void", Then.Conflict("debit_not_cancellable"), Given.Payment("p", 300), Given.Voided("p")),
        Cancel("a credit", As.Manager, "p", Then.NotFound("debit_not_found"), Owing, Given.Payment("p", 100)),
        Cancel("another patron's charge", As.Manager, "their charge", Then.NotFound("debit_not_found"), Given.AnotherPatron),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Cancelling_a_charge(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
