using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Registers;
using Fiscus.Ledger.Sales;
using ShiftsLedger = Fiscus.Ledger.Shifts.CashierShifts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// What has happened before a row's command, each through the ledger's own commands (as the manager unless said otherwise),
/// committed, naming the lines rows refer to.
/// </summary>
public static class Given
{
    public static Step Debit(string name, long amountMinor, string type = "MANUAL") => w =>
        w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.AddDebitAsync(account,
            new AddDebitCommand(type, amountMinor, null, null, null, null, null, null))), name, c => c.Line.AccountLineId);

    /// <summary>A PAYOUT debit paid out of the till in cash, outstanding (as AddDebit leaves it).</summary>
    public static Step PayoutDebit(string name, long amountMinor) => w =>
        w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.AddDebitAsync(account,
            new AddDebitCommand(LineTypes.Payout, amountMinor, null, null, null, w.Till, "CASH", null))), name, c => c.Line.AccountLineId);

    /// <summary>Another patron of MAIN owes 1.00 ("their charge") and paid 0.60 of it by card ("their payment").</summary>
    public static readonly Step AnotherPatron = async w =>
    {
        var other = await w.NewPatronAsync();
        await w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.AddDebitAsync(account,
            new AddDebitCommand("MANUAL", 100, null, null, null, null, null, null)), other), "their charge", c => c.Line.AccountLineId);
        await w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.AddCreditAsync(account,
            new AddCreditCommand(LineTypes.Payment, 60, "CARD", null, [], null, null, null)), other), "their payment", c => c.Line.AccountLineId);
    };

    /// <summary>A payment, applied to the listed lines and then to the oldest debts; cash goes through the till.</summary>
    public static Step Payment(string name, long amountMinor, string paymentType = "CARD", params string[] listed) => w =>
        w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.AddCreditAsync(account,
            new AddCreditCommand(LineTypes.Payment, amountMinor, paymentType, paymentType == "CASH" ? w.Till : null, [.. listed.Select(l => w[l])],
                null, null, null))), name, c => c.Line.AccountLineId);

    /// <summary>A credit that is not a payment (WRITEOFF, FORGIVEN, CREDIT ...), applied to the oldest debts.</summary>
    public static Step Adjustment(string name, string creditType, long amountMinor) => w =>
        w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.AddCreditAsync(account,
            new AddCreditCommand(creditType, amountMinor, null, null, [], null, null, null))), name, c => c.Line.AccountLineId);

    /// <summary>The credit voided; its VOID debit is named <c>{credit}/void</c>.</summary>
    public static Step Voided(string credit) => w =>
        w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.VoidCreditAsync(account, w[credit], null)),
            credit + "/void", c => c.Created[0].AccountLineId);

    /// <summary>The debit cancelled; its CANCELLATION credit is named <c>{debit}/cancellation</c>.</summary>
    public static Step Cancelled(string debit) => w =>
        w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.CancelDebitAsync(account, w[debit], null)),
            debit + "/cancellation", c => c.Created[0].AccountLineId);

    public static Step WrittenOff(string debit, long? amountMinor = null) => w =>
        w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.WriteOffDebitAsync(account, w[debit], new WriteOffCommand(amountMinor, null))));

    /// <summary>Part of a card credit refunded by card; the REFUND credit, if any, is named <c>{credit}/refund</c>.</summary>
    public static Step Refunded(string credit, long amountMinor) => async w =>
    {
        var change = await w.MustAsync(w.OnAccountAsync(As.Manager(w), account => AccountOperations.RefundCreditAsync(account, w[credit],
            new RefundCommand(amountMinor, "CARD", null, null))));
        if (change.Created.FirstOrDefault(l => l.CreditTypeCode == "REFUND") is { } refund)
        {
            w.Name(credit + "/refund", refund.AccountLineId);
        }
    };

    /// <summary>
    /// A counter sale of one item at the till (or <paramref name="register"/>), to the row's patron if <paramref name="toPatron"/>:
    /// the item is named <paramref name="name"/>, its PURCHASE credit <c>{name}/purchase</c>.
    /// </summary>
    public static Step Sold(string name, long priceMinor, string paymentType = "CASH", bool toPatron = false, Func<World, int>? register = null) =>
        async w =>
        {
            var command = new SaleCommand(register?.Invoke(w) ?? w.Till, [new SaleItem("PRINT", priceMinor, 1, null)], paymentType, null,
                toPatron ? w.Patron : null, null, SingleItem: true);
            var sale = await w.MustAsync(w.RunAsync((connection, transaction) => PointOfSale.SellAsync(connection, transaction, command,
                As.Cashier(w), DateTimeOffset.UtcNow, Currency.Usd, CancellationToken.None)), name, s => s.Debits[0].AccountLineId);
            w.Name(name + "/purchase", sale.Credit.AccountLineId);
        };

    /// <summary>Part of a sold item refunded at the till, in cash.</summary>
    public static Step SaleRefunded(string item, long amountMinor) => w =>
        w.MustAsync(w.RunAsync((connection, transaction) => PointOfSale.RefundAsync(connection, transaction,
            new PosRefundCommand(w.Till, w[item], amountMinor, null, null), As.Manager(w), DateTimeOffset.UtcNow, CancellationToken.None)));

    public static readonly Step Secured = w => w.ExecuteAsync("UPDATE patrons SET secured = true WHERE patron_id = @Patron", new { w.Patron });

    public static readonly Step TillArchived = w => w.ExecuteAsync(
        "UPDATE cash_registers SET archived = true, library_default = false WHERE cash_register_id = @Till", new { w.Till });

    public static Step Sql(string sql) => w => w.ExecuteAsync(sql);

    /// <summary><paramref name="count"/> more cashiers (<see cref="World.Cashiers"/>).</summary>
    public static Step Cashiers(int count) => w => w.AddCashiersAsync(count);

    /// <summary>A library of the row's own with a default register, "home", as the cashier's home library.</summary>
    public static readonly Step HomeLibrary = w => w.AddHomeLibraryAsync();

    /// <summary>The till cashed up at once, every payment type that moved counted as expected.</summary>
    public static readonly Step CashedUp = async w =>
    {
        var counted = await ExpectedAsync(w);
        await w.MustAsync(w.RunAsync((connection, transaction) => Cashups.CompleteAsync(connection, transaction, w.Till,
            new CashupCommand(counted, null, false), As.Manager(w), DateTimeOffset.UtcNow, CancellationToken.None)));
    };

    /// <summary>A two-phase cash-up of the till started: its session is being counted and a new one takes the money.</summary>
    public static readonly Step CountingStarted = w =>
        w.MustAsync(w.RunAsync((connection, transaction) => Cashups.StartAsync(connection, transaction, w.Till, As.Manager(w),
            DateTimeOffset.UtcNow, CancellationToken.None)));

    /// <summary>The till's count in progress completed, every payment type that moved counted as expected.</summary>
    public static readonly Step CountingCompleted = async w =>
    {
        var counted = await ExpectedAsync(w, "counting");
        await w.MustAsync(w.RunAsync((connection, transaction) => Cashups.CompleteAsync(connection, transaction, w.Till,
            new CashupCommand(counted, null, false), As.Manager(w), DateTimeOffset.UtcNow, CancellationToken.None)));
    };

    /// <summary>A shift of <paramref name="who"/>'s at the till (or <paramref name="register"/>), declaring <paramref name="startCashMinor"/>.</summary>
    public static Step ShiftStarted(Actor who, long startCashMinor, Func<World, int>? register = null) => w =>
        w.MustAsync(w.RunAsync((connection, transaction) => ShiftsLedger.StartAsync(connection, transaction, who(w).UserId!.Value, null,
            register?.Invoke(w) ?? w.Till, startCashMinor, DateTimeOffset.UtcNow, CancellationToken.None)));

    public static Step ShiftEnded(Actor who, long countedMinor) => w =>
        w.MustAsync(w.RunAsync((connection, transaction) => ShiftsLedger.EndAsync(connection, transaction, who(w).UserId!.Value, null,
            countedMinor, DateTimeOffset.UtcNow, CancellationToken.None)));

    public static Step CashIn(Actor who, long amountMinor) => w =>
        w.MustAsync(w.RunAsync((connection, transaction) => ShiftsLedger.AddCashAsync(connection, transaction, ShiftsLedger.CashIn, amountMinor,
            "deposit", null, who(w), DateTimeOffset.UtcNow, CancellationToken.None)));

    public static Step CashOut(Actor who, long amountMinor) => w =>
        w.MustAsync(w.RunAsync((connection, transaction) => ShiftsLedger.AddCashAsync(connection, transaction, ShiftsLedger.CashOut, amountMinor,
            "drop", null, who(w), DateTimeOffset.UtcNow, CancellationToken.None)));

    static async Task<IReadOnlyList<CountedAmount>> ExpectedAsync(World w, string status = "open")
    {
        await using var connection = await w.Database.Runtime.OpenConnectionAsync();
        var session = await RegisterSessions.FindAsync(connection, null, w.Till, status, CancellationToken.None)
            ?? throw new InvalidOperationException($"The till has no {status} session.");
        var summary = await SessionSummary.ComputeAsync(connection, null, session, CancellationToken.None);
        return [.. summary.TotalGrouped.Where(t => t.Moved).Select(t => new CountedAmount(t.PaymentType, t.ExpectedMinor, null))];
    }
}
