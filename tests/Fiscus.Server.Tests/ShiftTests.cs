namespace Fiscus.Server.Tests;

/// <summary>POS Kasir's cashier shifts (seed 004), done right: real status codes, cash sales counted, cash journaled.</summary>
public sealed class ShiftTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    /// <summary>A staff member at the till, sending the <c>access_token</c> cookie as the seed's curl examples do.</summary>
    sealed record Cashier(TestUser User, HttpClient Http)
    {
        public async Task<HttpResponseMessage> PostAsync(string path, string json, string? key = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Raw(json) };
            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }
            return await Http.SendAsync(request);
        }

        public Task<HttpResponseMessage> StartAsync(long startCash, int? register = null, string? password = null) => PostAsync("/api/v1/shifts/start",
            System.Text.Json.JsonSerializer.Serialize(new { start_cash = startCash, password = password ?? User.Password, cash_register_id = register }));

        public Task<HttpResponseMessage> CashAsync(string type, long amount, string category = "other") => PostAsync("/api/v1/shifts/cash-transaction",
            System.Text.Json.JsonSerializer.Serialize(new { type, amount, category }));

        public Task<HttpResponseMessage> EndAsync(long actual, string? password = null) => PostAsync("/api/v1/shifts/end",
            System.Text.Json.JsonSerializer.Serialize(new { password = password ?? User.Password, actual_cash_end = actual }));
    }

    async Task<Cashier> CashierAsync(string role = "cashier", string? libraryId = "MAIN")
    {
        var user = await fiscus.UserAsync(role, libraryId);
        var http = fiscus.Anonymous();
        http.DefaultRequestHeaders.Add("Cookie", $"access_token={user.Token}");
        return new Cashier(user, http);
    }

    static async Task<JsonNode> DataAsync(HttpResponseMessage response, HttpStatusCode status, string message)
    {
        var body = await response.ExpectAsync(status);
        Assert.Equal(message, body["message"]!.GetValue<string>());
        return body["data"]!;
    }

    /// <summary>A refusal in POS Kasir's error envelope: <c>{message, error, data}</c>, with Fiscus's code in <c>error</c>.</summary>
    static async Task<JsonNode> RefusedAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.ExpectAsync(status);
        Assert.Equal(code, body["error"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["message"]?.GetValue<string>()));
        Assert.True(body.AsObject().ContainsKey("data"));
        Assert.Null(body["type"]);
        return body;
    }

    static string[] Keys(JsonNode node) => node.AsObject().Select(p => p.Key).ToArray();

    [Fact]
    public async Task The_seeds_four_curl_examples_work_as_written_and_count_the_cash_sales()
    {
        // A manager: paying cash out of a drawer (the seed's expense) needs refunds:write, which a cashier does not hold.
        var kasir = await CashierAsync("manager");
        // The seed's drawer starts with 5,000.00; register 1's books hold its 100.00 float. Cash can only be paid out of a
        // drawer as far as its books know it is there, so the rest came in first (a cash sale before the shift, outside its figures).
        await fiscus.SellAsync(1, 4900m);

        // Start Shift (the body exactly as in the seed; the password is the cashier's own).
        using var start = await kasir.PostAsync("/api/v1/shifts/start", $$"""
            {
                "start_cash": 500000,
                "password": "{{kasir.User.Password}}"
            }
            """);
        var shift = await DataAsync(start, HttpStatusCode.Created, "Shift started successfully");
        // The seed's fields, then Fiscus's: the register, and the start against the register's books (5,000.00 there too).
        Assert.Equal(["id", "user_id", "start_cash", "status", "start_time", "cash_register_id", "books_cash_start", "opening_difference"], Keys(shift));
        Assert.Equal((500000L, 0L), (shift["books_cash_start"]!.GetValue<long>(), shift["opening_difference"]!.GetValue<long>()));
        Assert.Equal(500000, shift["start_cash"]!.GetValue<long>());
        Assert.Equal("open", shift["status"]!.GetValue<string>());
        var userUuid = await fiscus.ScalarAsync<Guid>("SELECT user_uuid FROM staff_users WHERE user_id = @UserId", new { kasir.User.UserId });
        Assert.Equal(userUuid, shift["user_id"]!.GetValue<Guid>());
        Assert.Equal(1, shift["cash_register_id"]!.GetValue<int>());
        var shiftId = shift["id"]!.GetValue<Guid>();

        // Create Cash Transaction: the cash out and the cash in of the seed, verbatim.
        using var cashOut = await kasir.PostAsync("/api/v1/shifts/cash-transaction", """
            {
                "type": "cash_out",
                "amount": 50000,
                "category": "expense",
                "description": "Office supplies purchase"
            }
            """);
        var expense = await DataAsync(cashOut, HttpStatusCode.Created, "Cash transaction created successfully");
        Assert.Equal(["id", "shift_id", "type", "amount", "category", "description", "user_id", "created_at", "account_line_id"], Keys(expense));
        Assert.Equal((shiftId, "cash_out", 50000L, "expense", "Office supplies purchase", userUuid),
            (expense["shift_id"]!.GetValue<Guid>(), expense["type"]!.GetValue<string>(), expense["amount"]!.GetValue<long>(),
             expense["category"]!.GetValue<string>(), expense["description"]!.GetValue<string>(), expense["user_id"]!.GetValue<Guid>()));
        using var cashIn = await kasir.PostAsync("/api/v1/shifts/cash-transaction", """
            {
                "type": "cash_in",
                "amount": 200000,
                "category": "drop",
                "description": "Cash drop to safe"
            }
            """);
        await DataAsync(cashIn, HttpStatusCode.Created, "Cash transaction created successfully");

        // Cash taken during the shift counts (the seed says order payments are included; POS Kasir never did it):
        // a counter sale and a patron's payment in cash, but not a card sale.
        using (var sale = await kasir.Http.PostSaleAsync(1, new { debit_type = "PRINT", amount = 6000.00m, payment_type = "CASH" }))
        {
            await sale.ExpectAsync(HttpStatusCode.Created);
        }
        using (var card = await kasir.Http.PostSaleAsync(1, new { debit_type = "PRINT", amount = 99.00m, payment_type = "CARD" }))
        {
            await card.ExpectAsync(HttpStatusCode.Created);
        }
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 2250.00m, "LOST");
        using (var paid = await kasir.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 2250.00m, payment_type = "CASH", cash_register_id = 1 })))
        {
            await paid.ExpectAsync(HttpStatusCode.Created);
        }

        // Get Active Shift.
        using var active = await kasir.Http.GetAsync("/api/v1/shifts/active");
        var open = await DataAsync(active, HttpStatusCode.OK, "Active shift retrieved successfully");
        Assert.Equal(shiftId, open["id"]!.GetValue<Guid>());
        Assert.Equal(1475000, open["expected_cash"]!.GetValue<long>());
        using (var current = await kasir.Http.GetAsync("/api/v1/shifts/current"))
        {
            Assert.Equal(shiftId, (await DataAsync(current, HttpStatusCode.OK, "Active shift retrieved successfully"))["id"]!.GetValue<Guid>());
        }

        // End Shift: expected 500000 + 200000 − 50000 + 825000 = 1475000; counted 1450000; difference −25000.
        using var end = await kasir.PostAsync("/api/v1/shifts/end", $$"""
            {
                "password": "{{kasir.User.Password}}",
                "actual_cash_end": 1450000
            }
            """);
        var ended = await DataAsync(end, HttpStatusCode.OK, "Shift ended successfully");
        foreach (var field in new[] { "id", "user_id", "start_cash", "expected_cash_end", "actual_cash_end", "difference", "status", "start_time", "end_time" })
        {
            Assert.True(ended.AsObject().ContainsKey(field), field);
        }
        Assert.Equal((1475000L, 1450000L, -25000L, "closed"), (ended["expected_cash_end"]!.GetValue<long>(), ended["actual_cash_end"]!.GetValue<long>(),
            ended["difference"]!.GetValue<long>(), ended["status"]!.GetValue<string>()));
        Assert.Equal((200000L, 50000L, 825000L, 0L), (ended["cash_in"]!.GetValue<long>(), ended["cash_out"]!.GetValue<long>(),
            ended["cash_payments"]!.GetValue<long>(), ended["cash_refunds"]!.GetValue<long>()));

        using var none = await kasir.Http.GetAsync("/api/v1/shifts/active");
        var body = await none.ExpectAsync(HttpStatusCode.OK);
        Assert.True(body.AsObject().ContainsKey("data"));
        Assert.Null(body["data"]);
    }

    [Fact]
    public async Task Whatever_goes_through_the_drawer_during_the_shift_counts_whoever_does_it()
    {
        var register = await fiscus.RegisterAsync();
        var other = await fiscus.RegisterAsync();
        var kasir = await CashierAsync();
        var manager = await fiscus.StaffAsync("manager");
        using (var start = await kasir.StartAsync(10000, register))
        {
            await start.ExpectAsync(HttpStatusCode.Created);
        }
        var sold = await (await kasir.Http.PostSaleAsync(register, new { debit_type = "PRINT", amount = 10.00m, payment_type = "CASH" })).ExpectAsync(HttpStatusCode.Created);
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 5.00m, "OVERDUE");
        long credit;
        using (var paid = await kasir.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 5.00m, payment_type = "CASH", cash_register_id = register })))
        {
            credit = (await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();
        }
        // A cashier may not refund or void: a manager does it, from this drawer, and the shift must see the cash go.
        using (var refund = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds",
                   Json.Body(new { account_line_id = sold["debits"]![0]!["account_line_id"]!.GetValue<long>(), amount = 4.00m })))
        {
            await refund.ExpectAsync(HttpStatusCode.Created);
        }
        using (var voided = await manager.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", Json.Body(new { })))
        {
            await voided.ExpectAsync(HttpStatusCode.OK);
        }
        // Someone else selling at this drawer counts; the cashier selling at another register does not; nor does card money.
        await fiscus.SellAsync(register, 30.00m, "PRINT", "CASH");
        await fiscus.SellAsync(register, 8.00m, "PRINT", "CARD");
        await (await kasir.Http.PostSaleAsync(other, new { debit_type = "PRINT", amount = 70.00m, payment_type = "CASH" })).ExpectAsync(HttpStatusCode.Created);

        using var end = await kasir.EndAsync(13600);
        var ended = (await end.ExpectAsync(HttpStatusCode.OK))["data"]!;
        // 10000 + 1000 (sale) + 500 (payment) + 3000 (the admin's sale) − 400 (refund) − 500 (void) = 13600.
        Assert.Equal((4500L, 900L, 13600L, 0L), (ended["cash_payments"]!.GetValue<long>(), ended["cash_refunds"]!.GetValue<long>(),
            ended["expected_cash_end"]!.GetValue<long>(), ended["difference"]!.GetValue<long>()));
        // The register's own session agrees with the drawer.
        Assert.Equal(36.00m, (await fiscus.SessionAsync(register))["summary"]!.PaymentType("CASH").Money("total"));
    }

    [Fact]
    public async Task A_register_is_not_cashed_up_under_an_open_shift_and_its_figures_stay_as_ended()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        var code = fiscus.Unique("TILL").ToUpperInvariant();
        using (var created = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code, description = "Second drawer tray", counts_as_cash = true })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var kasir = await CashierAsync();
        var shiftId = (await (await kasir.StartAsync(0, register)).ExpectAsync(HttpStatusCode.Created))["data"]!["id"]!.GetValue<Guid>();
        await (await kasir.Http.PostSaleAsync(register, new { debit_type = "PRINT", amount = 2.00m, payment_type = code })).ExpectAsync(HttpStatusCode.Created);

        using (var cashup = await admin.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = code, counted = 2.00m } } }))
        {
            await cashup.ExpectProblemAsync(HttpStatusCode.Conflict, "register_has_open_shift");
        }
        using (var start = await admin.PostAsync($"/api/v1/cash_registers/{register}/cashups/start", null))
        {
            await start.ExpectProblemAsync(HttpStatusCode.Conflict, "register_has_open_shift");
        }
        await (await kasir.EndAsync(200)).ExpectAsync(HttpStatusCode.OK);
        await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = code, counted = 2.00m } } });

        // A payment type that stops counting as cash does not rewrite the shift it was counted in.
        using (var changed = await admin.PutAsync($"/api/v1/payment_types/{code}", Json.Body(new { description = "Second drawer tray", counts_as_cash = false })))
        {
            await changed.ExpectAsync(HttpStatusCode.OK);
        }
        using var read = await kasir.Http.GetAsync($"/api/v1/shifts/{shiftId}");
        var shift = (await read.ExpectAsync(HttpStatusCode.OK))["data"]!;
        Assert.Equal((200L, 200L, 0L), (shift["cash_payments"]!.GetValue<long>(), shift["expected_cash_end"]!.GetValue<long>(), shift["difference"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Text_postgresql_cannot_store_is_a_400_not_a_500()
    {
        var register = await fiscus.RegisterAsync();
        var kasir = await CashierAsync();
        await (await kasir.StartAsync(0, register)).ExpectAsync(HttpStatusCode.Created);

        await RefusedAsync(await kasir.PostAsync("/api/v1/shifts/cash-transaction", "{\"type\": \"cash_in\", \"amount\": 5, \"category\": \"a\\u0000b\"}"),
            HttpStatusCode.BadRequest, "validation_failed");
        await RefusedAsync(await kasir.PostAsync("/api/v1/shifts/cash-transaction",
            "{\"type\": \"cash_in\", \"amount\": 5, \"category\": \"other\", \"description\": \"a\\u0000b\"}"), HttpStatusCode.BadRequest, "validation_failed");
        var manager = await CashierAsync("manager");
        await RefusedAsync(await manager.Http.GetAsync("/api/v1/shifts/stale?library_id=%00"), HttpStatusCode.BadRequest, "invalid_text");
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM shift_cash_transactions t JOIN shifts s USING (shift_id) WHERE s.user_id = @UserId",
            new { kasir.User.UserId }));
    }

    [Fact]
    public async Task Cash_in_and_out_are_journaled_to_the_register_as_paid_in_and_paid_out()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 50m);
        var kasir = await CashierAsync("manager");
        using (var start = await kasir.StartAsync(5000, register))
        {
            await start.ExpectAsync(HttpStatusCode.Created);
        }
        var deposit = (await (await kasir.CashAsync("cash_in", 2500, "deposit")).ExpectAsync(HttpStatusCode.Created))["data"]!;
        await (await kasir.CashAsync("cash_out", 700, "petty cash for stamps")).ExpectAsync(HttpStatusCode.Created);

        var line = await fiscus.QueryAsync<(string? Credit, long Amount, string PaymentType, int Register, Guid? Shift, long? Patron)>(
            "SELECT credit_type_code, amount_minor, payment_type, cash_register_id, shift_id, patron_id FROM account_lines WHERE account_line_id = @id",
            new { id = deposit["account_line_id"]!.GetValue<long>() });
        Assert.Equal(("PAID_IN", -2500L, "CASH", register, deposit["shift_id"]!.GetValue<Guid>(), (long?)null), line.Single());

        var summary = (await fiscus.SessionAsync(register))["summary"]!;
        Assert.Equal(0m, summary.Money("income_total"));
        Assert.Equal((1L, 25.00m), (summary["paid_in"]!["count"]!.GetValue<long>(), summary["paid_in"]!.Money("total")));
        Assert.Equal((1L, 7.00m), (summary["paid_out"]!["count"]!.GetValue<long>(), summary["paid_out"]!.Money("total")));
        Assert.Equal(68.00m, summary.Money("expected_cash_in_drawer"));
        var cash = summary.PaymentType("CASH");
        Assert.Equal((25.00m, 7.00m, 18.00m), (cash.Money("paid_in"), cash.Money("paid_out"), cash.Money("total")));

        // Once the shift has ended, the register's cash-up counts it, and refuses to close without counting the cash.
        await (await kasir.EndAsync(6800)).ExpectAsync(HttpStatusCode.OK);
        using (var uncounted = await (await fiscus.AdminAsync()).PostCashupAsync(register))
        {
            await uncounted.ExpectAsync(HttpStatusCode.BadRequest);
        }
        var cashup = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 18.00m } } });
        Assert.Equal(0m, cashup["fiscus"]!["reconciliations"]![0]!.Money("difference"));
        // Paid in and out is not an API-client or manual credit or debit type.
        using var manual = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/patrons/{await fiscus.PatronAsync()}/account/debits",
            Json.Body(new { amount = 1m, type = "PAID_OUT" }));
        Assert.Equal(HttpStatusCode.BadRequest, manual.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/shifts/start", "{\"start_cash\": -1, \"password\": \"x\"}", "start_cash", "validation_failed")]
    [InlineData("/api/v1/shifts/start", "{\"start_cash\": 10}", "password", "missing_field")]
    [InlineData("/api/v1/shifts/start", "{\"password\": \"x\"}", "start_cash", "missing_field")]
    [InlineData("/api/v1/shifts/start", "{\"start_cash\": 10.5, \"password\": \"x\"}", "start_cash", "invalid_type")]
    [InlineData("/api/v1/shifts/start", "{\"start_cash\": \"10\", \"password\": \"x\"}", "start_cash", "invalid_type")]
    [InlineData("/api/v1/shifts/start", "{\"start_cash\": 10, \"password\": \"x\", \"till\": 1}", "till", "unknown_field")]
    [InlineData("/api/v1/shifts/cash-transaction", "{\"type\": \"cash_out\", \"amount\": 0, \"category\": \"expense\"}", "amount", "validation_failed")]
    [InlineData("/api/v1/shifts/cash-transaction", "{\"type\": \"cash_sideways\", \"amount\": 5, \"category\": \"expense\"}", "type", "validation_failed")]
    [InlineData("/api/v1/shifts/cash-transaction", "{\"type\": \"cash_in\", \"amount\": 5, \"category\": \"  \"}", "category", "validation_failed")]
    [InlineData("/api/v1/shifts/cash-transaction", "{\"type\": \"cash_in\", \"amount\": 5, \"category\": \"123456789012345678901234567890123456789012345678901\"}", "category", "validation_failed")]
    [InlineData("/api/v1/shifts/cash-transaction", "{\"type\": \"cash_in\", \"amount\": 5}", "category", "missing_field")]
    [InlineData("/api/v1/shifts/end", "{\"password\": \"x\", \"actual_cash_end\": -5}", "actual_cash_end", "validation_failed")]
    [InlineData("/api/v1/shifts/end", "{\"password\": \"x\"}", "actual_cash_end", "missing_field")]
    public async Task Bad_input_is_a_400_naming_the_field_in_the_dialects_envelope(string path, string json, string field, string code)
    {
        var kasir = await CashierAsync();
        using var response = await kasir.PostAsync(path, json);
        var body = await RefusedAsync(response, HttpStatusCode.BadRequest, code);
        Assert.False(string.IsNullOrWhiteSpace(body["data"]!["errors"]![field]!.GetValue<string>()));
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM shifts WHERE user_id = @UserId", new { kasir.User.UserId }));
    }

    [Fact]
    public async Task Each_refusal_has_its_real_status_code()
    {
        var register = await fiscus.RegisterAsync();
        var kasir = await CashierAsync();

        await RefusedAsync(await kasir.StartAsync(100, register, password: "not-my-password"), HttpStatusCode.Unauthorized, "invalid_password");
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM audit_log WHERE action = 'auth.step_up_failed' AND user_id = @UserId",
            new { kasir.User.UserId }));
        await RefusedAsync(await kasir.EndAsync(0), HttpStatusCode.NotFound, "no_open_shift");
        await RefusedAsync(await kasir.CashAsync("cash_in", 5), HttpStatusCode.NotFound, "no_open_shift");
        await RefusedAsync(await kasir.StartAsync(100, 987654), HttpStatusCode.BadRequest, "unknown_register");

        await (await kasir.StartAsync(100, register)).ExpectAsync(HttpStatusCode.Created);
        await RefusedAsync(await kasir.StartAsync(100, register), HttpStatusCode.Conflict, "shift_already_open");
        var colleague = await CashierAsync();
        await RefusedAsync(await colleague.StartAsync(100, register), HttpStatusCode.Conflict, "register_in_use");
        await RefusedAsync(await kasir.EndAsync(100, password: "wrong"), HttpStatusCode.Unauthorized, "invalid_password");
        using (var archive = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/cash_registers/{register}/archive", null))
        {
            await archive.ExpectProblemAsync(HttpStatusCode.Conflict, "register_has_open_shift");
        }

        // No credentials, and an API client (which can never hold shifts:write): the dialect's envelope too.
        using (var anonymous = await fiscus.Anonymous().GetAsync("/api/v1/shifts/active"))
        {
            await RefusedAsync(anonymous, HttpStatusCode.Unauthorized, "unauthorized");
        }
        var client = await fiscus.ClientAsync(["sales:write", "reports:read", "cashups:write"]);
        using (var kiosk = await client.Http.PostAsync("/api/v1/shifts/start", Json.Body(new { start_cash = 0, password = "x" })))
        {
            await RefusedAsync(kiosk, HttpStatusCode.Forbidden, "forbidden");
        }
        using (var other = await client.Http.PostAsync($"/api/v1/shifts/{Guid.NewGuid()}/end", Json.Body(new { password = "x", actual_cash_end = 0 })))
        {
            await RefusedAsync(other, HttpStatusCode.Forbidden, "staff_only");
        }
        using var grant = await (await fiscus.AdminAsync()).PostAsync("/api/v1/clients", Json.Body(new { name = fiscus.Unique("shifty"), scopes = new[] { "shifts:write" } }));
        await grant.ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task One_open_shift_per_person_holds_under_concurrent_starts()
    {
        var kasir = await CashierAsync();
        var registers = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            registers.Add(await fiscus.RegisterAsync());
        }
        using var go = new SemaphoreSlim(0);
        var starts = registers.Select(async register =>
        {
            await go.WaitAsync();
            using var response = await kasir.StartAsync(100, register);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }).ToList();
        go.Release(starts.Count);
        var results = await Task.WhenAll(starts);

        Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Contains("\"error\":\"shift_already_open\"", r.Item2, StringComparison.Ordinal);
        });
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM shifts WHERE user_id = @UserId AND status = 'open'", new { kasir.User.UserId }));

        // And one per drawer: several cashiers racing for one register.
        var register = await fiscus.RegisterAsync();
        var cashiers = new List<Cashier>();
        for (var i = 0; i < 5; i++)
        {
            cashiers.Add(await CashierAsync());
        }
        using var again = new SemaphoreSlim(0);
        var racing = cashiers.Select(async c =>
        {
            await again.WaitAsync();
            using var response = await c.StartAsync(100, register);
            return response.StatusCode;
        }).ToList();
        again.Release(racing.Count);
        var raced = await Task.WhenAll(racing);
        Assert.Single(raced, s => s == HttpStatusCode.Created);
        Assert.All(raced.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));
    }

    [Fact]
    public async Task Sales_racing_the_end_of_a_shift_are_counted_by_it_or_by_no_shift()
    {
        var register = await fiscus.RegisterAsync();
        var kasir = await CashierAsync();
        await (await kasir.StartAsync(0, register)).ExpectAsync(HttpStatusCode.Created);

        // Two tills of the same cashier sell without pause; the shift ends in the middle of it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sold = new System.Collections.Concurrent.ConcurrentBag<(long Credit, TimeSpan Start, TimeSpan End)>();
        using var ended = new CancellationTokenSource();
        var amount = 0;
        async Task SellAsync()
        {
            var after = 0;
            while (after < 3)
            {
                if (ended.IsCancellationRequested)
                {
                    after++;
                }
                var start = clock.Elapsed;
                using var response = await kasir.Http.PostSaleAsync(register,
                    new { debit_type = "COPY", amount = Interlocked.Increment(ref amount) / 100m, payment_type = "CASH" });
                sold.Add(((await response.ExpectAsync(HttpStatusCode.Created))["credit"]!["account_line_id"]!.GetValue<long>(), start, clock.Elapsed));
            }
        }
        var tills = new[] { Task.Run(SellAsync), Task.Run(SellAsync) };
        while (sold.Count < 6)
        {
            await Task.Delay(5);
        }
        var endStart = clock.Elapsed;
        JsonNode shift;
        using (var response = await kasir.EndAsync(0))
        {
            shift = (await response.ExpectAsync(HttpStatusCode.OK))["data"]!;
        }
        var endEnd = clock.Elapsed;
        ended.Cancel();
        await Task.WhenAll(tills);

        var credits = sold.Select(s => s.Credit).ToArray();
        var stamped = (await fiscus.QueryAsync<(long Id, long Amount, Guid? Shift)>(
            "SELECT account_line_id, amount_minor, shift_id FROM account_lines WHERE account_line_id = ANY(@credits)", new { credits }))
            .ToDictionary(s => s.Id);
        var shiftId = shift["id"]!.GetValue<Guid>();
        Assert.All(stamped.Values, s => Assert.True(s.Shift is null || s.Shift == shiftId));
        // Sales done before the end began are the shift's; sales begun after it are nobody's; the frozen expected
        // cash is exactly the shift's lines.
        Assert.All(sold.Where(s => s.End < endStart), s => Assert.Equal(shiftId, stamped[s.Credit].Shift));
        Assert.All(sold.Where(s => s.Start > endEnd), s => Assert.Null(stamped[s.Credit].Shift));
        Assert.Contains(sold, s => s.Start > endEnd);
        Assert.Equal(-stamped.Values.Where(s => s.Shift == shiftId).Sum(s => s.Amount), shift["expected_cash_end"]!.GetValue<long>());
        Assert.Equal(await fiscus.ScalarAsync<long>("SELECT COALESCE(-sum(amount_minor), 0) FROM account_lines WHERE shift_id = @shiftId", new { shiftId }),
            shift["expected_cash_end"]!.GetValue<long>());
    }

    /// <summary>
    /// Cash out is money leaving a drawer, like a payout or a refund (security review: a cashier paid 5,000.00 out of a
    /// drawer holding 100.00 as a "refund" and the shift still balanced). A cashier pays cash in; cash out needs
    /// refunds:write, and never more than the drawer should hold.
    /// </summary>
    [Fact]
    public async Task Cash_out_needs_refunds_write_and_no_more_than_the_drawer_holds()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 100m);
        var kasir = await CashierAsync();
        await (await kasir.StartAsync(10000, register)).ExpectAsync(HttpStatusCode.Created);

        await RefusedAsync(await kasir.CashAsync("cash_out", 500000, "refund"), HttpStatusCode.Forbidden, "forbidden");
        await RefusedAsync(await kasir.CashAsync("cash_out", 100, "expense"), HttpStatusCode.Forbidden, "forbidden");
        await (await kasir.CashAsync("cash_in", 500, "deposit")).ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(10500, (await DataAsync(await kasir.Http.GetAsync("/api/v1/shifts/active"), HttpStatusCode.OK, "Active shift retrieved successfully"))
            ["expected_cash"]!.GetValue<long>());
        await (await kasir.EndAsync(10500)).ExpectAsync(HttpStatusCode.OK);

        var manager = await CashierAsync("manager");
        await (await manager.StartAsync(10000, register)).ExpectAsync(HttpStatusCode.Created);
        await RefusedAsync(await manager.CashAsync("cash_out", 10001, "drop"), HttpStatusCode.Conflict, "insufficient_cash");
        await (await manager.CashAsync("cash_out", 10000, "drop")).ExpectAsync(HttpStatusCode.Created);
        await RefusedAsync(await manager.CashAsync("cash_out", 1, "drop"), HttpStatusCode.Conflict, "insufficient_cash");
        Assert.Equal(0, (await DataAsync(await manager.Http.GetAsync("/api/v1/shifts/active"), HttpStatusCode.OK, "Active shift retrieved successfully"))
            ["expected_cash"]!.GetValue<long>());
        await (await manager.EndAsync(0)).ExpectAsync(HttpStatusCode.OK);
    }

    /// <summary>
    /// The start cash is what its cashier says; the drawer holds what the ledger says (second review: a manager declared a
    /// 1,000,000.00 start at a register holding its 100.00 float and paid the million out, the shift closing "balanced").
    /// </summary>
    [Fact]
    public async Task Cash_out_never_takes_more_than_the_registers_ledger_says_is_there()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 100m);
        var manager = await CashierAsync("manager");
        await (await manager.StartAsync(100000000, register)).ExpectAsync(HttpStatusCode.Created);

        await RefusedAsync(await manager.CashAsync("cash_out", 100000000, "drop"), HttpStatusCode.Conflict, "insufficient_cash");
        await RefusedAsync(await manager.CashAsync("cash_out", 10001, "drop"), HttpStatusCode.Conflict, "insufficient_cash");
        await (await manager.CashAsync("cash_out", 10000, "drop")).ExpectAsync(HttpStatusCode.Created);

        Assert.Equal(0m, (await fiscus.SessionAsync(register))["summary"]!.Money("expected_cash_in_drawer"));
        await (await manager.EndAsync(0)).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_cash_transaction_retried_with_its_key_is_paid_once()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 20m);
        var kasir = await CashierAsync("manager");
        await (await kasir.StartAsync(2000, register)).ExpectAsync(HttpStatusCode.Created);
        const string Body = "{\"type\": \"cash_out\", \"amount\": 1200, \"category\": \"expense\", \"description\": \"milk\"}";

        using var first = await kasir.PostAsync("/api/v1/shifts/cash-transaction", Body, key: "till-7-0001");
        var created = (await first.ExpectAsync(HttpStatusCode.Created))["data"]!;
        using var replay = await kasir.PostAsync("/api/v1/shifts/cash-transaction", Body, key: "till-7-0001");
        Assert.Equal(created["id"]!.GetValue<Guid>(), (await replay.ExpectAsync(HttpStatusCode.Created))["data"]!["id"]!.GetValue<Guid>());
        Assert.Equal("true", replay.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM shift_cash_transactions WHERE shift_id = @id",
            new { id = created["shift_id"]!.GetValue<Guid>() }));
    }

    [Fact]
    public async Task A_shift_is_read_by_its_cashier_or_by_a_manager_and_reported_with_its_difference()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 10m);
        var kasir = await CashierAsync("manager");
        var shiftId = (await (await kasir.StartAsync(1000, register)).ExpectAsync(HttpStatusCode.Created))["data"]!["id"]!.GetValue<Guid>();
        await (await kasir.CashAsync("cash_out", 300, "drop")).ExpectAsync(HttpStatusCode.Created);
        await (await kasir.EndAsync(650)).ExpectAsync(HttpStatusCode.OK);

        using (var own = await kasir.Http.GetAsync($"/api/v1/shifts/{shiftId}"))
        {
            var shift = await DataAsync(own, HttpStatusCode.OK, "Shift retrieved successfully");
            Assert.Equal(-50, shift["difference"]!.GetValue<long>());
            var transaction = Assert.Single(shift["transactions"]!.AsArray())!;
            Assert.Equal(("cash_out", 300L, "drop"), (transaction["type"]!.GetValue<string>(), transaction["amount"]!.GetValue<long>(), transaction["category"]!.GetValue<string>()));
        }
        var colleague = await CashierAsync();
        await RefusedAsync(await colleague.Http.GetAsync($"/api/v1/shifts/{shiftId}"), HttpStatusCode.NotFound, "shift_not_found");
        var manager = await CashierAsync("manager");
        await DataAsync(await manager.Http.GetAsync($"/api/v1/shifts/{shiftId}"), HttpStatusCode.OK, "Shift retrieved successfully");
        var elsewhere = await fiscus.ClientAsync(["reports:read"], cashRegisterId: await fiscus.RegisterAsync());
        await RefusedAsync(await elsewhere.Http.GetAsync($"/api/v1/shifts/{shiftId}"), HttpStatusCode.Forbidden, "outside_binding");
        var here = await fiscus.ClientAsync(["reports:read"], cashRegisterId: register);
        await DataAsync(await here.Http.GetAsync($"/api/v1/shifts/{shiftId}"), HttpStatusCode.OK, "Shift retrieved successfully");

        var today = DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using var report = await manager.Http.GetAsync($"/api/v1/reports/shifts?from={today}&cash_register_id={register}");
        var body = await report.ExpectAsync(HttpStatusCode.OK);
        var row = Assert.Single(body["shifts"]!.AsArray())!;
        Assert.Equal((shiftId, kasir.User.Username, 10.00m, 3.00m, 7.00m, 6.50m, -0.50m), (row["shift_id"]!.GetValue<Guid>(), row["username"]!.GetValue<string>(),
            row.Money("start_cash"), row.Money("cash_out"), row.Money("expected_cash_end"), row.Money("actual_cash_end"), row.Money("difference")));
        Assert.Equal((-0.50m, 0m, 0L), (body.Money("short"), body.Money("over"), body["open"]!.GetValue<long>()));
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/reports/shifts?from={today}&cash_register_id={register}");
        request.Headers.Accept.ParseAdd("text/csv");
        using var csv = await manager.Http.SendAsync(request);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith(",10.00,0.00,3.00,0.00,0.00,7.00,6.50,-0.50,10.00,0.00,7.00,-0.50", lines[1]);
        using var cashierReport = await colleague.Http.GetAsync($"/api/v1/reports/shifts?from={today}");
        Assert.Equal(HttpStatusCode.Forbidden, cashierReport.StatusCode);
    }
    [Fact]
    public async Task Password_attempts_are_limited_per_person_not_per_address()
    {
        await using var strict = new FiscusFactory(fiscus.Factory.Database,
            new Dictionary<string, string?> { ["FISCUS_LOGIN_ATTEMPTS_PER_MINUTE"] = "2" });
        HttpClient Till(TestUser user)
        {
            var http = strict.CreateClient();
            http.DefaultRequestHeaders.Add("Cookie", $"access_token={user.Token}");
            return http;
        }
        var guesser = await fiscus.UserAsync("cashier", "MAIN");
        var colleague = await fiscus.UserAsync("cashier", "MAIN");
        var register = await fiscus.RegisterAsync();
        var wrong = Json.Body(new { start_cash = 0, password = "guess", cash_register_id = register });

        for (var i = 0; i < 2; i++)
        {
            using var attempt = await Till(guesser).PostAsync("/api/v1/shifts/start", wrong);
            await RefusedAsync(attempt, HttpStatusCode.Unauthorized, "invalid_password");
        }
        using (var limited = await Till(guesser).PostAsync("/api/v1/shifts/start", wrong))
        {
            await RefusedAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        }
        // Another cashier at the same address is not held up.
        using var other = await Till(colleague).PostAsync("/api/v1/shifts/start",
            Json.Body(new { start_cash = 0, password = colleague.Password, cash_register_id = register }));
        await other.ExpectAsync(HttpStatusCode.Created);
    }
}
