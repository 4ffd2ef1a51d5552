namespace Fiscus.Server.Tests;

/// <summary>Void, cancel, write off and refund: each writes new lines and offsets, none edits money.</summary>
public sealed class AccountActionTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task<HttpClient> ManagerAsync() => (await fiscus.StaffAsync("manager")).Http;

    async Task<JsonNode> PayAsync(long patron, decimal amount, string paymentType = "CARD", int? register = null, long[]? lines = null)
    {
        using var response = await (await ManagerAsync()).PostAsync($"/api/v1/patrons/{patron}/account/credits",
            Json.Body(new { amount, payment_type = paymentType, cash_register_id = register, account_lines_ids = lines }));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    async Task<(HttpResponseMessage Response, JsonNode Body)> ActAsync(long patron, string side, long line, string action, object? body = null)
    {
        // The lines come as Koha's debit and credit; the line each answers is one of Fiscus's own facts (x-koha-embed: fiscus).
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patrons/{patron}/account/{side}/{line}/{action}")
        {
            Content = body is null ? null : Json.Body(body),
            Headers = { { "x-koha-embed", "fiscus" } },
        };
        var response = await (await ManagerAsync()).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!);
    }

    static long Id(JsonNode line) => line["account_line_id"]!.GetValue<long>();

    [Fact]
    public async Task Voiding_a_payment_reverses_its_applications_and_restores_the_debits()
    {
        var patron = await fiscus.PatronAsync();
        var d1 = Id(await fiscus.DebitAsync(patron, 4m));
        var d2 = Id(await fiscus.DebitAsync(patron, 6m));
        var payment = await PayAsync(patron, 12m, "CASH", register: 1);
        Assert.Equal(-2m, await fiscus.BalanceAsync(patron));

        var (response, body) = await ActAsync(patron, "credits", Id(payment), "void", new { note = "keyed twice" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("VOID", body["line"]!["status"]!.GetValue<string>());
        Assert.Equal(0m, body["line"]!["amount_outstanding"]!.GetValue<decimal>());
        Assert.Equal(-12m, body["line"]!["amount"]!.GetValue<decimal>());
        var voidDebit = Assert.Single(body["created"]!.AsArray())!;
        Assert.Equal("VOID", voidDebit["type"]!.GetValue<string>());
        Assert.Equal(Id(payment), voidDebit["fiscus"]!["related_account_line_id"]!.GetValue<long>());
        // The cash goes back out of the register it came in through.
        Assert.Equal(1, voidDebit["cash_register_id"]!.GetValue<int>());
        Assert.Equal("CASH", voidDebit["payout_type"]!.GetValue<string>());
        Assert.Equal([d1, d2], body["changed"]!.AsArray().Select(l => Id(l!)));
        Assert.Equal(2, body["offsets"]!.AsArray().Count(o => o!["type"]!.GetValue<string>() == "VOID"));
        Assert.Equal(10m, body["balance"]!.GetValue<decimal>());
        Assert.Equal(10m, await fiscus.BalanceAsync(patron));

        var (again, problem) = await ActAsync(patron, "credits", Id(payment), "void");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("credit_already_void", problem["code"]!.GetValue<string>());
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Cancelling_an_unpaid_charge_absorbs_it_and_a_paid_one_cannot_be_cancelled()
    {
        var patron = await fiscus.PatronAsync();
        var unpaid = Id(await fiscus.DebitAsync(patron, 8m));
        var (response, body) = await ActAsync(patron, "debits", unpaid, "cancel");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("CANCELLED", body["line"]!["status"]!.GetValue<string>());
        Assert.Equal("CANCELLATION", body["created"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("APPLIED", body["created"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(0m, body["balance"]!.GetValue<decimal>());

        var (twice, twiceBody) = await ActAsync(patron, "debits", unpaid, "cancel");
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("debit_already_cancelled", twiceBody["code"]!.GetValue<string>());

        var paid = Id(await fiscus.DebitAsync(patron, 8m));
        await PayAsync(patron, 1m, lines: [paid]);
        var (refused, problem) = await ActAsync(patron, "debits", paid, "cancel");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("debit_already_offset", problem["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Writing_off_takes_part_or_all_of_what_a_charge_owes()
    {
        var patron = await fiscus.PatronAsync();
        var debit = Id(await fiscus.DebitAsync(patron, 10m));

        var (partial, partialBody) = await ActAsync(patron, "debits", debit, "writeoff", new { amount = 2.50m, note = "goodwill" });
        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.Equal(7.50m, partialBody["line"]!["amount_outstanding"]!.GetValue<decimal>());
        Assert.Equal("WRITEOFF", partialBody["created"]![0]!["type"]!.GetValue<string>());

        var (tooMuch, tooMuchBody) = await ActAsync(patron, "debits", debit, "writeoff", new { amount = 8m });
        Assert.Equal(HttpStatusCode.BadRequest, tooMuch.StatusCode);
        Assert.Equal("amount_exceeds_outstanding", tooMuchBody["code"]!.GetValue<string>());

        var (rest, restBody) = await ActAsync(patron, "debits", debit, "writeoff");
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        Assert.Equal(0m, restBody["line"]!["amount_outstanding"]!.GetValue<decimal>());
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));

        var (nothing, nothingBody) = await ActAsync(patron, "debits", debit, "writeoff");
        Assert.Equal(HttpStatusCode.Conflict, nothing.StatusCode);
        Assert.Equal("nothing_outstanding", nothingBody["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Refunding_an_outstanding_credit_pays_it_out_of_the_register()
    {
        var patron = await fiscus.PatronAsync();
        var credit = await PayAsync(patron, 20m, "CASH", register: 1);
        Assert.Equal(-20m, await fiscus.BalanceAsync(patron));

        var (noRegister, noRegisterBody) = await ActAsync(patron, "credits", Id(credit), "refund", new { amount = 5m });
        Assert.Equal(HttpStatusCode.BadRequest, noRegister.StatusCode);
        Assert.Equal("register_required", noRegisterBody["code"]!.GetValue<string>());

        var (response, body) = await ActAsync(patron, "credits", Id(credit), "refund", new { amount = 5m, cash_register_id = 1 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var payout = Assert.Single(body["created"]!.AsArray())!;
        Assert.Equal("PAYOUT", payout["type"]!.GetValue<string>());
        Assert.Equal(5m, payout["amount"]!.GetValue<decimal>());
        Assert.Equal(0m, payout["amount_outstanding"]!.GetValue<decimal>());
        Assert.Equal(1, payout["cash_register_id"]!.GetValue<int>());
        Assert.Equal(-15m, body["line"]!["amount_outstanding"]!.GetValue<decimal>());
        Assert.Equal(-15m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task Refunding_a_payment_gives_the_money_back_and_leaves_the_balance()
    {
        var patron = await fiscus.PatronAsync();
        var debit = Id(await fiscus.DebitAsync(patron, 10m, "LOST"));
        var payment = await PayAsync(patron, 10m, "CARD");

        var (response, body) = await ActAsync(patron, "credits", Id(payment), "refund", new { amount = 4m, note = "item found" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = body["created"]!.AsArray();
        var refund = created.Single(l => l!["type"]?.GetValue<string>() == "REFUND")!;
        var payout = created.Single(l => l!["type"]?.GetValue<string>() == "PAYOUT")!;
        Assert.Equal(-4m, refund["amount"]!.GetValue<decimal>());
        Assert.Equal(Id(payment), refund["fiscus"]!["related_account_line_id"]!.GetValue<long>());
        Assert.Equal("CARD", payout["payout_type"]!.GetValue<string>());
        Assert.Equal(0m, body["balance"]!.GetValue<decimal>());
        Assert.Equal(0m, (await fiscus.AccountAsync(patron))["outstanding_debits"]!["total"]!.GetValue<decimal>());

        var (over, overBody) = await ActAsync(patron, "credits", Id(payment), "refund", new { amount = 6.01m });
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Equal("amount_exceeds_refundable", overBody["code"]!.GetValue<string>());

        var (rest, restBody) = await ActAsync(patron, "credits", Id(payment), "refund");
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        Assert.Equal("REFUNDED", restBody["line"]!["status"]!.GetValue<string>());
        var (none, noneBody) = await ActAsync(patron, "credits", Id(payment), "refund");
        Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
        Assert.Equal("nothing_to_refund", noneBody["code"]!.GetValue<string>());

        var (voided, voidBody) = await ActAsync(patron, "credits", Id(payment), "void");
        Assert.Equal(HttpStatusCode.Conflict, voided.StatusCode);
        Assert.Equal("credit_refunded", voidBody["code"]!.GetValue<string>());
        Assert.Equal(0, await fiscus.ScalarAsync<long>("SELECT amount_outstanding_minor FROM account_lines WHERE account_line_id = @debit", new { debit }));
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task A_payment_type_that_allows_no_refunds_cannot_pay_one_out()
    {
        var code = fiscus.Unique("VOUCHER");
        using (var created = await (await fiscus.AdminAsync()).PostAsync("/api/v1/payment_types",
            Json.Body(new { code, description = "Gift voucher", allowed_refund = false })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var patron = await fiscus.PatronAsync();
        var credit = await PayAsync(patron, 5m, code);

        var (response, body) = await ActAsync(patron, "credits", Id(credit), "refund");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("refund_not_allowed", body["code"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string, HttpStatusCode, string> WrongLines => new()
    {
        { "void a debit", "credits", "DEBIT", HttpStatusCode.NotFound, "credit_not_found" },
        { "cancel a credit", "debits", "CREDIT", HttpStatusCode.NotFound, "debit_not_found" },
        { "refund a debit", "credits", "DEBIT", HttpStatusCode.NotFound, "credit_not_found" },
        { "write off another patron's debit", "debits", "FOREIGN", HttpStatusCode.NotFound, "debit_not_found" },
        { "void an unknown line", "credits", "UNKNOWN", HttpStatusCode.NotFound, "credit_not_found" },
    };

    [Theory]
    [MemberData(nameof(WrongLines))]
    public async Task Actions_on_the_wrong_line_are_404(string what, string side, string which, HttpStatusCode status, string code)
    {
        var patron = await fiscus.PatronAsync();
        var other = await fiscus.PatronAsync();
        var debit = Id(await fiscus.DebitAsync(patron, 1m));
        var credit = Id(await PayAsync(patron, 1m));
        var foreign = Id(await fiscus.DebitAsync(other, 1m));
        var line = which switch { "DEBIT" => debit, "CREDIT" => credit, "FOREIGN" => foreign, _ => 99999999L };
        var action = what.Split(' ')[0] switch { "void" => "void", "cancel" => "cancel", "refund" => "refund", _ => "writeoff" };

        var (response, body) = await ActAsync(patron, side, line, action);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, body["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("debits", "cancel")]
    [InlineData("debits", "writeoff")]
    [InlineData("credits", "void")]
    [InlineData("credits", "refund")]
    public async Task A_secured_patron_refuses_every_action(string side, string action)
    {
        var patron = await fiscus.PatronAsync();
        var debit = Id(await fiscus.DebitAsync(patron, 3m));
        var credit = Id(await PayAsync(patron, 1m));
        var admin = await fiscus.AdminAsync();
        using (var secure = await admin.PutAsync($"/api/v1/patrons/{patron}", Json.Body(new
        {
            cardnumber = await fiscus.ScalarAsync<string>("SELECT cardnumber FROM patrons WHERE patron_id = @patron", new { patron }),
            surname = "Secured", library_id = "MAIN", secured = true,
        })))
        {
            await secure.ExpectAsync(HttpStatusCode.OK);
        }

        var (response, body) = await ActAsync(patron, side, side == "debits" ? debit : credit, action);
        using var debitPost = await admin.PostAsync($"/api/v1/patrons/{patron}/account/debits", Json.Body(new { amount = 1m, type = "MANUAL" }));
        using var creditPost = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 1m }));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("patron_secured", body["code"]!.GetValue<string>());
        await debitPost.ExpectProblemAsync(HttpStatusCode.Conflict, "patron_secured");
        await creditPost.ExpectProblemAsync(HttpStatusCode.Conflict, "patron_secured");
        Assert.Equal(2m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task A_cashier_takes_payments_but_cannot_void_or_add_other_credits()
    {
        var patron = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var credit = Id(await PayAsync(patron, 1m));

        using var payment = await cashier.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 1m, payment_type = "CARD" }));
        using var forgive = await cashier.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 1m, credit_type = "FORGIVEN" }));
        using var voiding = await cashier.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", null);

        await payment.ExpectAsync(HttpStatusCode.Created);
        await forgive.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await voiding.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }
}
