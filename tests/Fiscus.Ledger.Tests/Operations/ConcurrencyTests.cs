using System.Text.RegularExpressions;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Registers;
using Fiscus.Ledger.Sales;
using Npgsql;
using ShiftsLedger = Fiscus.Ledger.Shifts.CashierShifts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// Many commands at once on one account, item, till or drawer, each its own transaction as the server runs them: the locks let
/// exactly as many through as the money allows, the rest are refused with their usual codes (or, for shifts racing past the check
/// in C#, by the database's unique index, which the transport maps to the same code), and the ledger verifies clean.
/// </summary>
public sealed class ConcurrencyTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>
    /// <paramref name="Tasks"/> commands at once (each told its index); <paramref name="Successes"/> of them succeed and the others are
    /// refused with one of <paramref name="Refusals"/>; then the patron owes <paramref name="BalanceMinor"/> and the lines written or
    /// changed are <paramref name="Lines"/>, in any order, and in whichever of its register's sessions (<c>#?</c>) if
    /// <paramref name="AnySession"/>.
    /// </summary>
    public sealed record Race(
        string What, Step[] Given, int Tasks, Func<World, int, Task<Answer>> Command, int Successes, string[] Refusals, long BalanceMinor,
        string[] Lines, bool AnySession = false)
    {
        public override string ToString() => What;
    }

    static Func<World, int, Task<Answer>> OnAccount<T>(Actor who, Func<World, PatronAccount, Task<Outcome<T>>> command) =>
        async (w, _) => Answer.Of(await w.OnAccountAsync(who(w), account => command(w, account)));

    static Func<World, int, Task<Answer>> Alone<T>(Func<World, int, NpgsqlConnection, NpgsqlTransaction, Task<Outcome<T>>> command) =>
        async (w, i) => Answer.Of(await w.RunAsync((c, t) => command(w, i, c, t)));

    static string[] Times(int count, params string[] lines) => [.. Enumerable.Repeat(lines, count).SelectMany(l => l)];

    public static TheoryData<Race> Races => new()
    {
        new Race("twenty card payments of 1.00 on ten charges of 1.00", [.. Enumerable.Range(0, 10).Select(i => Given.Debit($"c{i}", 100))], 20,
            OnAccount(As.Cashier, (_, a) => AccountOperations.AddCreditAsync(a, new AddCreditCommand(LineTypes.Payment, 100, "CARD", null, [], null, null, null))),
            20, [], -1000, [.. Times(10, "now MANUAL 100/0", "PAYMENT -100/0 CARD", "PAYMENT -100/-100 CARD")]),
        new Race("twenty Polaris payments of 1.00 of charges owing 16.00, no overpayment",
            [Given.Debit("c1", 600), Given.Debit("c2", 600), Given.Debit("c3", 400)], 20,
            OnAccount(As.Cashier, (w, a) => AccountOperations.PayChargesAsync(a, new PayChargesCommand([w["c1"], w["c2"], w["c3"]], 100, "CASH", w.Till, false, null))),
            16, ["amount_exceeds_charges"], 0, ["now MANUAL 600/0", "now MANUAL 600/0", "now MANUAL 400/0", .. Times(16, "PAYMENT -100/0 CASH @till#1")]),
        new Race("ten voids of one cash payment", [Given.Debit("a", 400), Given.Debit("b", 600), Given.Payment("p", 1200, "CASH")], 10,
            OnAccount(As.Manager, (w, a) => AccountOperations.VoidCreditAsync(a, w["p"], null)),
            1, ["credit_already_void"], 1000,
            ["now MANUAL 400/400", "now MANUAL 600/600", "now PAYMENT -1200/0 CASH @till#1 VOID", "VOID 1200/0 CASH @till#1"]),
        new Race("ten write-offs of all a charge owes", [Given.Debit("a", 1000)], 10,
            OnAccount(As.Manager, (w, a) => AccountOperations.WriteOffDebitAsync(a, w["a"], new WriteOffCommand(null, null))),
            1, ["nothing_outstanding"], 0, ["now MANUAL 1000/0", "WRITEOFF -1000/0"]),
        new Race("ten write-offs of 3.00 of a 10.00 charge", [Given.Debit("a", 1000)], 10,
            OnAccount(As.Manager, (w, a) => AccountOperations.WriteOffDebitAsync(a, w["a"], new WriteOffCommand(300, null))),
            3, ["amount_exceeds_outstanding"], 100, ["now MANUAL 1000/100", .. Times(3, "WRITEOFF -300/0")]),
        new Race("ten refunds of all of a card payment", [Given.Debit("lost", 1000, "LOST"), Given.Payment("p", 1000)], 10,
            OnAccount(As.Manager, (w, a) => AccountOperations.RefundCreditAsync(a, w["p"], new RefundCommand(null, null, null, null))),
            1, ["nothing_to_refund"], 0, ["now PAYMENT -1000/0 CARD REFUNDED", "REFUND -1000/0", "PAYOUT 1000/0 CARD PAID"]),
        new Race("ten refunds at the till of all of a sold item", [Given.Sold("s", 300)], 10,
            Alone((w, _, c, t) => PointOfSale.RefundAsync(c, t, new PosRefundCommand(w.Till, w["s"], null, null, null), As.Manager(w),
                DateTimeOffset.UtcNow, CancellationToken.None)),
            1, ["already_refunded"], 0,
            ["now PRINT 300/0 @till#1 REFUNDED (no patron)", "REFUND -300/0 (no patron)", "PAYOUT 300/0 CASH @till#1 PAID (no patron)"]),
        new Race("ten cash-ups of one till", [Given.Sold("s", 1000)], 10,
            Alone((w, _, c, t) => Cashups.CompleteAsync(c, t, w.Till, new CashupCommand([new CountedAmount("CASH", 900, null)], null, false),
                As.Manager(w), DateTimeOffset.UtcNow, CancellationToken.None)),
            1, ["cashup_in_progress", "session_empty"], 0, ["CASHUP_DEFICIT 100/100 CASH @till#1 (no patron)"]),
        new Race("ten sales racing the start of a count of the till", [Given.Sold("s", 100)], 11,
            async (w, i) => i == 0
                ? Answer.Of(await w.RunAsync((c, t) => Cashups.StartAsync(c, t, w.Till, As.Manager(w), DateTimeOffset.UtcNow, CancellationToken.None)))
                : Answer.Of(await w.RunAsync((c, t) => PointOfSale.SellAsync(c, t, new SaleCommand(w.Till, [new SaleItem("PRINT", 100, 1, null)], "CASH",
                    null, null, null), As.Cashier(w), DateTimeOffset.UtcNow, Currency.Usd, CancellationToken.None))),
            11, [], 0, [.. Times(10, "PRINT 100/0 @till#? (no patron)", "PURCHASE -100/0 CASH @till#? (no patron)")], AnySession: true),
        new Race("ten cash-outs of 5.00 from a drawer holding 20.00", [Given.ShiftStarted(As.Manager, 2000)], 10,
            Alone((w, _, c, t) => ShiftsLedger.AddCashAsync(c, t, ShiftsLedger.CashOut, 500, "drop", null, As.Manager(w), DateTimeOffset.UtcNow,
                CancellationToken.None)),
            4, ["insufficient_cash"], 0, [.. Times(4, "PAID_OUT 500/500 CASH @till#1 in manager's shift (no patron)")]),
        new Race("ten cashiers starting a shift at one till", [Given.Cashiers(10)], 10,
            Alone((w, i, c, t) => ShiftsLedger.StartAsync(c, t, w.Cashiers[i], null, w.Till, 2000, DateTimeOffset.UtcNow, CancellationToken.None)),
            1, ["register_in_use", "shifts_one_open_per_register"], 0, []),
    };

    [Theory]
    [MemberData(nameof(Races))]
    public async Task Racing(Race race)
    {
        var w = await World.CreateAsync(database);
        foreach (var step in race.Given)
        {
            await step(w);
        }
        var before = await LedgerState.ReadAsync(w);
        var start = new TaskCompletionSource();

        var attempts = Enumerable.Range(0, race.Tasks).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                var answer = await race.Command(w, i);
                return answer.Failure?.Code;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                return e.ConstraintName;
            }
        })).ToList();
        start.SetResult();
        var refusals = (await Task.WhenAll(attempts)).Where(code => code is not null).ToList();

        Assert.Equal(race.Successes, race.Tasks - refusals.Count);
        Assert.All(refusals, code => Assert.Contains(code, race.Refusals));
        var after = await LedgerState.ReadAsync(w);
        Assert.Equal(race.BalanceMinor, after.BalanceMinor);
        var written = LedgerState.Changes(before, after).Select(line => race.AnySession ? Regex.Replace(line, @"#\d+", "#?") : line);
        Assert.Equal(race.Lines.Order(StringComparer.Ordinal), written.Order(StringComparer.Ordinal));
        await w.AssertVerifiesAsync();
    }
}
