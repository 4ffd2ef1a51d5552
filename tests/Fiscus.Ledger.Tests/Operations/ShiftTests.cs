using System.Globalization;
using Dapper;
using Fiscus.Ledger.Shifts;
using static Fiscus.Ledger.Tests.Operations.OperationsDatabase;
using ShiftsLedger = Fiscus.Ledger.Shifts.CashierShifts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// <see cref="CashierShifts"/>: one open shift per person and per register; a shift starts with whatever cash its cashier declares,
/// beside what the register's books say the drawer holds; cash paid into its drawer, and out of it (refunds:write, never more than
/// the drawer holds by the shift's count or the books, whichever is less), are PAID_IN and PAID_OUT lines of the register; at its
/// end the cash every line in its drawer moved is frozen beside the count.
/// </summary>
public sealed class ShiftTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    static Row Start(string what, Actor who, Func<World, int?> register, long startCashMinor, Then then, params Step[] given) =>
        Start(what, who, register, _ => null, startCashMinor, then, given);

    static Row Start(string what, Actor who, Func<World, int?> register, Func<World, string?> homeLibrary, long startCashMinor, Then then,
        params Step[] given) =>
        new(what, given, who, async (w, actor) => Answer.Of(await w.RunAsync((c, t) => ShiftsLedger.StartAsync(c, t, actor.UserId!.Value,
            homeLibrary(w), register(w), startCashMinor, DateTimeOffset.UtcNow, CancellationToken.None)), shift => Started(w, shift)), then);

    static string Started(World w, Shift shift) => string.Create(CultureInfo.InvariantCulture,
        $"{shift.Status} at {w.RegisterName(shift.CashRegisterId)}: start {shift.StartCashMinor}, books {shift.BooksCashStartMinor}, " +
        $"opening {shift.Books.OpeningDifferenceMinor}");

    static Row Cash(string what, Actor who, string type, long amountMinor, Then then, params Step[] given) =>
        new(what, given, who, Run.Alone((w, actor, c, t) => ShiftsLedger.AddCashAsync(c, t, type, amountMinor, "float top-up", null, actor,
            DateTimeOffset.UtcNow, CancellationToken.None), cash => string.Create(CultureInfo.InvariantCulture, $"{cash.Type} {cash.AmountMinor}")), then);

    /// <summary>Ends the caller's own shift, or (<paramref name="ofCashier"/>) the cashier's latest shift as a manager closing it.</summary>
    static Row End(string what, Actor who, long countedMinor, Then then, Step[] given, bool ofCashier = false) =>
        new(what, given, who, async (w, actor) =>
        {
            Guid? shift = ofCashier ? await LatestShiftAsync(w, w.CashierUserId) : null;
            return Answer.Of(await w.RunAsync((c, t) => ShiftsLedger.EndAsync(c, t, actor.UserId!.Value, shift, countedMinor, DateTimeOffset.UtcNow,
                CancellationToken.None)), ended => Ended(w, ended.Shift, ended.Cash));
        }, then);

    static string Ended(World w, Shift shift, ShiftCash cash) => string.Create(CultureInfo.InvariantCulture,
        $"{shift.Status}: expected {shift.ExpectedCashEndMinor}, counted {shift.ActualCashEndMinor}, difference {shift.DifferenceMinor}; " +
        $"in {cash.CashInMinor}, out {cash.CashOutMinor}, payments {cash.CashPaymentsMinor}, refunds {cash.CashRefundsMinor}; " +
        $"books {shift.Books.BooksCashEndMinor}, books difference {shift.Books.BooksDifferenceMinor}; ended by {w.UserName(shift.EndedByUserId!.Value)}");

    static async Task<Guid> LatestShiftAsync(World w, long userId)
    {
        await using var connection = await w.Database.Runtime.OpenConnectionAsync();
        return await connection.QuerySingleAsync<Guid>("SELECT shift_id FROM shifts WHERE user_id = @userId ORDER BY start_time DESC LIMIT 1", new { userId });
    }

    static readonly Step CashierAtTill = Given.ShiftStarted(As.Cashier, 2000);

    static readonly Step ManagerAtTill = Given.ShiftStarted(As.Manager, 2000);

    public static TheoryData<Row> Starting => new()
    {
        Start("at the till, declaring what its books say", As.Cashier, w => w.Till, 2000, Then.Ok(0).Answering("open at till: start 2000, books 2000, opening 0")),
        Start("declaring less than the books say, cash having been taken", As.Cashier, w => w.Till, 2000,
            Then.Ok(0).Answering("open at till: start 2000, books 3000, opening -1000"), Given.Sold("s", 1000)),
        Start("card takings are not in the drawer", As.Cashier, w => w.Till, 2000,
            Then.Ok(0).Answering("open at till: start 2000, books 2000, opening 0"), Given.Sold("s", 1000, "CARD")),
        Start("declaring more than the books say is taken as declared", As.Cashier, w => w.Till, 1_000_000,
            Then.Ok(0).Answering("open at till: start 1000000, books 2000, opening 998000")),
        Start("while the till is being counted: the books of its new session", As.Cashier, w => w.Till, 2000,
            Then.Ok(0).Answering("open at till: start 2000, books 2000, opening 0"), Given.Sold("s", 1000), Given.CountingStarted),
        Start("after the last shift at the till ended", As.Cashier, w => w.Till, 2000,
            Then.Ok(0).Answering("open at till: start 2000, books 2000, opening 0"), ManagerAtTill, Given.ShiftEnded(As.Manager, 2000)),
        Start("at the home library's default register", As.Cashier, _ => null, w => w.HomeLibrary, 1000,
            Then.Ok(0).Answering("open at home: start 1000, books 1000, opening 0"), Given.HomeLibrary),
        Start("naming no register, with no home library among several", As.Cashier, _ => null, 1000,
            Then.Invalid("register_required", "cash_register_id")),
        Start("naming no register, at a library with no default register", As.Cashier, _ => null, _ => Elsewhere, 1000,
            Then.Invalid("register_required", "cash_register_id")),
        Start("at a register that does not exist", As.Cashier, _ => World.UnknownRegister, 1000, Then.Invalid("unknown_register", "cash_register_id")),
        Start("at an archived register", As.Cashier, w => w.ArchivedRegister, 1000, Then.Invalid("register_archived", "cash_register_id")),
        Start("a second shift of one's own", As.Cashier, w => w.OtherTill, 1000, Then.Conflict("shift_already_open"), CashierAtTill),
        Start("at a register in someone else's shift", As.Cashier, w => w.Till, 1000, Then.Conflict("register_in_use"), ManagerAtTill),
    };

    public static TheoryData<Row> PayingCash => new()
    {
        Cash("cash in", As.Cashier, ShiftsLedger.CashIn, 500,
            Then.Ok(0, "PAID_IN -500/-500 CASH @till#1 in cashier's shift (no patron)").Answering("cash_in 500"), CashierAtTill),
        Cash("cash in while the till is being counted: its new session", As.Cashier, ShiftsLedger.CashIn, 500,
            Then.Ok(0, "PAID_IN -500/-500 CASH @till#2 in cashier's shift (no patron)"), Given.Sold("s", 1000), Given.CountingStarted, CashierAtTill),
        Cash("cash out by a cashier", As.Cashier, ShiftsLedger.CashOut, 100, Then.Forbidden(), CashierAtTill),
        Cash("cash out by a manager", As.Manager, ShiftsLedger.CashOut, 1500,
            Then.Ok(0, "PAID_OUT 1500/1500 CASH @till#1 in manager's shift (no patron)").Answering("cash_out 1500"), ManagerAtTill),
        Cash("all the drawer holds", As.Manager, ShiftsLedger.CashOut, 2000, Then.Ok(0, "PAID_OUT 2000/2000 CASH @till#1 in manager's shift (no patron)"),
            ManagerAtTill),
        Cash("more than the drawer holds", As.Manager, ShiftsLedger.CashOut, 2001, Then.Conflict("insufficient_cash"), ManagerAtTill),
        Cash("the shift's own takings", As.Manager, ShiftsLedger.CashOut, 3000, Then.Ok(0, "PAID_OUT 3000/3000 CASH @till#1 in manager's shift (no patron)"),
            ManagerAtTill, Given.Sold("s", 1000)),
        Cash("not card takings", As.Manager, ShiftsLedger.CashOut, 2001, Then.Conflict("insufficient_cash"), ManagerAtTill, Given.Sold("s", 1000, "CARD")),
        Cash("a declared start above the books pays out no more than the books", As.Manager, ShiftsLedger.CashOut, 2001,
            Then.Conflict("insufficient_cash"), Given.ShiftStarted(As.Manager, 1_000_000)),
        Cash("a declared start below the books pays out no more than declared", As.Manager, ShiftsLedger.CashOut, 1001,
            Then.Conflict("insufficient_cash"), Given.ShiftStarted(As.Manager, 1000)),
        Cash("with no open shift", As.Cashier, ShiftsLedger.CashIn, 500, Then.NotFound("no_open_shift")),
        Cash("with no open shift of one's own, at a till in another's", As.Manager, ShiftsLedger.CashIn, 500, Then.NotFound("no_open_shift"), CashierAtTill),
        Cash("at a register archived since the shift started", As.Cashier, ShiftsLedger.CashIn, 500, Then.Conflict("register_archived"),
            CashierAtTill, Given.TillArchived),
    };

    public static TheoryData<Row> Ending => new()
    {
        End("counted as expected", As.Cashier, 3000,
            Then.Ok(0).Answering("closed: expected 3000, counted 3000, difference 0; in 0, out 0, payments 1000, refunds 0; books 3000, " +
                "books difference 0; ended by cashier"),
            [CashierAtTill, Given.Sold("s", 1000), Given.Sold("t", 500, "CARD")]),
        End("short", As.Cashier, 2900,
            Then.Ok(0).Answering("closed: expected 3000, counted 2900, difference -100; in 0, out 0, payments 1000, refunds 0; books 3000, " +
                "books difference -100; ended by cashier"),
            [CashierAtTill, Given.Sold("s", 1000)]),
        End("whatever goes through the drawer counts, whoever does it", As.Cashier, 2600,
            Then.Ok(500).Answering("closed: expected 2600, counted 2600, difference 0; in 0, out 0, payments 1500, refunds 900; books 2600, " +
                "books difference 0; ended by cashier"),
            [CashierAtTill, Given.Sold("s", 1000), Given.Debit("a", 500), Given.Payment("p", 500, "CASH"), Given.SaleRefunded("s", 400),
             Given.Voided("p"), Given.Sold("elsewhere", 7000, register: w => w.OtherTill), Given.Sold("card", 800, "CARD")]),
        End("cash paid in and out", As.Manager, 2200,
            Then.Ok(0).Answering("closed: expected 2200, counted 2200, difference 0; in 500, out 300, payments 0, refunds 0; books 2200, " +
                "books difference 0; ended by manager"),
            [ManagerAtTill, Given.CashIn(As.Manager, 500), Given.CashOut(As.Manager, 300)]),
        End("declared short at the start: the books keep the opening difference", As.Cashier, 3500,
            Then.Ok(0).Answering("closed: expected 3500, counted 3500, difference 0; in 0, out 0, payments 1000, refunds 0; books 4000, " +
                "books difference -500; ended by cashier"),
            [Given.Sold("before", 1000), Given.ShiftStarted(As.Cashier, 2500), Given.Sold("during", 1000)]),
        End("a manager closes a cashier's shift left open", As.Manager, 2000,
            Then.Ok(0).Answering("closed: expected 2000, counted 2000, difference 0; in 0, out 0, payments 0, refunds 0; books 2000, " +
                "books difference 0; ended by manager"),
            [CashierAtTill], ofCashier: true),
        End("with no open shift", As.Cashier, 0, Then.NotFound("no_open_shift"), []),
        End("a shift already ended", As.Manager, 0, Then.NotFound("no_open_shift"), [CashierAtTill, Given.ShiftEnded(As.Cashier, 2000)], ofCashier: true),
    };

    [Theory]
    [MemberData(nameof(Starting))]
    public async Task Starting_a_shift(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);

    [Theory]
    [MemberData(nameof(PayingCash))]
    public async Task Paying_cash_in_or_out(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);

    [Theory]
    [MemberData(nameof(Ending))]
    public async Task Ending_a_shift(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
