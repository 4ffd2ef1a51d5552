namespace Fiscus.Server.Tests;

/// <summary>Koha bug 42784: patron-optional counter sales, <c>POST /api/v1/cash_registers/{id}/sales</c>.</summary>
public sealed class SalesTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task The_seed_test_plan_passes_step_by_step()
    {
        // 1. A cash register is configured.
        var register = await fiscus.RegisterAsync();
        var kiosk = await fiscus.ClientAsync(["sales:write"]);

        // 2. POST .../sales with a valid debit_type, amount, description and payment_type.
        using var response = await kiosk.Http.PostSaleAsync(register,
            new { debit_type = "PRINT", amount = 3.40m, description = "Netloan printing", payment_type = "CASH" }, embed: "fiscus");
        var sale = await response.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal($"/api/v1/cash_registers/{register}/sales/{sale["sale_id"]}", response.Headers.Location!.OriginalString);

        // 3. A debit and a credit line with no patron and the register's id.
        var credit = sale["credit"]!;
        var debit = Assert.Single(sale["debits"]!.AsArray())!;
        Assert.Equal("PURCHASE", credit["type"]!.GetValue<string>());
        Assert.Equal("PRINT", debit["type"]!.GetValue<string>());
        Assert.Equal("Netloan printing", debit["description"]!.GetValue<string>());
        Assert.Equal(-3.40m, credit.Money("amount"));
        Assert.Equal(3.40m, debit.Money("amount"));
        Assert.Equal(0m, credit.Money("amount_outstanding"));
        Assert.Equal(0m, debit.Money("amount_outstanding"));
        Assert.Null(sale["patron_id"]);
        // A patron-less line says patron_id: null (Koha's definitions have no such line); a client's line names its service user.
        Assert.True(credit.AsObject().ContainsKey("patron_id") && credit["patron_id"] is null);
        Assert.True(debit.AsObject().ContainsKey("patron_id") && debit["patron_id"] is null);
        Assert.Equal(await fiscus.ServiceUserIdAsync(kiosk.ClientId), credit["user_id"]!.GetValue<long>());
        Assert.Equal(kiosk.ClientId, credit["fiscus"]!["client_id"]!.GetValue<string>());
        var rows = await fiscus.QueryAsync<(long Id, long? PatronId, int? RegisterId, long Outstanding)>(
            "SELECT account_line_id, patron_id, cash_register_id, amount_outstanding_minor FROM account_lines WHERE account_line_id = ANY(@ids) ORDER BY 1",
            new { ids = new[] { credit["account_line_id"]!.GetValue<long>(), debit["account_line_id"]!.GetValue<long>() } });
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Null(r.PatronId));
        Assert.All(rows, r => Assert.Equal(register, r.RegisterId));
        Assert.All(rows, r => Assert.Equal(0, r.Outstanding));
        var link = Assert.Single(sale["offsets"]!.AsArray(), o => o!["type"]!.GetValue<string>() == "APPLY")!;
        Assert.Equal(credit["account_line_id"]!.GetValue<long>(), link["credit_id"]!.GetValue<long>());
        Assert.Equal(debit["account_line_id"]!.GetValue<long>(), link["debit_id"]!.GetValue<long>());

        // 4. The sale is in the register's totals (its live session, what the cash-up counts).
        var session = (await fiscus.SessionAsync(register))["summary"]!;
        var printing = Assert.Single(session["income_grouped"]!.AsArray())!;
        Assert.Equal("PRINT", printing["debit_type_code"]!.GetValue<string>());
        Assert.Equal(3.40m, printing.Money("total"));
        Assert.Equal(3.40m, session.Money("income_total"));
        Assert.Equal(3.40m, session.PaymentType("CASH").Money("income"));
        Assert.Equal(3.40m, session.Money("bankable"));
    }

    [Fact]
    public async Task A_basket_is_one_purchase_paying_a_debit_per_item_with_change_given()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 50m);
        var cashier = await fiscus.StaffAsync("cashier");

        using var response = await cashier.Http.PostSaleAsync(register, new
        {
            items = new object[]
            {
                new { debit_type = "COPY", price = 0.15m, quantity = 12, description = "A4 copies" },
                new { debit_type = "PRINT", price = 1.10m, quantity = 2 },
            },
            payment_type = "CASH",
            amount_tendered = 5m,
        }, embed: "fiscus");
        var sale = await response.ExpectAsync(HttpStatusCode.Created);

        Assert.Equal(4.00m, sale.Money("total"));
        Assert.Equal(5m, sale.Money("amount_tendered"));
        Assert.Equal(1.00m, sale.Money("change_given"));
        Assert.Equal(-4.00m, sale["credit"]!.Money("amount"));
        var debits = sale["debits"]!.AsArray();
        Assert.Equal([("COPY", 1.80m, 12), ("PRINT", 2.20m, 2)],
            debits.Select(d => (d!["type"]!.GetValue<string>(), d.Money("amount"), d["fiscus"]!["quantity"]!.GetValue<int>())).ToArray());
        Assert.All(debits, d => Assert.Equal(0m, d!.Money("amount_outstanding")));
        Assert.Equal(2, sale["offsets"]!.AsArray().Count(o => o!["type"]!.GetValue<string>() == "APPLY"));
        Assert.Equal(cashier.UserId, sale["credit"]!["user_id"]!.GetValue<long>());

        // The stored sale answers the same.
        using var again = await cashier.Http.GetAsync(response.Headers.Location);
        var stored = await again.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(sale["sale_id"]!.GetValue<long>(), stored["sale_id"]!.GetValue<long>());
        Assert.Equal(1.00m, stored.Money("change_given"));
        Assert.Equal(2, stored["debits"]!.AsArray().Count);

        // Expected cash in the drawer: float + takings (the change never left the drawer's takings).
        var summary = (await fiscus.SessionAsync(register))["summary"]!;
        Assert.Equal(50m, summary.Money("float"));
        Assert.Equal(54.00m, summary.Money("expected_cash_in_drawer"));
        Assert.Equal(4.00m, summary.Money("bankable"));
        Assert.Equal([("COPY", 1.80m), ("PRINT", 2.20m)],
            summary["income_grouped"]!.AsArray().Select(g => (g!["debit_type_code"]!.GetValue<string>(), g.Money("total"))).ToArray());
    }

    [Fact]
    public async Task A_sale_can_be_attached_to_a_patron_without_touching_their_balance()
    {
        var register = await fiscus.RegisterAsync();
        var patron = await fiscus.PatronAsync();

        using var response = await (await fiscus.AdminAsync()).PostSaleAsync(register,
            new { debit_type = "PRINT", amount = 0.40m, payment_type = "CARD", patron_id = patron });
        var sale = await response.ExpectAsync(HttpStatusCode.Created);

        Assert.Equal(patron, sale["patron_id"]!.GetValue<long>());
        Assert.Equal(patron, sale["credit"]!["patron_id"]!.GetValue<long>());
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
        Assert.Equal(2, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));

        using var unknown = await (await fiscus.AdminAsync()).PostSaleAsync(register,
            new { debit_type = "PRINT", amount = 0.40m, payment_type = "CARD", patron_id = 999_999_999 });
        await unknown.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_patron");
    }

    [Fact]
    public async Task A_retried_sale_is_recorded_once()
    {
        var register = await fiscus.RegisterAsync();
        var kiosk = await fiscus.ClientAsync(["sales:write"], cashRegisterId: register);
        var body = new { debit_type = "COPY", amount = 0.30m, payment_type = "SIP00", external_id = "netloan-8841" };

        using var first = await kiosk.Http.PostSaleAsync(register, body, key: "sale-8841");
        var created = await first.ExpectAsync(HttpStatusCode.Created);
        using var replay = await kiosk.Http.PostSaleAsync(register, body, key: "sale-8841");
        Assert.Equal(created["sale_id"]!.GetValue<long>(), (await replay.ExpectAsync(HttpStatusCode.Created))["sale_id"]!.GetValue<long>());
        // The kiosk's own transaction id identifies the sale too: without the key it replays; on another sale it is refused.
        using var duplicate = await kiosk.Http.PostSaleAsync(register, body);
        Assert.Equal(created["sale_id"]!.GetValue<long>(), (await duplicate.ExpectAsync(HttpStatusCode.Created))["sale_id"]!.GetValue<long>());
        using var reused = await kiosk.Http.PostSaleAsync(register, body with { amount = 0.45m });
        await reused.ExpectProblemAsync((HttpStatusCode)422, "external_id_reused");

        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM sales WHERE cash_register_id = @register", new { register }));
        Assert.Equal(-30, await fiscus.ScalarAsync<long>(
            "SELECT sum(amount_minor) FROM account_lines WHERE cash_register_id = @register AND credit_type_code = 'PURCHASE'", new { register }));
    }

    [Theory]
    [InlineData("{\"debit_type\":\"PRINT\",\"amount\":0,\"payment_type\":\"CASH\"}", "amount")]
    [InlineData("{\"debit_type\":\"PRINT\",\"amount\":-1,\"payment_type\":\"CASH\"}", "amount")]
    [InlineData("{\"debit_type\":\"PRINT\",\"amount\":1.001,\"payment_type\":\"CASH\"}", "amount")]
    [InlineData("{\"debit_type\":\"PRINT\",\"payment_type\":\"CASH\"}", "amount")]
    [InlineData("{\"amount\":1,\"payment_type\":\"CASH\"}", "debit_type")]
    [InlineData("{\"debit_type\":\"PRINT\",\"amount\":1}", "payment_type")]
    [InlineData("{\"items\":[],\"payment_type\":\"CASH\"}", "items")]
    [InlineData("{\"items\":[null],\"payment_type\":\"CASH\"}", "items[0]")]
    [InlineData("{\"items\":[{\"debit_type\":\"PRINT\",\"price\":1,\"quantity\":0}],\"payment_type\":\"CASH\"}", "items[0].quantity")]
    [InlineData("{\"items\":[{\"debit_type\":\"PRINT\",\"price\":1,\"quantity\":-2}],\"payment_type\":\"CASH\"}", "items[0].quantity")]
    [InlineData("{\"items\":[{\"debit_type\":\"PRINT\",\"price\":0,\"quantity\":1}],\"payment_type\":\"CASH\"}", "items[0].price")]
    [InlineData("{\"items\":[{\"debit_type\":\"PRINT\",\"price\":1}],\"debit_type\":\"PRINT\",\"payment_type\":\"CASH\"}", "debit_type")]
    [InlineData("{\"debit_type\":\"PRINT\",\"amount\":1,\"payment_type\":\"CASH\",\"amount_tendered\":-5}", "amount_tendered")]
    public async Task Bad_sales_are_refused_field_by_field_and_write_nothing(string body, string field)
    {
        var register = await fiscus.RegisterAsync();
        using var response = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/cash_registers/{register}/sales", Json.Raw(body));
        var problem = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]?[field]);
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE cash_register_id = @register", new { register }));
    }

    [Fact]
    public async Task A_quantity_that_is_not_a_whole_number_is_a_400()
    {
        var register = await fiscus.RegisterAsync();
        using var response = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/cash_registers/{register}/sales",
            Json.Raw("{\"items\":[{\"debit_type\":\"PRINT\",\"price\":1,\"quantity\":1.5}],\"payment_type\":\"CASH\"}"));
        await response.ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Only_sellable_live_debit_types_and_known_payment_types_can_be_sold()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();

        using var notSellable = await admin.PostSaleAsync(register, new { debit_type = "OVERDUE", amount = 1m, payment_type = "CASH" });
        await notSellable.ExpectProblemAsync(HttpStatusCode.BadRequest, "debit_type_not_sellable");
        using var unknown = await admin.PostSaleAsync(register, new { debit_type = "NO_SUCH", amount = 1m, payment_type = "CASH" });
        await unknown.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_debit_type");
        using var badPayment = await admin.PostSaleAsync(register, new { debit_type = "PRINT", amount = 1m, payment_type = "BITCOIN" });
        Assert.Equal(HttpStatusCode.BadRequest, badPayment.StatusCode);

        // An archived sellable type is no longer on sale.
        var code = fiscus.Unique("BAG").ToUpperInvariant();
        using var created = await admin.PostAsync("/api/v1/debit_types", Json.Body(new { code, description = "Tote bag", can_be_sold = true, default_amount = 2.50m }));
        await created.ExpectAsync(HttpStatusCode.Created);
        using (var sold = await admin.PostSaleAsync(register, new { debit_type = code, amount = 2.50m, payment_type = "CASH" }))
        {
            await sold.ExpectAsync(HttpStatusCode.Created);
        }
        using var archived = await admin.PostAsync($"/api/v1/debit_types/{code}/archive", null);
        await archived.ExpectAsync(HttpStatusCode.OK);
        using var afterArchive = await admin.PostSaleAsync(register, new { debit_type = code, amount = 2.50m, payment_type = "CASH" });
        await afterArchive.ExpectProblemAsync(HttpStatusCode.BadRequest, "debit_type_archived");

        // A basket with one bad item writes nothing at all.
        using var mixed = await admin.PostSaleAsync(register, new
        {
            items = new object[] { new { debit_type = "PRINT", price = 1m, quantity = 1 }, new { debit_type = "LOST", price = 5m, quantity = 1 } },
            payment_type = "CASH",
        });
        await mixed.ExpectProblemAsync(HttpStatusCode.BadRequest, "debit_type_not_sellable");
        Assert.Equal(2, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE cash_register_id = @register", new { register }));
    }

    [Fact]
    public async Task Tendering_less_than_the_total_is_a_400()
    {
        var register = await fiscus.RegisterAsync();
        using var response = await (await fiscus.AdminAsync()).PostSaleAsync(register,
            new { items = new[] { new { debit_type = "PRINT", price = 2m, quantity = 3 } }, payment_type = "CASH", amount_tendered = 5.99m });
        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "tendered_too_little");
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE cash_register_id = @register", new { register }));
    }

    [Fact]
    public async Task Registers_that_are_archived_missing_or_someone_elses_are_refused()
    {
        var admin = await fiscus.AdminAsync();
        var register = await fiscus.RegisterAsync();
        var other = await fiscus.RegisterAsync();
        var sale = new { debit_type = "PRINT", amount = 1m, payment_type = "CARD" };

        var bound = await fiscus.ClientAsync(["sales:write"], cashRegisterId: other);
        using var elsewhere = await bound.Http.PostSaleAsync(register, sale);
        await elsewhere.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");

        using var missing = await admin.PostSaleAsync(987_654, sale);
        await missing.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found");

        using var archive = await admin.PostAsync($"/api/v1/cash_registers/{register}/archive", null);
        await archive.ExpectAsync(HttpStatusCode.OK);
        using var archived = await admin.PostSaleAsync(register, sale);
        await archived.ExpectProblemAsync(HttpStatusCode.BadRequest, "register_archived");
    }

    [Fact]
    public async Task A_cashier_sells_but_cannot_refund_and_a_reader_cannot_sell()
    {
        var register = await fiscus.RegisterAsync();
        var cashier = await fiscus.StaffAsync("cashier");
        var sale = await fiscus.SellAsync(register, 1m);

        using var refund = await cashier.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds",
            Json.Body(new { account_line_id = sale["debits"]![0]!["account_line_id"]!.GetValue<long>() }));
        Assert.Equal(HttpStatusCode.Forbidden, refund.StatusCode);

        var reader = await fiscus.ClientAsync(["registers:read"]);
        using var sell = await reader.Http.PostSaleAsync(register, new { debit_type = "PRINT", amount = 1m, payment_type = "CASH" });
        Assert.Equal(HttpStatusCode.Forbidden, sell.StatusCode);
    }

    [Fact]
    public async Task A_sold_item_is_refunded_in_parts_up_to_its_price_as_a_refund_and_a_payout_from_the_register()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 20m);
        var manager = await fiscus.StaffAsync("manager");
        var sale = await fiscus.SellAsync(register, 3.00m, "PRINT", "CASH");
        var item = sale["debits"]![0]!["account_line_id"]!.GetValue<long>();

        using var part = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds", Json.Body(new { account_line_id = item, amount = 1.25m, note = "misprint" }));
        var first = await part.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("REFUND", first["refund"]!["type"]!.GetValue<string>());
        Assert.Equal(-1.25m, first["refund"]!.Money("amount"));
        Assert.Equal(0m, first["refund"]!.Money("amount_outstanding"));
        Assert.Equal("PAYOUT", first["payout"]!["type"]!.GetValue<string>());
        Assert.Equal(1.25m, first["payout"]!.Money("amount"));
        Assert.Equal("CASH", first["payout"]!["payout_type"]!.GetValue<string>());
        Assert.Equal(register, first["payout"]!["cash_register_id"]!.GetValue<int>());
        Assert.Equal(0m, first["payout"]!.Money("amount_outstanding"));

        using var tooMuch = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds", Json.Body(new { account_line_id = item, amount = 1.76m }));
        await tooMuch.ExpectProblemAsync(HttpStatusCode.BadRequest, "amount_exceeds_refundable");
        using var rest = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds", Json.Body(new { account_line_id = item }));
        var second = await rest.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(1.75m, second["payout"]!.Money("amount"));
        Assert.Equal("REFUNDED", second["item"]!["status"]!.GetValue<string>());
        using var again = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds", Json.Body(new { account_line_id = item }));
        await again.ExpectProblemAsync(HttpStatusCode.Conflict, "already_refunded");

        var summary = (await fiscus.SessionAsync(register))["summary"]!;
        Assert.Equal(3.00m, summary.Money("income_total"));
        Assert.Equal(3.00m, summary.Money("payout_total"));
        Assert.Equal(0m, summary.Money("total"));
        Assert.Equal(20m, summary.Money("expected_cash_in_drawer"));
        Assert.Equal(2, summary["refunds"]!["count"]!.GetValue<long>());
        Assert.Equal(3.00m, summary["refunds"]!.Money("total"));
        var payout = Assert.Single(summary["payout_grouped"]!.AsArray())!;
        Assert.Equal("REFUND", payout["credit_type_code"]!.GetValue<string>());
        Assert.Equal("PRINT", payout["related_debit"]!["debit_type_code"]!.GetValue<string>());
        Assert.Equal(3.00m, payout.Money("total"));

        // A client bound to another register may neither pay out of this one nor refund, from its own, what was sold here.
        var till = await fiscus.RegisterAsync();
        var elsewhere = await fiscus.ClientAsync(["refunds:write"], cashRegisterId: till);
        var other = new { account_line_id = (await fiscus.SellAsync(register, 1m, "COPY", "CASH"))["debits"]![0]!["account_line_id"]!.GetValue<long>() };
        using (var foreign = await elsewhere.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds", Json.Body(other)))
        {
            await foreign.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        }
        using (var fromOwn = await elsewhere.Http.PostAsync($"/api/v1/cash_registers/{till}/refunds", Json.Body(other)))
        {
            await fromOwn.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        }
        using (var staff = await manager.Http.PostAsync($"/api/v1/cash_registers/{till}/refunds", Json.Body(other)))
        {
            Assert.Equal(till, (await staff.ExpectAsync(HttpStatusCode.Created))["payout"]!["cash_register_id"]!.GetValue<int>());
        }

        // Something that was not sold at a register is refunded from the patron's account, not here.
        var patron = await fiscus.PatronAsync();
        var fee = await fiscus.DebitAsync(patron, 2m);
        using var notSold = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds",
            Json.Body(new { account_line_id = fee["account_line_id"]!.GetValue<long>() }));
        await notSold.ExpectAsync(HttpStatusCode.BadRequest);
    }
}
