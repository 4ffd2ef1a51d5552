using Fiscus.Ledger.Accounts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="AccountOperations.WriteOffDebitAsync"/>: needs refunds:write; a WRITEOFF credit against that charge alone, for what
/// is asked or all it still owes, never more. Money out is not written off.
/// </summary>
public sealed class WriteOffDebitTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    static readonly Step Owing = Given.Debit("a", 1000);

    static Row WriteOff(string what, Actor who, string debit, long? amountMinor, Then then, params Step[] given) =>
        new(what, given, who, Run.OnAccount((w, account) => AccountOperations.WriteOffDebitAsync(account, w[debit], new WriteOffCommand(amountMinor, "goodwill")),
            c => c.BalanceMinor, c => "owes " + c.Line.AmountOutstandingMinor), then);

    public static TheoryData<Row> Rows => new()
    {
        WriteOff("part of a charge", As.Manager, "a", 250, Then.Ok(750, "now MANUAL 1000/750", "WRITEOFF -250/0").Answering("owes 750"), Owing),
        WriteOff("all a charge owes", As.Manager, "a", null, Then.Ok(0, "now MANUAL 1000/0", "WRITEOFF -1000/0").Answering("owes 0"), Owing),
        WriteOff("exactly what it owes", As.Manager, "a", 1000, Then.Ok(0, "now MANUAL 1000/0", "WRITEOFF -1000/0"), Owing),
        WriteOff("the rest after a payment", As.Manager, "a", null, Then.Ok(0, "now MANUAL 1000/0", "WRITEOFF -400/0"), Owing, Given.Payment("p", 600)),
        WriteOff("that charge alone, not the oldest", As.Manager, "b", null, Then.Ok(1000, "now MANUAL 500/0", "WRITEOFF -500/0"),
            Owing, Given.Debit("b", 500)),
        WriteOff("more than it owes", As.Manager, "a", 1001, Then.Invalid("amount_exceeds_outstanding", "amount"), Owing),
        WriteOff("more than is left after a payment", As.Manager, "a", 401, Then.Invalid("amount_exceeds_outstanding", "amount"),
            Owing, Given.Payment("p", 600)),
        WriteOff("a charge paid in full", As.Manager, "a", null, Then.Conflict("nothing_outstanding"), Owing, Given.Payment("p", 1000)),
        WriteOff("a cancelled charge", As.Manager, "a", null, Then.Conflict("nothing_outstanding"), Owing, Given.Cancelled("a")),
        WriteOff("by a cashier", As.Cashier, "a", null, Then.Forbidden(), Owing),
        WriteOff("by a kiosk", As.KioskAtTill, "a", null, Then.Forbidden(), Owing),
        WriteOff("a PAYOUT", As.Manager, "out", null, Then.Conflict("debit_not_writable_off"), Given.PayoutDebit("out", 500)),
        WriteOff("a VOID", As.Manager, "p/void", null, Then.Conflict("debit_not_writable_off"), Given.Payment("p", 300), Given.Voided("p")),
        WriteOff("a credit", As.Manager, "p", null, Then.NotFound("debit_not_found"), Given.Payment("p", 100)),
        WriteOff("another patron's charge", As.Manager, "their charge", null, Then.NotFound("debit_not_found"), Given.AnotherPatron),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Writing_off_a_charge(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
