using static Fiscus.Server.Tests.KohaDropIn.KohaShapes;

namespace Fiscus.Server.Tests.KohaDropIn;

/// <summary>
/// A Koha REST client works unchanged against Fiscus's patron account routes: every answer has exactly the properties of
/// Koha's definitions (debit, credit, account_line, patron_balance), with Koha's types, and Koha's own assertions
/// (t/db_dependent/api/v1/patrons_accounts.t: get_balance, add_credit, get_credit, list_credits, get_debit, list_debits,
/// add_debit) hold. Fiscus's own facts come only when asked for (<c>x-koha-embed: fiscus</c>).
/// </summary>
public sealed class KohaAccountsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static async Task<JsonNode> SendAsync(HttpClient http, HttpMethod method, string path, object? body = null, string? embed = null,
        HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json.Body(body) };
        if (embed is not null)
        {
            request.Headers.Add("x-koha-embed", embed);
        }
        using var response = await http.SendAsync(request);
        return await response.ExpectAsync(expected);
    }

    async Task<JsonNode> GetAsync(string path, string? embed = null, HttpStatusCode expected = HttpStatusCode.OK) =>
        await SendAsync(await fiscus.AdminAsync(), HttpMethod.Get, path, embed: embed, expected: expected);

    async Task<JsonNode> PostAsync(string path, object body, string? embed = null, HttpStatusCode expected = HttpStatusCode.Created) =>
        await SendAsync(await fiscus.AdminAsync(), HttpMethod.Post, path, body, embed, expected);

    static long Id(JsonNode line) => line["account_line_id"]!.GetValue<long>();

    async Task<long> AdminIdAsync() => await fiscus.ScalarAsync<long>("SELECT user_id FROM staff_users WHERE username = 'admin'");

    [Fact]
    public async Task Every_line_answer_has_exactly_the_properties_of_Koha_s_definitions()
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";

        // A credit with nothing to pay stays outstanding; a later debit is not reconciled against it on its own.
        var spare = await PostAsync($"{account}/credits", new { amount = 1m, credit_type = "CREDIT" });
        var debit = await PostAsync($"{account}/debits", new { amount = 12.5m, type = "NEW_CARD", description = "Card" });
        AssertShape(debit, Debit, "POST debits");
        Assert.Equal("NEW_CARD", debit["type"]!.GetValue<string>());
        // Koha's addPatronCredit answers an account_line (credit_type), as its paths file and its test say.
        var credit = await PostAsync($"{account}/credits", new { amount = 2.5m, payment_type = "CARD", account_lines_ids = new[] { Id(debit) } });
        AssertShape(credit, AccountLine, "POST credits");
        AssertShape(spare, AccountLine, "POST credits (CREDIT)");
        Assert.Equal("PAYMENT", credit["credit_type"]!.GetValue<string>());
        Assert.Null(credit["debit_type"]);

        foreach (var line in (await GetAsync($"{account}/debits")).AsArray())
        {
            AssertShape(line, Debit, "GET debits");
        }
        foreach (var line in (await GetAsync($"{account}/credits")).AsArray())
        {
            AssertShape(line, Credit, "GET credits");
        }
        AssertShape(await GetAsync($"{account}/debits/{Id(debit)}"), Debit, "GET debits/{id}");
        var readCredit = await GetAsync($"{account}/credits/{Id(credit)}");
        AssertShape(readCredit, Credit, "GET credits/{id}");
        Assert.Equal("PAYMENT", readCredit["type"]!.GetValue<string>());
        Assert.Equal("CARD", readCredit["payment_type"]!.GetValue<string>());
        Assert.Equal(-2.5m, readCredit["amount"]!.GetValue<decimal>());

        var balance = await GetAsync(account);
        AssertPatronBalance(balance);
        Assert.Equal(9m, balance["balance"]!.GetValue<decimal>());
        Assert.Equal([Id(spare)], balance["outstanding_credits"]!["lines"]!.AsArray().Select(l => Id(l!)));

        // Koha has no checkouts to speak of here, and no credit numbers: both are null, never absent.
        Assert.Null(debit["checkout_id"]);
        Assert.Null(readCredit["credit_number"]);
        Assert.True(balance["outstanding_debits"]!["lines"]![0]!.AsObject().ContainsKey("old_checkout_id"));
    }

    [Fact]
    public async Task Actions_answer_each_line_as_its_own_kind()
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";
        var debit = await PostAsync($"{account}/debits", new { amount = 5m, type = "MANUAL" });
        var payment = await PostAsync($"{account}/credits", new { amount = 3m, payment_type = "CARD" });
        var unpaid = await PostAsync($"{account}/debits", new { amount = 6m, type = "MANUAL" });

        var voided = await PostAsync($"{account}/credits/{Id(payment)}/void", new { note = "keyed twice" }, expected: HttpStatusCode.OK);
        AssertShape(voided["line"], Credit, "void: the credit");
        var voidDebit = Assert.Single(voided["created"]!.AsArray());
        AssertShape(voidDebit, Debit, "void: the VOID debit");
        Assert.Equal("VOID", voidDebit!["type"]!.GetValue<string>());
        AssertShape(Assert.Single(voided["changed"]!.AsArray()), Debit, "void: the debit it paid");

        var cancelled = await PostAsync($"{account}/debits/{Id(unpaid)}/cancel", new { }, "fiscus", HttpStatusCode.OK);
        AssertShape(cancelled["line"], Debit, "cancel: the debit", embedded: true);
        var cancellation = Assert.Single(cancelled["created"]!.AsArray());
        AssertShape(cancellation, Credit, "cancel: the CANCELLATION", embedded: true);
        Assert.Equal(Id(unpaid), cancellation!["fiscus"]!["related_account_line_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_payout_says_payout_type_and_the_embed_adds_fiscus_s_own_facts()
    {
        var patron = await fiscus.PatronAsync();
        var register = await fiscus.RegisterAsync(startingFloat: 50m);
        var account = $"/api/v1/patrons/{patron}/account";

        var payout = await PostAsync($"{account}/debits",
            new { amount = 4m, type = "PAYOUT", payout_type = "CASH", cash_register_id = register }, "fiscus");
        AssertShape(payout, Debit, "PAYOUT", embedded: true);
        Assert.Equal("CASH", payout["payout_type"]!.GetValue<string>());
        Assert.Equal(register, payout["cash_register_id"]!.GetValue<int>());
        var session = payout["fiscus"]!["register_session_id"]!.GetValue<long>();
        Assert.Equal(session, (await fiscus.SessionAsync(register))["register_session_id"]!.GetValue<long>());

        var asLine = (await GetAsync(account, "fiscus"))["outstanding_credits"]!["lines"]!.AsArray();
        Assert.Empty(asLine);
        var debits = await GetAsync($"{account}/debits", "fiscus");
        AssertShape(Assert.Single(debits.AsArray()), Debit, "GET debits with fiscus", embedded: true);
        AssertPatronBalance(await GetAsync(account, "fiscus"), embedded: true);

        var unknown = await GetAsync($"{account}/debits", "manager", HttpStatusCode.BadRequest);
        Assert.Contains("fiscus", unknown["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timestamp_is_the_line_s_last_change_when_it_was_written_or_the_last_offset_that_applied_to_it()
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";
        var debit = await PostAsync($"{account}/debits", new { amount = 8m, type = "MANUAL" });
        Assert.Equal(debit["date"]!.GetValue<DateTime>(), debit["timestamp"]!.GetValue<DateTime>());

        fiscus.Clock.Advance(TimeSpan.FromMinutes(3));
        await PostAsync($"{account}/credits", new { amount = 2m, payment_type = "CARD" });
        var offsets = await GetAsync($"{account}/debits/{Id(debit)}/offsets");
        var applied = offsets.AsArray().Single(o => o!["type"]!.GetValue<string>() == "APPLY")!["created_at"]!.GetValue<DateTime>();

        var after = await GetAsync($"{account}/debits/{Id(debit)}");
        Assert.Equal(debit["date"]!.GetValue<DateTime>(), after["date"]!.GetValue<DateTime>());
        Assert.Equal(applied, after["timestamp"]!.GetValue<DateTime>());
        Assert.True(after["timestamp"]!.GetValue<DateTime>() > after["date"]!.GetValue<DateTime>());
    }

    // get_balance(): a new patron owes nothing; two NEW_CARD debits; paid; a credit; a debit written by no user.
    [Fact]
    public async Task Get_balance()
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";
        Assert.Equal("""{"balance":0.00,"outstanding_debits":{"total":0.00,"lines":[]},"outstanding_credits":{"total":0.00,"lines":[]}}""",
            (await GetAsync(account)).ToJsonString());

        var d1 = await PostAsync($"{account}/debits", new { amount = 50m, type = "NEW_CARD", description = "A description" });
        var d2 = await PostAsync($"{account}/debits", new { amount = 50.01m, type = "NEW_CARD", description = "A description" });
        var owing = await GetAsync(account);
        Assert.Equal(100.01m, owing["balance"]!.GetValue<decimal>());
        Assert.Equal(100.01m, owing["outstanding_debits"]!["total"]!.GetValue<decimal>());
        // The lines are the debits' account_line form: the same facts as the debit answers, under account_line's names.
        var lines = owing["outstanding_debits"]!["lines"]!.AsArray();
        Assert.Equal([Id(d1), Id(d2)], lines.Select(l => Id(l!)));
        foreach (var (line, posted) in lines.Zip([d1, d2]))
        {
            Assert.Equal(posted["type"]!.GetValue<string>(), line!["debit_type"]!.GetValue<string>());
            foreach (var key in Debit.Keys.Intersect(AccountLine.Keys))
            {
                Assert.Equal(posted[key]?.ToJsonString(), line[key]?.ToJsonString());
            }
        }

        await PostAsync($"{account}/credits", new { amount = 100.01m, payment_type = "CASH", cash_register_id = 1 });
        Assert.Equal("""{"balance":0.00,"outstanding_debits":{"total":0.00,"lines":[]},"outstanding_credits":{"total":0.00,"lines":[]}}""",
            (await GetAsync(account)).ToJsonString());

        var credit = await PostAsync($"{account}/credits", new { amount = 10m, credit_type = "CREDIT" });
        var inCredit = await GetAsync(account);
        Assert.Equal(-10m, inCredit["balance"]!.GetValue<decimal>());
        Assert.Equal(-10m, inCredit["outstanding_credits"]!["total"]!.GetValue<decimal>());
        // The line in the balance is the credit as POST answered it (both account_line).
        Assert.Equal(credit.ToJsonString(), inCredit["outstanding_credits"]!["lines"]![0]!.ToJsonString());

        await PostAsync($"{account}/debits", new { amount = 50m, type = "NEW_CARD" });
        var both = await GetAsync(account);
        Assert.Equal(40m, both["balance"]!.GetValue<decimal>());
        Assert.Equal(50m, both["outstanding_debits"]!["total"]!.GetValue<decimal>());
        Assert.Equal(-10m, both["outstanding_credits"]!["total"]!.GetValue<decimal>());
    }

    // add_credit(): 201, Location, the body is the stored line; auto-applied to all debits; applied to the listed ones first.
    [Fact]
    public async Task Add_credit()
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";
        using var created = await (await fiscus.AdminAsync()).PostAsync($"{account}/credits", Json.Body(new { amount = 100m, credit_type = "CREDIT" }));
        var credit = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"{account}/credits/{Id(credit)}", created.Headers.Location?.OriginalString);
        Assert.Equal(credit.ToJsonString(), (await GetAsync(account))["outstanding_credits"]!["lines"]![0]!.ToJsonString());
        Assert.Equal(-100m, (await GetAsync(account))["outstanding_credits"]!["total"]!.GetValue<decimal>());

        var d1 = await PostAsync($"{account}/debits", new { amount = 10m, type = "NEW_CARD" });
        var d2 = await PostAsync($"{account}/debits", new { amount = 15m, type = "NEW_CARD" });
        var credit2 = await PostAsync($"{account}/credits", new { amount = 100m, credit_type = "CREDIT", library_id = "MAIN" });
        Assert.Equal("MAIN", credit2["library_id"]!.GetValue<string>());
        Assert.Equal(0m, (await GetAsync(account))["outstanding_debits"]!["total"]!.GetValue<decimal>());

        var d3 = await PostAsync($"{account}/debits", new { amount = 100m, type = "NEW_CARD" });
        // Fiscus applies an existing credit only when asked; pay the new debit with a fresh one, listed with the old ones.
        await PostAsync($"{account}/credits", new { amount = 35m, payment_type = "CARD", account_lines_ids = new[] { Id(d1), Id(d2), Id(d3) } });
        var after = await GetAsync(account);
        Assert.Equal(65m, after["outstanding_debits"]!["total"]!.GetValue<decimal>());
        Assert.Equal([Id(d3)], after["outstanding_debits"]!["lines"]!.AsArray().Select(l => Id(l!)));
    }

    // get_credit() and get_debit(): the line by id; 404 "Credit not found" / "Debit not found" / "Patron not found".
    [Theory]
    [InlineData("credits", "Credit not found")]
    [InlineData("debits", "Debit not found")]
    public async Task Get_credit_and_get_debit(string kind, string notFound)
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";
        var line = kind == "debits"
            ? await PostAsync($"{account}/debits", new { amount = 100m, type = "NEW_CARD", description = "A description" })
            : await PostAsync($"{account}/credits", new { amount = 100m, credit_type = "CREDIT", description = "A description" });

        var read = await GetAsync($"{account}/{kind}/{Id(line)}");
        Assert.Equal(Id(line), read["account_line_id"]!.GetValue<long>());
        Assert.Equal(patron, read["patron_id"]!.GetValue<long>());

        // A line of the other kind is not one of these (Koha deletes the line; Fiscus never deletes one).
        var other = kind == "debits"
            ? await PostAsync($"{account}/credits", new { amount = 1m, credit_type = "CREDIT" })
            : await PostAsync($"{account}/debits", new { amount = 1m, type = "MANUAL" });
        var missing = await GetAsync($"{account}/{kind}/{Id(other)}", expected: HttpStatusCode.NotFound);
        Assert.Equal(notFound, missing["error"]!.GetValue<string>());
        Assert.Equal("not_found", missing["error_code"]!.GetValue<string>());
        Assert.Equal(kind == "debits" ? "debit_not_found" : "credit_not_found", missing["code"]!.GetValue<string>());

        var noPatron = await GetAsync($"/api/v1/patrons/999999999/account/{kind}/{Id(line)}", expected: HttpStatusCode.NotFound);
        Assert.Equal("Patron not found", noPatron["error"]!.GetValue<string>());
        Assert.Equal("not_found", noPatron["error_code"]!.GetValue<string>());
        Assert.Equal("patron_not_found", noPatron["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/debits")]
    [InlineData("/credits")]
    public async Task An_unknown_patron_is_Koha_s_Patron_not_found(string path)
    {
        var body = await GetAsync($"/api/v1/patrons/999999999/account{path}", expected: HttpStatusCode.NotFound);
        Assert.Equal("Patron not found", body["error"]!.GetValue<string>());
        Assert.Equal("not_found", body["error_code"]!.GetValue<string>());
        var posted = await PostAsync("/api/v1/patrons/999999999/account/debits", new { amount = 1m, type = "MANUAL" },
            expected: HttpStatusCode.NotFound);
        Assert.Equal("Patron not found", posted["error"]!.GetValue<string>());
    }

    // list_credits() and list_debits(): the sums keep the ledger's signs.
    [Fact]
    public async Task List_credits_and_list_debits()
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";
        await PostAsync($"{account}/credits", new { amount = 35m, payment_type = "CARD" });
        await PostAsync($"{account}/credits", new { amount = 70m, payment_type = "CARD" });
        await PostAsync($"{account}/debits", new { amount = 100m, type = "NEW_CARD" });
        await PostAsync($"{account}/debits", new { amount = 40m, type = "NEW_CARD" });

        Assert.Equal(-105m, (await GetAsync($"{account}/credits")).AsArray().Sum(l => l!["amount"]!.GetValue<decimal>()));
        Assert.Equal(140m, (await GetAsync($"{account}/debits")).AsArray().Sum(l => l!["amount"]!.GetValue<decimal>()));
    }

    // add_debit(): Koha's body (type, user_id, interface, library_id) is accepted; the PAYOUT needs a cash register.
    [Fact]
    public async Task Add_debit()
    {
        var patron = await fiscus.PatronAsync();
        var account = $"/api/v1/patrons/{patron}/account";
        var librarianX = await fiscus.UserAsync("cashier");
        var admin = await AdminIdAsync();
        var body = new { amount = 100m, description = "A description", type = "NEW_CARD", user_id = librarianX.UserId, @interface = "test", library_id = "MAIN" };

        using var created = await (await fiscus.AdminAsync()).PostAsync($"{account}/debits", Json.Body(body));
        var debit = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"{account}/debits/{Id(debit)}", created.Headers.Location?.OriginalString);
        Assert.Equal((await GetAsync($"{account}/debits/{Id(debit)}")).ToJsonString(), debit.ToJsonString());
        Assert.Equal("MAIN", debit["library_id"]!.GetValue<string>());
        // Koha stores the passed user_id as the line's manager. Fiscus keeps its writer: the caller, who is audited; the user
        // it acted for, and the interface it stated, are in the audit record. The interface is the one it came through, as Koha forces.
        Assert.Equal(admin, debit["user_id"]!.GetValue<long>());
        Assert.Equal("api", debit["interface"]!.GetValue<string>());
        var audited = await fiscus.ScalarAsync<string>(
            "SELECT details::text FROM audit_log WHERE action = 'account.debit' AND entity_id = @id", new { id = Id(debit).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var details = JsonNode.Parse(audited)!;
        Assert.Equal(librarianX.UserId, details["on_behalf_of_user_id"]!.GetValue<long>());
        Assert.Equal("test", details["stated_interface"]!.GetValue<string>());
        Assert.Single((await GetAsync($"{account}/debits")).AsArray());
        Assert.Equal(100m, (await GetAsync(account))["outstanding_debits"]!["total"]!.GetValue<decimal>());

        await PostAsync($"{account}/credits", new { amount = 10m, payment_type = "CARD", account_lines_ids = new[] { Id(debit) } });
        await PostAsync($"{account}/credits", new { amount = 15m, payment_type = "CARD", account_lines_ids = new[] { Id(debit) } });
        Assert.Equal(0m, (await GetAsync(account))["outstanding_credits"]!["total"]!.GetValue<decimal>());
        Assert.Equal(75m, (await GetAsync(account))["outstanding_debits"]!["total"]!.GetValue<decimal>());

        await PostAsync($"{account}/debits", body);
        Assert.Equal(175m, (await GetAsync(account))["outstanding_debits"]!["total"]!.GetValue<decimal>());

        // Cash registers and PAYOUTs.
        var payout = new { amount = 10m, description = "A description", type = "PAYOUT", payout_type = "CASH", @interface = "test", library_id = "MAIN" };
        var refused = await PostAsync($"{account}/debits", payout, expected: HttpStatusCode.BadRequest);
        Assert.Equal("Account transaction requires a cash register", refused["error"]!.GetValue<string>());
        Assert.Equal("register_required", refused["code"]!.GetValue<string>());

        var register = await fiscus.RegisterAsync(startingFloat: 20m);
        var paidOut = await PostAsync($"{account}/debits",
            new { payout.amount, payout.description, payout.type, payout.payout_type, payout.@interface, payout.library_id, cash_register_id = register });
        Assert.Equal(admin, paidOut["user_id"]!.GetValue<long>()); // "If not passed, the session user ID is picked"
        Assert.Equal(register, paidOut["cash_register_id"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(0, "NEW_CARD", "Amount should be a positive decimal", "validation_failed")]
    [InlineData(-5, "NEW_CARD", "Amount should be a positive decimal", "validation_failed")]
    [InlineData(5, "NO_SUCH_TYPE", "Account type was not recognised", "unknown_debit_type")]
    public async Task Add_debit_refuses_in_Koha_s_words(decimal amount, string type, string error, string code)
    {
        var patron = await fiscus.PatronAsync();
        var refused = await PostAsync($"/api/v1/patrons/{patron}/account/debits", new { amount, type }, expected: HttpStatusCode.BadRequest);
        Assert.Equal(error, refused["error"]!.GetValue<string>());
        Assert.Equal(code, refused["code"]!.GetValue<string>());
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task A_client_s_line_names_its_service_user()
    {
        var client = await fiscus.ClientAsync(["accounts:read", "accounts:write"]);
        var patron = await fiscus.PatronAsync();
        var debit = await SendAsync(client.Http, HttpMethod.Post, $"/api/v1/patrons/{patron}/account/debits", new { amount = 3m, type = "MANUAL" },
            "fiscus", HttpStatusCode.Created);
        Assert.Equal(await fiscus.ServiceUserIdAsync(client.ClientId), debit["user_id"]!.GetValue<long>());
        var listed = await SendAsync(client.Http, HttpMethod.Get,
            $"/api/v1/patrons/{patron}/account/debits?q={Uri.EscapeDataString($"{{\"user_id\":{debit["user_id"]}}}")}", null, null, HttpStatusCode.OK);
        Assert.Equal(debit["account_line_id"]!.GetValue<long>(), Assert.Single(listed.AsArray())!["account_line_id"]!.GetValue<long>());
        Assert.Equal(client.ClientId, debit["fiscus"]!["client_id"]!.GetValue<string>());
    }

    /// <summary>Koha's request fields: each accepted within its bounds, refused past them, and never moving the line.</summary>
    public static TheoryData<string, object, string?> Statements => new()
    {
        { "user_id of an active staff user", new { user_id = "{cashier}" }, null },
        { "user_id of no one", new { user_id = 999999999 }, "unknown_user" },
        { "user_id zero", new { user_id = 0 }, "validation_failed" },
        { "checkout_id", new { checkout_id = 42 }, null },
        { "checkout_id null", new { checkout_id = (long?)null }, null },
        { "checkout_id zero", new { checkout_id = 0 }, "validation_failed" },
        { "interface", new { @interface = "intranet" }, null },
        { "date today", new { date = "{today}" }, null },
        { "date now as a date-time", new { date = "{now}" }, null },
        { "date tomorrow", new { date = "{tomorrow}" }, "date_out_of_range" },
        { "date an hour ahead", new { date = "{hour_ahead}" }, "date_out_of_range" },
        { "date before the patron existed", new { date = "{last_year}" }, "date_out_of_range" },
        { "date in 1999", new { date = "1999-12-31" }, "date_out_of_range" },
        { "date without its offset", new { date = "2026-01-31T14:05:00" }, "validation_failed" },
        { "date that is not one", new { date = "yesterday" }, "validation_failed" },
    };

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task Koha_s_debit_fields_are_accepted_within_their_bounds(string what, object statement, string? refusal)
    {
        var patron = await fiscus.PatronAsync();
        var cashier = await fiscus.StaffAsync("cashier");
        // Past the patron's creation by more than the seconds a stated date-time leaves out.
        fiscus.Clock.Advance(TimeSpan.FromSeconds(2));
        var now = fiscus.Clock.GetUtcNow();
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(statement))!.AsObject();
        foreach (var (key, value) in body.ToList())
        {
            if (value?.GetValueKind() == System.Text.Json.JsonValueKind.String && value.GetValue<string>() is { } text && text.StartsWith('{'))
            {
                body[key] = text switch
                {
                    "{cashier}" => JsonValue.Create(cashier.UserId),
                    "{today}" => JsonValue.Create(now.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                    "{now}" => JsonValue.Create(now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)),
                    "{tomorrow}" => JsonValue.Create(now.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                    "{hour_ahead}" => JsonValue.Create(now.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)),
                    "{last_year}" => JsonValue.Create(now.AddYears(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
                    _ => throw new InvalidOperationException(text),
                };
            }
        }
        body["amount"] = 7m;
        body["type"] = "MANUAL";

        var admin = await fiscus.AdminAsync();
        using var response = await admin.PostAsync($"/api/v1/patrons/{patron}/account/debits", new StringContent(body.ToJsonString(),
            System.Text.Encoding.UTF8, "application/json"));
        if (refusal is not null)
        {
            await response.ExpectProblemAsync(HttpStatusCode.BadRequest, refusal);
            Assert.Equal(0m, await fiscus.BalanceAsync(patron));
            return;
        }
        var debit = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.True(debit["checkout_id"] is null, what);
        Assert.Equal("api", debit["interface"]!.GetValue<string>());
        Assert.Equal(await AdminIdAsync(), debit["user_id"]!.GetValue<long>());
        // The line is dated when it was written, whatever date it states.
        Assert.Equal(now.UtcDateTime, debit["date"]!.GetValue<DateTime>().ToUniversalTime(), TimeSpan.FromSeconds(1));
        var details = JsonNode.Parse(await fiscus.ScalarAsync<string>(
            "SELECT details::text FROM audit_log WHERE action = 'account.debit' AND entity_id = @id",
            new { id = Id(debit).ToString(System.Globalization.CultureInfo.InvariantCulture) }))!;
        foreach (var (key, audited) in new[] { ("user_id", "on_behalf_of_user_id"), ("checkout_id", "checkout_id"), ("interface", "stated_interface"), ("date", "stated_date") })
        {
            if (body[key] is { } stated)
            {
                Assert.Equal(stated.ToJsonString(), details[audited]?.ToJsonString());
            }
        }
    }

    [Fact]
    public async Task A_credit_states_its_date_and_keeps_its_register_session()
    {
        var patron = await fiscus.PatronAsync();
        fiscus.Clock.Advance(TimeSpan.FromMinutes(10));
        var register = await fiscus.RegisterAsync();
        var today = fiscus.Clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var account = $"/api/v1/patrons/{patron}/account";

        var credit = await PostAsync($"{account}/credits", new { amount = 5m, payment_type = "CASH", cash_register_id = register, date = today }, "fiscus");
        // The stated date is kept in the audit record; the line stays dated when it was written (a date never moves a line).
        Assert.Equal(fiscus.Clock.GetUtcNow().UtcDateTime, credit["date"]!.GetValue<DateTime>().ToUniversalTime(), TimeSpan.FromSeconds(1));
        Assert.Equal(today, JsonNode.Parse(await fiscus.ScalarAsync<string>(
            "SELECT details::text FROM audit_log WHERE action = 'account.credit' AND entity_id = @id",
            new { id = Id(credit).ToString(System.Globalization.CultureInfo.InvariantCulture) }))!["stated_date"]!.GetValue<string>());
        Assert.Equal((await fiscus.SessionAsync(register))["register_session_id"]!.GetValue<long>(),
            credit["fiscus"]!["register_session_id"]!.GetValue<long>());

        // Stated before the register's session opened: that period's cash was counted at its cash-up; refused, nothing written.
        var sessionOpened = await fiscus.ScalarAsync<DateTime>(
            "SELECT opened_at FROM register_sessions WHERE cash_register_id = @register AND status = 'open'", new { register });
        var before = new DateTimeOffset(sessionOpened, TimeSpan.Zero).AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        using (var refused = await (await fiscus.AdminAsync()).PostAsync($"{account}/credits",
                   Json.Body(new { amount = 5m, payment_type = "CASH", cash_register_id = register, date = before })))
        {
            var problem = await refused.ExpectProblemAsync(HttpStatusCode.BadRequest, "date_out_of_range");
            Assert.Contains("session", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Equal(-5m, await fiscus.BalanceAsync(patron));
        await fiscus.AssertLedgerConsistentAsync();
    }
}
