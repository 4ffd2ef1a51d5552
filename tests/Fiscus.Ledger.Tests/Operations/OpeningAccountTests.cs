using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Sales;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// Every command on a patron's account opens it first, whatever the transport: an unknown patron is not found, a secured one
/// refuses every change, and a client bound to another library may not touch it. One row per command and refusal.
/// </summary>
public sealed class OpeningAccountTests(OperationsDatabase database) : IClassFixture<OperationsDatabase>
{
    /// <summary>A 5.00 charge ("d"), 3.00 of it paid by card ("p"), and a print job sold to the patron at the till ("s").</summary>
    static readonly Step[] Account = [Given.Debit("d", 500), Given.Payment("p", 300), Given.Sold("s", 200, "CARD", toPatron: true)];

    /// <summary>Each command with the patron it is asked for, as a manager would ask it (every scope it needs).</summary>
    static readonly (string Name, Func<World, long, LedgerActor, Task<Answer>> Run)[] Commands =
    [
        ("a charge", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.AddDebitAsync(a,
            new AddDebitCommand("MANUAL", 100, null, null, null, null, null, null)))),
        ("a payment", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.AddCreditAsync(a,
            new AddCreditCommand(LineTypes.Payment, 100, "CARD", null, [], null, null, null)))),
        ("an intake", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.IntakeAsync(a,
            new IntakeCommand("PRINT", 100, "CARD", null, null, null, null, null)))),
        ("a void", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.VoidCreditAsync(a, w["p"], null))),
        ("a cancellation", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.CancelDebitAsync(a, w["d"], null))),
        ("a write-off", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.WriteOffDebitAsync(a, w["d"], new WriteOffCommand(null, null)))),
        ("a refund", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.RefundCreditAsync(a, w["p"],
            new RefundCommand(null, null, null, null)))),
        ("a Polaris pay", (w, patron, actor) => OnAccount(w, patron, actor, a => AccountOperations.PayChargesAsync(a,
            new PayChargesCommand([w["d"]], 100, "CARD", null, false, null)))),
        ("a sale to the patron", async (w, patron, actor) => Answer.Of(await w.RunAsync((c, t) => PointOfSale.SellAsync(c, t,
            new SaleCommand(w.Till, [new SaleItem("PRINT", 100, 1, null)], "CARD", null, patron, null), actor, DateTimeOffset.UtcNow, Currency.Usd,
            CancellationToken.None)))),
    ];

    static async Task<Answer> OnAccount<T>(World w, long patron, LedgerActor actor, Func<PatronAccount, Task<Outcome<T>>> command) =>
        Answer.Of(await w.OnAccountAsync(actor, command, patron));

    public static TheoryData<Row> Rows
    {
        get
        {
            var rows = new TheoryData<Row>();
            foreach (var (name, run) in Commands)
            {
                rows.Add(new Row($"{name} for a secured patron", [.. Account, Given.Secured], As.Manager,
                    (w, actor) => run(w, w.Patron, actor), Then.Conflict("patron_secured")));
                rows.Add(new Row($"{name} for a patron of another library than the client's", Account, As.BackOfficeElsewhere,
                    (w, actor) => run(w, w.Patron, actor), Then.Forbidden("outside_binding")));
                // A sale names its patron in its body: one that does not exist is a bad request, not a missing resource.
                rows.Add(new Row($"{name} for a patron who does not exist", Account, As.Manager, (w, actor) => run(w, World.UnknownPatron, actor),
                    name.StartsWith("a sale", StringComparison.Ordinal) ? Then.Invalid("unknown_patron", "patron_id") : Then.NotFound("patron_not_found")));
            }
            var refund = Run.Alone((w, actor, c, t) => PointOfSale.RefundAsync(c, t, new PosRefundCommand(w.Till, w["s"], null, null, null), actor,
                DateTimeOffset.UtcNow, CancellationToken.None));
            rows.Add(new Row("a refund at the till of an item sold to a secured patron", [.. Account, Given.Secured], As.Manager, refund,
                Then.Conflict("patron_secured")));
            rows.Add(new Row("a refund of an item sold to a patron of another library than the client's", Account, As.BackOfficeElsewhere, refund,
                Then.Forbidden("outside_binding")));
            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Opening_an_account(Row row) => await (await World.CreateAsync(database)).CheckAsync(row);
}
