namespace Fiscus.Server.Tests;

/// <summary>
/// Money leaves a drawer only with <c>refunds:write</c>, whatever the request calls it, and a payment says how it
/// was paid. (Security review, finding 1: a cashier paid 40.00 of cash out of a drawer as a PAYOUT debit with
/// only accounts:write, then cleared the debt with a PAYMENT naming no payment type; the drawer's expected cash
/// dropped by 40 and the cashier's shift still balanced.)
/// </summary>
public sealed class DrawerPayoutTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static object Payout(int register) => new { amount = 40m, type = "PAYOUT", payout_type = "CASH", cash_register_id = register };

    async Task<decimal> ExpectedCashAsync(int register) => (await fiscus.SessionAsync(register))["summary"]!.Money("expected_cash_in_drawer");

    [Fact]
    public async Task A_cashier_cannot_pay_cash_out_of_a_drawer_nor_clear_the_debt_with_a_typeless_payment()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 100m);
        await fiscus.SellAsync(register, 50m);
        var patron = await fiscus.PatronAsync();
        var cashier = await fiscus.UserAsync("cashier", "MAIN");
        using (var shift = await cashier.Http.PostAsync("/api/v1/shifts/start",
                   Json.Body(new { start_cash = 15000, password = cashier.Password, cash_register_id = register })))
        {
            await shift.ExpectAsync(HttpStatusCode.Created);
        }
        var kiosk = await fiscus.ClientAsync(["accounts:write", "payments:write"], cashRegisterId: register);

        foreach (var till in new[] { cashier.Http, kiosk.Http })
        {
            using var payout = await till.PostAsync($"/api/v1/patrons/{patron}/account/debits", Json.Body(Payout(register)));
            var problem = await payout.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("refunds:write", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);

            using var typeless = await till.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 40m }));
            await typeless.ExpectProblemAsync(HttpStatusCode.BadRequest, "payment_type_required");
        }

        Assert.Equal(150m, await ExpectedCashAsync(register));
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
        using (var active = await cashier.Http.GetAsync("/api/v1/shifts/active"))
        {
            Assert.Equal(15000, (await active.ExpectAsync(HttpStatusCode.OK))["data"]!["expected_cash"]!.GetValue<long>());
        }

        // Whoever holds refunds:write may pay out, and the drawer and the shift both show it.
        var manager = await fiscus.StaffAsync("manager");
        using (var payout = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/debits", Json.Body(Payout(register))))
        {
            await payout.ExpectAsync(HttpStatusCode.Created);
        }
        Assert.Equal(110m, await ExpectedCashAsync(register));
        using (var active = await cashier.Http.GetAsync("/api/v1/shifts/active"))
        {
            Assert.Equal(11000, (await active.ExpectAsync(HttpStatusCode.OK))["data"]!["expected_cash"]!.GetValue<long>());
        }
        using (var end = await cashier.Http.PostAsync("/api/v1/shifts/end", Json.Body(new { password = cashier.Password, actual_cash_end = 11000 })))
        {
            await end.ExpectAsync(HttpStatusCode.OK);
        }
    }

    [Theory]
    [InlineData("WRITEOFF")]
    [InlineData("FORGIVEN")]
    [InlineData("CREDIT")]
    public async Task A_credit_that_is_not_a_payment_needs_refunds_write_and_moves_no_money(string creditType)
    {
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 10m);
        var cashier = await fiscus.StaffAsync("cashier");
        var manager = await fiscus.StaffAsync("manager");

        using (var byCashier = await cashier.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 10m, credit_type = creditType })))
        {
            var problem = await byCashier.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("refunds:write", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        using (var withMoney = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 10m, credit_type = creditType, payment_type = "CASH", cash_register_id = 1 })))
        {
            await withMoney.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        }
        Assert.Equal(10m, await fiscus.BalanceAsync(patron));

        using var adjustment = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits",
            Json.Body(new { amount = 10m, credit_type = creditType }));
        var line = await adjustment.ExpectAsync(HttpStatusCode.Created);
        Assert.Null(line["payment_type"]);
        Assert.Null(line["cash_register_id"]);
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }

    /// <summary>
    /// A tender minted with reference:write alone would let payments:write clear debts with money nobody counts (found
    /// by a hostile review: a client created a "Forgiven" method over FOLIO's /payments and paid a 20.00 debt with it).
    /// </summary>
    [Fact]
    public async Task Only_whoever_may_write_debts_off_adds_a_payment_type()
    {
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 20m);
        var folio = await fiscus.ClientAsync(["reference:read", "reference:write", "payments:write"]);
        var name = fiscus.Unique("Forgiven");

        using (var method = await folio.Http.PostAsync("/payments", Json.Body(new { nameMethod = name })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, method.StatusCode);
            Assert.Contains("refunds:write", await method.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var type = await folio.Http.PostAsync("/api/v1/payment_types", Json.Body(new { code = fiscus.Unique("FORGIVE"), description = name })))
        {
            await type.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }
        using (var archived = await (await fiscus.AdminAsync()).PostAsync("/api/v1/payment_types/CARD/archive", null))
        {
            await archived.ExpectAsync(HttpStatusCode.OK);
        }
        using (var back = await folio.Http.PostAsync("/api/v1/payment_types/CARD/unarchive", null))
        {
            await back.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }
        using (var restored = await (await fiscus.StaffAsync("manager")).Http.PostAsync("/api/v1/payment_types/CARD/unarchive", null))
        {
            await restored.ExpectAsync(HttpStatusCode.OK);
        }
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types WHERE description = @name", new { name }));
        Assert.Equal(20m, await fiscus.BalanceAsync(patron));

        var settings = await fiscus.ClientAsync(["reference:read", "reference:write", "refunds:write"]);
        using var added = await settings.Http.PostAsync("/payments", Json.Body(new { nameMethod = name }));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
    }

    [Theory]
    [InlineData("PAYOUT", "debit_type_reserved")]
    [InlineData("VOID", "debit_type_reserved")]
    [InlineData("PAID_OUT", "debit_type_reserved")]
    [InlineData("CASHUP_DEFICIT", "debit_type_reserved")]
    public async Task Money_out_is_no_charge_for_an_intake(string debitType, string code)
    {
        var patron = await fiscus.PatronAsync();
        var manager = await fiscus.StaffAsync("manager");

        using var intake = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/payments",
            Json.Body(new { debit_type = debitType, amount = 5m, payment_type = "CARD" }));

        await intake.ExpectProblemAsync(HttpStatusCode.BadRequest, code);
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
    }

    [Fact]
    public async Task Money_out_cannot_be_sold_even_if_marked_sellable()
    {
        var register = await fiscus.RegisterAsync();
        // Not possible through the API (a system type's can_be_sold is fixed); an old or hand-edited database might say so.
        await fiscus.ScalarAsync<int>("UPDATE debit_types SET can_be_sold = true WHERE code = 'PAYOUT' RETURNING 1");
        try
        {
            using var sale = await (await fiscus.AdminAsync()).PostSaleAsync(register,
                new { debit_type = "PAYOUT", amount = 5m, payment_type = "CASH" });
            await sale.ExpectProblemAsync(HttpStatusCode.BadRequest, "debit_type_not_sellable");
        }
        finally
        {
            await fiscus.ScalarAsync<int>("UPDATE debit_types SET can_be_sold = false WHERE code = 'PAYOUT' RETURNING 1");
        }
    }
}
