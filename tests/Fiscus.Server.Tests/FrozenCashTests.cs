namespace Fiscus.Server.Tests;

/// <summary>
/// What a line means for a drawer is fixed when it is written: editing a payment type's <c>counts_as_cash</c>
/// afterwards changes no open session's or shift's expected cash. (Security review, finding 3: <c>PUT
/// /payment_types/CARD {"counts_as_cash": true}</c> raised the expected cash of every open session and shift,
/// because summaries read the flag live.)
/// </summary>
public sealed class FrozenCashTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task SetCountsAsCashAsync(string code, bool countsAsCash)
    {
        using var response = await (await fiscus.AdminAsync()).PutAsync($"/api/v1/payment_types/{code}",
            Json.Body(new { description = code, counts_as_cash = countsAsCash }));
        await response.ExpectAsync(HttpStatusCode.OK);
    }

    async Task<string> PaymentTypeAsync(bool countsAsCash)
    {
        var code = fiscus.Unique("VOUCHER");
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/payment_types",
            Json.Body(new { code, description = code, counts_as_cash = countsAsCash }));
        await response.ExpectAsync(HttpStatusCode.Created);
        return code;
    }

    [Fact]
    public async Task Editing_a_payment_type_never_rewrites_the_expected_cash_of_an_open_session_or_shift()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 100m);
        var card = await PaymentTypeAsync(countsAsCash: false);
        var tokens = await PaymentTypeAsync(countsAsCash: true);
        var cashier = await fiscus.UserAsync("cashier", "MAIN");
        using (var shift = await cashier.Http.PostAsync("/api/v1/shifts/start",
                   Json.Body(new { start_cash = 10000, password = cashier.Password, cash_register_id = register })))
        {
            await shift.ExpectAsync(HttpStatusCode.Created);
        }
        await fiscus.SellAsync(register, 10m, paymentType: "CASH");
        await fiscus.SellAsync(register, 5m, paymentType: card);
        await fiscus.SellAsync(register, 3m, paymentType: tokens);

        async Task<(decimal Session, long Shift)> ExpectedAsync()
        {
            var session = (await fiscus.SessionAsync(register))["summary"]!.Money("expected_cash_in_drawer");
            using var active = await cashier.Http.GetAsync("/api/v1/shifts/active");
            return (session, (await active.ExpectAsync(HttpStatusCode.OK))["data"]!["expected_cash"]!.GetValue<long>());
        }
        Assert.Equal((113m, 11300L), await ExpectedAsync());

        await SetCountsAsCashAsync(card, true);
        await SetCountsAsCashAsync(tokens, false);

        Assert.Equal((113m, 11300L), await ExpectedAsync());
        var summary = (await fiscus.SessionAsync(register))["summary"]!;
        Assert.False(summary.PaymentType(card)["counts_as_cash"]!.GetValue<bool>());
        Assert.True(summary.PaymentType(tokens)["counts_as_cash"]!.GetValue<bool>());
        Assert.Equal((5m, 0m), (summary.PaymentType(card).Money("total"), summary.PaymentType(card).Money("drawer_total")));

        // Money taken after the edit counts as the type now says.
        await fiscus.SellAsync(register, 4m, paymentType: card);
        await fiscus.SellAsync(register, 2m, paymentType: tokens);
        Assert.Equal((117m, 11700L), await ExpectedAsync());
        var mixed = (await fiscus.SessionAsync(register))["summary"]!;
        Assert.Equal((9m, 4m, true), (mixed.PaymentType(card).Money("total"), mixed.PaymentType(card).Money("drawer_total"),
            mixed.PaymentType(card)["counts_as_cash"]!.GetValue<bool>()));
        Assert.Equal((5m, 3m), (mixed.PaymentType(tokens).Money("total"), mixed.PaymentType(tokens).Money("drawer_total")));

        using (var end = await cashier.Http.PostAsync("/api/v1/shifts/end", Json.Body(new { password = cashier.Password, actual_cash_end = 11700 })))
        {
            Assert.Equal(0, (await end.ExpectAsync(HttpStatusCode.OK))["data"]!["difference"]!.GetValue<long>());
        }
        // The cash-up counts what each type left in the drawer: the card's cash part, the tokens' cash part.
        using var cashup = await (await fiscus.AdminAsync()).PostCashupAsync(register, new { reconciliations = Array.Empty<object>() });
        var problem = await cashup.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        var uncounted = problem["errors"]!["reconciliations"]![0]!.GetValue<string>();
        Assert.Contains(card, uncounted, StringComparison.Ordinal);
        Assert.Contains(tokens, uncounted, StringComparison.Ordinal);
        var counted = await fiscus.CashupAsync(register, new
        {
            reconciliations = new[]
            {
                new { payment_type = "CASH", counted = 10m }, new { payment_type = card, counted = 4m }, new { payment_type = tokens, counted = 3m },
            },
        });
        Assert.All(counted["fiscus"]!["reconciliations"]!.AsArray(), r => Assert.Equal(0m, r!.Money("difference")));
        Assert.Equal(117m, counted["summary"]!.Money("expected_cash_in_drawer"));
    }

    /// <summary>
    /// Turning a counted tender into an uncounted one is as good as minting one nobody counts (second review: a client
    /// with reference:write flipped a cash cheque type off and paid without a register), so it needs refunds:write too.
    /// </summary>
    [Fact]
    public async Task Whether_a_payment_type_counts_as_cash_is_changed_only_by_whoever_may_write_debts_off()
    {
        var cheque = await PaymentTypeAsync(countsAsCash: true);
        var settings = await fiscus.ClientAsync(["reference:write", "reference:read"]);

        using (var flip = await settings.Http.PutAsync($"/api/v1/payment_types/{cheque}", Json.Body(new { description = cheque, counts_as_cash = false })))
        {
            var problem = await flip.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            Assert.Contains("refunds:write", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        using (var rename = await settings.Http.PutAsync($"/api/v1/payment_types/{cheque}", Json.Body(new { description = cheque + " (paper)" })))
        {
            await rename.ExpectAsync(HttpStatusCode.OK);
        }
        Assert.True(await fiscus.ScalarAsync<bool>("SELECT counts_as_cash FROM payment_types WHERE code = @cheque", new { cheque }));
    }

    [Fact]
    public async Task A_payment_made_cash_after_it_was_taken_without_a_register_voids_without_one()
    {
        var voucher = await PaymentTypeAsync(countsAsCash: false);
        var patron = await fiscus.PatronAsync();
        var manager = await fiscus.StaffAsync("manager");
        using var paid = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits",
            Json.Body(new { amount = 5m, payment_type = voucher }));
        var credit = (await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();
        await SetCountsAsCashAsync(voucher, true);

        using (var now = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 5m, payment_type = voucher })))
        {
            await now.ExpectProblemAsync(HttpStatusCode.BadRequest, "register_required");
        }
        using var voided = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", Json.Body(new { }));
        var body = await voided.ExpectAsync(HttpStatusCode.OK);
        Assert.Null(body["created"]![0]!["cash_register_id"]);
    }
}
