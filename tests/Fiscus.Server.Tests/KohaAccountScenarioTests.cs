namespace Fiscus.Server.Tests;

/// <summary>
/// Koha's own patron account API scenarios (t/db_dependent/api/v1/patrons_accounts.t), step by step,
/// against Fiscus. Where Koha adds a line from Perl, the test uses the equivalent API call.
/// </summary>
public sealed class KohaAccountScenarioTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task<JsonNode> CreditAsync(long patronId, object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/patrons/{patronId}/account/credits", Json.Body(body));
        return await response.ExpectAsync(expected);
    }

    static decimal Total(JsonNode account, string side) => account[side]!["total"]!.GetValue<decimal>();

    static long[] LineIds(JsonNode account, string side) =>
        account[side]!["lines"]!.AsArray().Select(l => l!["account_line_id"]!.GetValue<long>()).ToArray();

    [Fact]
    public async Task Get_balance()
    {
        var patron = await fiscus.PatronAsync();

        var fresh = await fiscus.AccountAsync(patron);
        Assert.Equal("""{"balance":0.00,"outstanding_debits":{"total":0.00,"lines":[]},"outstanding_credits":{"total":0.00,"lines":[]}}""",
            fresh.ToJsonString());

        var first = await fiscus.DebitAsync(patron, 50m, "NEW_CARD");
        var second = await fiscus.DebitAsync(patron, 50.01m, "NEW_CARD");
        var owing = await fiscus.AccountAsync(patron);
        Assert.Equal(100.01m, owing["balance"]!.GetValue<decimal>());
        Assert.Equal(100.01m, Total(owing, "outstanding_debits"));
        Assert.Equal([first["account_line_id"]!.GetValue<long>(), second["account_line_id"]!.GetValue<long>()], LineIds(owing, "outstanding_debits"));

        await CreditAsync(patron, new { amount = 100.01m, payment_type = "CARD" });
        var paid = await fiscus.AccountAsync(patron);
        Assert.Equal(0m, paid["balance"]!.GetValue<decimal>());
        Assert.Empty(LineIds(paid, "outstanding_debits"));
        Assert.Empty(LineIds(paid, "outstanding_credits"));

        await CreditAsync(patron, new { amount = 10m, credit_type = "CREDIT" });
        var inCredit = await fiscus.AccountAsync(patron);
        Assert.Equal(-10m, inCredit["balance"]!.GetValue<decimal>());
        Assert.Equal(-10m, Total(inCredit, "outstanding_credits"));

        // A new debit is not reconciled against the credit on its own (Koha without AccountAutoReconcile).
        await fiscus.DebitAsync(patron, 50m, "OVERDUE");
        var both = await fiscus.AccountAsync(patron);
        Assert.Equal(40m, both["balance"]!.GetValue<decimal>());
        Assert.Equal(50m, Total(both, "outstanding_debits"));
        Assert.Equal(-10m, Total(both, "outstanding_credits"));
    }

    [Fact]
    public async Task Add_credit()
    {
        var patron = await fiscus.PatronAsync();

        // Unlike Koha, a payment must say how it was paid: a PAYMENT with no payment type is a write-off in disguise.
        var typeless = await CreditAsync(patron, new { amount = 100m }, HttpStatusCode.BadRequest);
        Assert.Equal("payment_type_required", typeless["code"]!.GetValue<string>());
        var lone = await CreditAsync(patron, new { amount = 100m, payment_type = "CARD" });
        Assert.Equal(-100m, lone["amount"]!.GetValue<decimal>());
        Assert.Equal("PAYMENT", lone["credit_type"]!.GetValue<string>());
        Assert.Equal("api", lone["interface"]!.GetValue<string>());
        var account = await fiscus.AccountAsync(patron);
        Assert.Single(LineIds(account, "outstanding_credits"));
        Assert.Equal(-100m, Total(account, "outstanding_credits"));

        var d1 = (await fiscus.DebitAsync(patron, 10m))["account_line_id"]!.GetValue<long>();
        var d2 = (await fiscus.DebitAsync(patron, 15m))["account_line_id"]!.GetValue<long>();
        var library = fiscus.Unique("CR");
        using (var created = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = library, name = library })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var withLibrary = await CreditAsync(patron, new { amount = 100m, payment_type = "CARD", library_id = library });
        Assert.Equal(library, withLibrary["library_id"]!.GetValue<string>());
        Assert.Equal(0m, Total(await fiscus.AccountAsync(patron), "outstanding_debits")); // "Debits have been cancelled automatically"

        var d3 = (await fiscus.DebitAsync(patron, 100m))["account_line_id"]!.GetValue<long>();
        await CreditAsync(patron, new { amount = 35m, payment_type = "CARD", account_lines_ids = new[] { d1, d2, d3 } });
        var after = await fiscus.AccountAsync(patron);
        Assert.Equal(65m, Total(after, "outstanding_debits"));
        Assert.Equal([d3], LineIds(after, "outstanding_debits"));
    }

    [Fact]
    public async Task List_credits_and_debits_keep_the_ledger_signs()
    {
        var patron = await fiscus.PatronAsync();
        await CreditAsync(patron, new { amount = 35m, payment_type = "CASH", cash_register_id = 1 });
        await CreditAsync(patron, new { amount = 70m, payment_type = "CASH", cash_register_id = 1 });
        await fiscus.DebitAsync(patron, 100m);
        await fiscus.DebitAsync(patron, 40m);
        var admin = await fiscus.AdminAsync();

        using var credits = await admin.GetAsync($"/api/v1/patrons/{patron}/account/credits");
        using var debits = await admin.GetAsync($"/api/v1/patrons/{patron}/account/debits");

        Assert.Equal(-105m, (await credits.ExpectAsync(HttpStatusCode.OK)).AsArray().Sum(l => l!["amount"]!.GetValue<decimal>()));
        Assert.Equal(140m, (await debits.ExpectAsync(HttpStatusCode.OK)).AsArray().Sum(l => l!["amount"]!.GetValue<decimal>()));
        Assert.Equal("2", credits.Headers.GetValues("X-Total-Count").Single());
    }

    [Fact]
    public async Task Add_debit()
    {
        var patron = await fiscus.PatronAsync();
        var admin = await fiscus.AdminAsync();

        using var created = await admin.PostAsync($"/api/v1/patrons/{patron}/account/debits",
            Json.Body(new { amount = 100m, description = "A description", type = "NEW_CARD", library_id = "MAIN" }));
        var debit = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"/api/v1/patrons/{patron}/account/debits/{debit["account_line_id"]}", created.Headers.Location!.OriginalString);
        using (var fetched = await admin.GetAsync(created.Headers.Location!.OriginalString))
        {
            Assert.Equal(debit.ToJsonString(), (await fetched.ExpectAsync(HttpStatusCode.OK)).ToJsonString());
        }
        Assert.Equal("MAIN", debit["library_id"]!.GetValue<string>());
        Assert.Equal(100m, Total(await fiscus.AccountAsync(patron), "outstanding_debits"));

        await CreditAsync(patron, new { amount = 10m, payment_type = "CARD" });
        await CreditAsync(patron, new { amount = 15m, payment_type = "CARD" });
        var paid = await fiscus.AccountAsync(patron);
        Assert.Equal(0m, Total(paid, "outstanding_credits"));
        Assert.Equal(75m, Total(paid, "outstanding_debits"));

        using var again = await admin.PostAsync($"/api/v1/patrons/{patron}/account/debits",
            Json.Body(new { amount = 100m, description = "A description", type = "NEW_CARD", library_id = "MAIN" }));
        await again.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(175m, Total(await fiscus.AccountAsync(patron), "outstanding_debits"));
    }

    [Fact]
    public async Task Listed_lines_must_belong_to_the_patron_unlike_in_Koha()
    {
        var patron = await fiscus.PatronAsync();
        var other = await fiscus.PatronAsync();
        var theirs = (await fiscus.DebitAsync(other, 5m))["account_line_id"]!.GetValue<long>();

        var problem = await CreditAsync(patron, new { amount = 5m, payment_type = "CARD", account_lines_ids = new[] { theirs } }, HttpStatusCode.BadRequest);

        Assert.Equal("unknown_account_lines", problem["code"]!.GetValue<string>());
        Assert.Equal(5m, await fiscus.BalanceAsync(other));
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task A_cash_payout_needs_a_register()
    {
        var patron = await fiscus.PatronAsync();
        var admin = await fiscus.AdminAsync();

        using var withoutRegister = await admin.PostAsync($"/api/v1/patrons/{patron}/account/debits",
            Json.Body(new { amount = 10m, type = "PAYOUT", payout_type = "CASH" }));
        var refused = await withoutRegister.ExpectProblemAsync(HttpStatusCode.BadRequest, "register_required");
        Assert.Equal("Account transaction requires a cash register", refused["error"]!.GetValue<string>());

        using var withRegister = await admin.PostAsync($"/api/v1/patrons/{patron}/account/debits",
            Json.Body(new { amount = 10m, type = "PAYOUT", payout_type = "CASH", cash_register_id = 1 }));
        var payout = await withRegister.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(1, payout["cash_register_id"]!.GetValue<int>());
        Assert.Equal("CASH", payout["payout_type"]!.GetValue<string>());
        Assert.Equal("PAYOUT", payout["type"]!.GetValue<string>());
    }
}
