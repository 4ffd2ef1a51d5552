using System.Globalization;
using Dapper;
using Fiscus.Ledger.Registers;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="Cashups"/>: a quick cash-up counts the till's open session and closes it, opening the next; a two-phase one starts
/// counting (the session closes to new money, which goes to a new one) and completes with the counts. Each payment type counted
/// once, every cash type that moved counted; a difference from what the lines say is a CASHUP_SURPLUS or CASHUP_DEFICIT line in
/// the counted session. No cash-up of an empty session, of a till being counted, under an open shift, or by a client bound to
/// another register or library.
/// </summary>
public sealed class CashupTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>10.00 sold in cash ("s") and 5.00 by card ("t") at the till, whose float is 20.00.</summary>
    static readonly Step[] Takings = [Given.Sold("s", 1000), Given.Sold("t", 500, "CARD")];

    static CountedAmount Counted(string paymentType, long countedMinor, string? note = null) => new(paymentType, countedMinor, note);

    static Row CashUp(string what, Actor who, CountedAmount[] counted, Then then, params Step[] given) =>
        CashUp(what, who, new CashupCommand(counted, "evening count", false), then, given);

    static Row CashUp(string what, Actor who, CashupCommand command, Then then, params Step[] given) =>
        new(what, given, who, async (w, actor) => await DescribedAsync(w, await w.RunAsync((c, t) =>
            Cashups.CompleteAsync(c, t, w.Till, command, actor, DateTimeOffset.UtcNow, CancellationToken.None))), then);

    static Row StartCounting(string what, Then then, params Step[] given) => StartCounting(what, As.Manager, then, given);

    static Row StartCounting(string what, Actor who, Then then, params Step[] given) =>
        new(what, given, who, async (w, actor) => await DescribedAsync(w, await w.RunAsync((c, t) =>
            Cashups.StartAsync(c, t, w.Till, actor, DateTimeOffset.UtcNow, CancellationToken.None))), then);

    /// <summary>The cash-up's amount and counts (expected → counted), and the state of each of the till's sessions.</summary>
    static async Task<Answer> DescribedAsync(World w, Outcome<(Cashup Cashup, SessionSummary Summary)> outcome)
    {
        if (outcome.Failure is { } failure)
        {
            return new Answer(failure, null, null);
        }
        var (cashup, summary) = outcome.Value;
        await using var connection = await w.Database.Runtime.OpenConnectionAsync();
        var sessions = await connection.QueryAsync<string>(
            "SELECT status FROM register_sessions WHERE cash_register_id = @Till ORDER BY register_session_id", new { w.Till });
        var counts = summary.Reconciliations.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.PaymentType} {r.ExpectedMinor}→{r.CountedMinor}"));
        var amount = cashup.AmountMinor?.ToString(CultureInfo.InvariantCulture) ?? "-";
        return new Answer(null, $"amount {amount}; {(counts.Any() ? string.Join(", ", counts) : "nothing counted")}; sessions {string.Join(", ", sessions)}",
            null);
    }

    public static TheoryData<Row> Rows => new()
    {
        CashUp("counted as expected", As.Manager, [Counted("CASH", 1000), Counted("CARD", 500)],
            Then.Ok(0).Answering("amount 1500; CARD 500→500, CASH 1000→1000; sessions closed, open"), Takings),
        CashUp("card need not be counted", As.Manager, [Counted("CASH", 1000)],
            Then.Ok(0).Answering("amount 1500; CASH 1000→1000; sessions closed, open"), Takings),
        CashUp("a surplus of cash", As.Manager, [Counted("CASH", 1500, "found a fiver"), Counted("CARD", 500)],
            Then.Ok(0, "CASHUP_SURPLUS -500/-500 CASH @till#1 (no patron)").Answering("amount 2000; CARD 500→500, CASH 1000→1500; sessions closed, open"),
            Takings),
        CashUp("a deficit on card", As.Manager, [Counted("CASH", 1000), Counted("CARD", 450)],
            Then.Ok(0, "CASHUP_DEFICIT 50/50 CARD @till#1 (no patron)").Answering("amount 1450; CARD 500→450, CASH 1000→1000; sessions closed, open"),
            Takings),
        CashUp("the takings gone from the drawer", As.Manager, [Counted("CASH", 0), Counted("CARD", 500)],
            Then.Ok(0, "CASHUP_DEFICIT 1000/1000 CASH @till#1 (no patron)").Answering("amount 500; CARD 500→500, CASH 1000→0; sessions closed, open"),
            Takings),
        CashUp("refunds and voids leave the drawer", As.Manager, [Counted("CASH", 300)],
            Then.Ok(400).Answering("amount 300; CASH 300→300; sessions closed, open"),
            Given.Sold("s", 1000), Given.SaleRefunded("s", 700), Given.Debit("a", 400), Given.Payment("p", 400, "CASH"), Given.Voided("p")),
        CashUp("cash paid into the drawer is counted, but is not takings", As.Manager, [Counted("CASH", 1500)],
            Then.Ok(0).Answering("amount 1000; CASH 1500→1500; sessions closed, open"),
            Given.Sold("s", 1000), Given.ShiftStarted(As.Cashier, 2000), Given.CashIn(As.Cashier, 500), Given.ShiftEnded(As.Cashier, 2500)),
        CashUp("cash that moved, not counted", As.Manager, [Counted("CARD", 500)], Then.Invalid("validation_failed", "reconciliations"), Takings),
        CashUp("cash whose payment was voided still moved", As.Manager, [],
            Then.Invalid("validation_failed", "reconciliations"), Given.Debit("a", 400), Given.Payment("p", 400, "CASH"), Given.Voided("p")),
        CashUp("a tender counted twice", As.Manager, [Counted("CASH", 1000), Counted("CASH", 1000)],
            Then.Invalid("validation_failed", "reconciliations[1].payment_type"), Takings),
        CashUp("a tender that is not one", As.Manager, [Counted("CASH", 1000), Counted("GOLD", 1)],
            Then.Invalid("validation_failed", "reconciliations[1].payment_type"), Takings),
        CashUp("a count too far from the expected to record as one line", As.Manager, [Counted("CASH", 1000 + 1_000_000_000_001)],
            Then.Invalid("validation_failed", "reconciliations[0].counted"), Takings),
        CashUp("a difference with no note, where notes are required", As.Manager,
            new CashupCommand([Counted("CASH", 900), Counted("CARD", 400, " ")], null, NoteRequiredForDifferences: true),
            Then.Invalid("validation_failed", "reconciliations[0].note", "reconciliations[1].note"), Takings),
        CashUp("a noted difference, where notes are required", As.Manager, new CashupCommand([Counted("CASH", 900, "short")], null, true),
            Then.Ok(0, "CASHUP_DEFICIT 100/100 CASH @till#1 (no patron)"), Takings),
        CashUp("no difference needs no note", As.Manager, new CashupCommand([Counted("CASH", 1000)], null, true), Then.Ok(0), Takings),
        CashUp("a till that took nothing", As.Manager, [], Then.Conflict("session_empty")),
        CashUp("a till that took nothing since its cash-up", As.Manager, [Counted("CASH", 0)], Then.Conflict("session_empty"),
            [.. Takings, Given.CashedUp]),
        CashUp("a till under an open shift", As.Manager, [Counted("CASH", 1000)], Then.Conflict("register_has_open_shift"),
            [.. Takings, Given.ShiftStarted(As.Cashier, 2000)]),
        CashUp("by a client bound to the till", As.BackOfficeAtTill, [Counted("CASH", 1000)],
            Then.Ok(0).Answering("amount 1500; CASH 1000→1000; sessions closed, open"), Takings),
        CashUp("by a client bound to another register", As.BackOfficeAtOther, [Counted("CASH", 1000)], Then.Forbidden("outside_binding"), Takings),
        CashUp("an empty till, by a client bound to another register: nothing said of its state", As.BackOfficeAtOther, [],
            Then.Forbidden("outside_binding")),
        CashUp("by a client bound to another library", As.BackOfficeElsewhere, [Counted("CASH", 1000)], Then.Forbidden("outside_binding"), Takings),
        new Row("a register that does not exist", Takings, As.Manager, Run.Alone((_, actor, c, t) => Cashups.CompleteAsync(c, t, World.UnknownRegister,
            new CashupCommand([], null, false), actor, DateTimeOffset.UtcNow, CancellationToken.None)), Then.NotFound("register_not_found")),

        StartCounting("starting a count: the session stops taking money and a new one opens",
            Then.Ok(0).Answering("amount -; nothing counted; sessions counting, open"), Takings),
        StartCounting("a count already started", Then.Conflict("cashup_in_progress"), [.. Takings, Given.CountingStarted]),
        StartCounting("a count of a till that took nothing", Then.Conflict("session_empty")),
        StartCounting("a count by a client bound to another register", As.BackOfficeAtOther, Then.Forbidden("outside_binding"), Takings),
        StartCounting("a count by a client bound to the till", As.BackOfficeAtTill,
            Then.Ok(0).Answering("amount -; nothing counted; sessions counting, open"), Takings),
        StartCounting("a count under an open shift", Then.Conflict("register_has_open_shift"), [.. Takings, Given.ShiftStarted(As.Cashier, 2000)]),
        CashUp("completing a count: only what the counted session took", As.Manager, [Counted("CASH", 1000), Counted("CARD", 500)],
            Then.Ok(0).Answering("amount 1500; CARD 500→500, CASH 1000→1000; sessions closed, open"),
            [.. Takings, Given.CountingStarted, Given.Sold("later", 700)]),
        CashUp("completing a count short: the deficit in the counted session", As.Manager, [Counted("CASH", 900)],
            Then.Ok(0, "CASHUP_DEFICIT 100/100 CASH @till#1 (no patron)").Answering("amount 1400; CASH 1000→900; sessions closed, open"),
            [.. Takings, Given.CountingStarted, Given.Sold("later", 700)]),
        CashUp("the next cash-up counts what was sold while counting", As.Manager, [Counted("CASH", 700)],
            Then.Ok(0).Answering("amount 700; CASH 700→700; sessions closed, closed, open"),
            [.. Takings, Given.CountingStarted, Given.Sold("later", 700), Given.CountingCompleted]),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Cashing_up_the_till(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
