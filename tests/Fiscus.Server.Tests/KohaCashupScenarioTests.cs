namespace Fiscus.Server.Tests;

/// <summary>
/// Koha's t/db_dependent/Koha/Cash/Register/Cashup.t summary() scenarios, through Fiscus's API: three cash-ups
/// with refunds inside a session and across a cash-up boundary. Koha refunds a debit (<c>reduce</c>); Fiscus
/// refunds the payment that paid it, so T2's two debits are paid by one payment each and the refund of the
/// LOST payment is "REFUND of LOST" exactly as Koha reports it.
/// </summary>
public sealed class KohaCashupScenarioTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task Summaries_match_Koha_including_refunds_across_a_cashup_boundary()
    {
        var admin = await fiscus.AdminAsync();
        var manager = await fiscus.StaffAsync("manager");
        var register = await fiscus.RegisterAsync(startingFloat: 10m);
        var patron = await fiscus.PatronAsync();

        async Task<long> PayAsync(decimal amount, params JsonNode[] debits)
        {
            using var response = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new
            {
                amount, payment_type = "CASH", cash_register_id = register,
                account_lines_ids = debits.Select(d => d["account_line_id"]!.GetValue<long>()).ToArray(),
            }));
            return (await response.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();
        }

        async Task RefundAsync(long credit, decimal amount)
        {
            using var response = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/refund",
                Json.Body(new { amount, payout_type = "CASH", cash_register_id = register }));
            await response.ExpectAsync(HttpStatusCode.OK);
        }

        async Task<JsonNode> CashupAsync(decimal counted)
        {
            fiscus.Clock.Advance(TimeSpan.FromMinutes(5));
            using var response = await manager.Http.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted } } });
            var cashup = await response.ExpectAsync(HttpStatusCode.Created);
            fiscus.Clock.Advance(TimeSpan.FromMinutes(5));
            return cashup;
        }

        static (string, string, decimal)[] Income(JsonNode summary) => summary["income_grouped"]!.AsArray()
            .Select(g => (g!["debit_type_code"]!.GetValue<string>(), g["debit_type"]!["description"]!.GetValue<string>(), g.Money("total"))).ToArray();

        // T1: an overdue fine paid at the register.
        await PayAsync(1.00m, await fiscus.DebitAsync(patron, 1.00m, "OVERDUE"));
        // T2: an account fee and a lost item paid.
        var account = await fiscus.DebitAsync(patron, 1.00m, "ACCOUNT");
        var lost = await fiscus.DebitAsync(patron, 0.50m, "LOST");
        var accountPayment = await PayAsync(1.00m, account);
        var lostPayment = await PayAsync(0.50m, lost);
        // T3: the lost item's fee refunded in cash from the register.
        await RefundAsync(lostPayment, 0.50m);

        var cashup1 = await CashupAsync(2.00m);
        var summary1 = cashup1["summary"]!;
        Assert.Equal([("ACCOUNT", "Account creation fee", 1.00m), ("LOST", "Lost item", 0.50m), ("OVERDUE", "Overdue fine", 1.00m)], Income(summary1));
        Assert.Equal(2.50m, summary1.Money("income_total"));
        var payout1 = Assert.Single(summary1["payout_grouped"]!.AsArray())!;
        Assert.Equal(0.50m, payout1.Money("total"));
        Assert.Equal("REFUND", payout1["credit_type_code"]!.GetValue<string>());
        Assert.Equal("Refund", payout1["credit_type"]!["description"]!.GetValue<string>());
        Assert.Equal("LOST", payout1["related_debit"]!["debit_type_code"]!.GetValue<string>());
        Assert.Equal("Lost item", payout1["related_debit"]!["debit_type"]!["description"]!.GetValue<string>());
        Assert.Equal(0.50m, summary1.Money("payout_total"));
        Assert.Equal(2.00m, summary1.Money("total"));
        Assert.Equal(0m, Assert.Single(cashup1["fiscus"]!["reconciliations"]!.AsArray())!.Money("difference"));

        // Cash-up 2: part of a fine paid; its window starts where cash-up 1's ended.
        var fine = await fiscus.DebitAsync(patron, 2.75m, "OVERDUE");
        await PayAsync(2.00m, fine);
        var cashup2 = await CashupAsync(2.00m);
        var summary2 = cashup2["summary"]!;
        Assert.Equal(summary1["to_date"]!.GetValue<DateTime>(), summary2["from_date"]!.GetValue<DateTime>());
        Assert.Equal([("OVERDUE", "Overdue fine", 2.00m)], Income(summary2));
        Assert.Empty(summary2["payout_grouped"]!.AsArray());
        Assert.Equal(2.00m, summary2.Money("total"));

        // Cash-up 3: the account fee paid before cash-up 1 is refunded in full (across the cash-up boundary).
        await RefundAsync(accountPayment, 1.00m);
        var cashup3 = await CashupAsync(-1.00m);
        var summary3 = cashup3["summary"]!;
        Assert.Empty(summary3["income_grouped"]!.AsArray());
        var payout3 = Assert.Single(summary3["payout_grouped"]!.AsArray())!;
        Assert.Equal(1.00m, payout3.Money("total"));
        Assert.Equal("REFUND", payout3["credit_type_code"]!.GetValue<string>());
        Assert.Equal("ACCOUNT", payout3["related_debit"]!["debit_type_code"]!.GetValue<string>());
        Assert.Equal(-1.00m, summary3.Money("total"));
        // The refund exceeded the takings: the drawer is below its float and the banking is negative (a top-up).
        Assert.Equal(-1.00m, summary3.Money("bankable"));
        Assert.Equal(9.00m, summary3.Money("expected_cash_in_drawer"));

        // Cash-up 1 still reads as it was counted.
        using var again = await admin.GetEmbeddedAsync($"/api/v1/cashups/{cashup1["cashup_id"]}", "summary");
        var reread = (await again.ExpectAsync(HttpStatusCode.OK))["summary"]!;
        Assert.Equal(0.50m, reread.Money("payout_total"));
        Assert.Equal(2.00m, reread.Money("total"));
        Assert.Equal(Income(summary1), Income(reread));
    }

    [Fact]
    public async Task A_counter_sale_refunded_after_its_cashup_is_a_payout_of_the_next_session()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 25m);
        var manager = await fiscus.StaffAsync("manager");
        var sale = await fiscus.SellAsync(register, 4.00m, "PRINT", "CASH");
        await fiscus.SellAsync(register, 0.60m, "COPY", "CASH");
        var first = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 4.60m } } });

        using var refund = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds",
            Json.Body(new { account_line_id = sale["debits"]![0]!["account_line_id"]!.GetValue<long>(), amount = 1.50m }));
        await refund.ExpectAsync(HttpStatusCode.Created);
        await fiscus.SellAsync(register, 0.30m, "COPY", "CASH");

        var live = (await fiscus.SessionAsync(register))["summary"]!;
        Assert.Equal(0.30m, live.Money("income_total"));
        var payout = Assert.Single(live["payout_grouped"]!.AsArray())!;
        Assert.Equal(("REFUND", "PRINT", 1.50m),
            (payout["credit_type_code"]!.GetValue<string>(), payout["related_debit"]!["debit_type_code"]!.GetValue<string>(), payout.Money("total")));
        Assert.Equal(-1.20m, live.Money("total"));
        Assert.Equal(23.80m, live.Money("expected_cash_in_drawer"));

        var second = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = -1.20m } } });
        Assert.Equal(-1.20m, second.Money("amount"));
        using var reread = await (await fiscus.AdminAsync()).GetEmbeddedAsync($"/api/v1/cashups/{first["cashup_id"]}", "summary");
        var frozen = (await reread.ExpectAsync(HttpStatusCode.OK))["summary"]!;
        Assert.Empty(frozen["payout_grouped"]!.AsArray());
        Assert.Equal(4.60m, frozen.Money("total"));
    }
}
