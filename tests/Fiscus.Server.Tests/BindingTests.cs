namespace Fiscus.Server.Tests;

/// <summary>
/// A client bound to a library or a register is confined to it in every read and write, and every refusal is
/// the same answer: 403 <c>outside_binding</c>. (Security review, finding 2: a client bound to library LIBY read
/// and listed MAIN's patrons, charged a MAIN patron, wrote the charge off, moved the patron to LIBY with
/// <c>secured</c> off, and booked a card intake into MAIN's cash drawer report; a register-bound client saw other
/// registers' stale shifts; the same refusal was a 400 in one place and a 403 in another.)
/// </summary>
public sealed class BindingTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    /// <summary>Everything a client can hold except the installation-wide scopes, which a bound client cannot.</summary>
    static readonly string[] BranchScopes =
    [
        "accounts:read", "accounts:write", "payments:write", "sales:write", "registers:read", "reference:read", "patrons:write",
        "refunds:write", "cashups:write", "reports:read",
    ];

    async Task<string> LibraryAsync()
    {
        var library = fiscus.Unique("LIBY");
        using var created = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = library, name = library }));
        await created.ExpectAsync(HttpStatusCode.Created);
        return library;
    }

    static async Task OutsideAsync(HttpResponseMessage response) => await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");

    [Fact]
    public async Task A_library_bound_client_neither_sees_nor_changes_another_librarys_patrons_accounts_or_reports()
    {
        var liby = await LibraryAsync();
        var main = await fiscus.PatronAsync("MAIN");
        var charge = (await fiscus.DebitAsync(main, 10m))["account_line_id"]!.GetValue<long>();
        var own = await fiscus.PatronAsync(liby);
        var client = (await fiscus.ClientAsync(BranchScopes, libraryId: liby)).Http;
        var today = DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        // Reads.
        using (var list = await client.GetAsync("/api/v1/patrons?_per_page=1000"))
        {
            var patrons = (await list.ExpectAsync(HttpStatusCode.OK)).AsArray();
            Assert.Contains(patrons, p => p!["patron_id"]!.GetValue<long>() == own);
            Assert.All(patrons, p => Assert.Equal(liby, p!["library_id"]!.GetValue<string>()));
        }
        await OutsideAsync(await client.GetAsync("/api/v1/patrons?library_id=MAIN"));
        foreach (var path in new[] { "", "/account", "/account/debits", "/account/credits", $"/account/debits/{charge}" })
        {
            await OutsideAsync(await client.GetAsync($"/api/v1/patrons/{main}{path}"));
        }
        using (var polaris = await client.GetAsync($"/polaris/api/v1/patrons/{main}/accounttransactions"))
        {
            Assert.Equal("outside_binding", (await polaris.ExpectAsync(HttpStatusCode.Forbidden))["Code"]!.GetValue<string>());
        }
        await OutsideAsync(await client.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}&library_id=MAIN"));
        await OutsideAsync(await client.GetAsync($"/api/v1/reports/daily?library_id=MAIN"));

        // The review's writes, each refused.
        await OutsideAsync(await client.PostAsync($"/api/v1/patrons/{main}/account/debits",
            Json.Body(new { amount = 5m, type = "MANUAL", library_id = "MAIN" })));
        await OutsideAsync(await client.PostAsync($"/api/v1/patrons/{main}/account/debits/{charge}/writeoff", Json.Body(new { })));
        await OutsideAsync(await client.PutAsync($"/api/v1/patrons/{main}",
            Json.Body(new { cardnumber = fiscus.Unique("moved"), surname = "Moved", library_id = liby, secured = false })));
        await OutsideAsync(await client.PostAsync($"/api/v1/patrons/{main}/account/payments",
            Json.Body(new { debit_type = "PRINT", amount = 3m, payment_type = "CARD" })));
        using (var pay = await client.PutAsync($"/polaris/api/v1/patrons/{main}/accounttransactions/finesfees?action=pay&reload=false&overpayment=false",
                   Json.Raw($$"""{"TxnAmount": 10, "MainTxnIDs": [{{charge}}], "PatronPaymentMethod": 12}""")))
        {
            Assert.Equal("outside_binding", (await pay.ExpectAsync(HttpStatusCode.Forbidden))["Code"]!.GetValue<string>());
        }
        // Nor may its own patrons' money or records be put in another library's books.
        await OutsideAsync(await client.PostAsync($"/api/v1/patrons/{own}/account/payments",
            Json.Body(new { debit_type = "PRINT", amount = 3m, payment_type = "CARD", library_id = "MAIN" })));
        await OutsideAsync(await client.PostAsync($"/api/v1/patrons/{own}/account/debits",
            Json.Body(new { amount = 5m, type = "MANUAL", library_id = "MAIN" })));
        await OutsideAsync(await client.PutAsync($"/api/v1/patrons/{own}",
            Json.Body(new { cardnumber = fiscus.Unique("card"), surname = "Own", library_id = "MAIN" })));
        await OutsideAsync(await client.PostAsync("/api/v1/patrons",
            Json.Body(new { cardnumber = fiscus.Unique("card"), surname = "New", library_id = "MAIN" })));

        var after = await fiscus.QueryAsync<(string LibraryId, bool Secured, long Lines, long Balance)>("""
            SELECT p.library_id, p.secured, (SELECT count(*) FROM account_lines WHERE patron_id = p.patron_id),
                   (SELECT COALESCE(sum(amount_outstanding_minor), 0)::bigint FROM account_lines WHERE patron_id = p.patron_id)
            FROM patrons p WHERE p.patron_id IN (@main, @own) ORDER BY p.patron_id = @main DESC
            """, new { main, own });
        Assert.Equal(("MAIN", false, 1L, 1000L), after[0]);
        Assert.Equal((liby, false, 0L, 0L), after[1]);

        // Within its library it works as before.
        using (var intake = await client.PostAsync($"/api/v1/patrons/{own}/account/payments",
                   Json.Body(new { debit_type = "PRINT", amount = 3m, payment_type = "CARD" })))
        {
            Assert.Equal(liby, (await intake.ExpectAsync(HttpStatusCode.Created))["credit"]!["library_id"]!.GetValue<string>());
        }
        using (var report = await client.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}"))
        {
            var body = await report.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(liby, body["library_id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_register_bound_client_sees_only_its_registers_stale_shifts()
    {
        var mine = await fiscus.RegisterAsync();
        var theirs = await fiscus.RegisterAsync();
        var yesterday = fiscus.Clock.GetUtcNow().AddDays(-2);
        foreach (var register in new[] { mine, theirs })
        {
            var cashier = await fiscus.UserAsync("cashier", "MAIN");
            await fiscus.ScalarAsync<int>("""
                INSERT INTO shifts (shift_id, user_id, cash_register_id, status, start_cash_minor, start_time)
                VALUES (gen_random_uuid(), @UserId, @register, 'open', 0, @yesterday) RETURNING 1
                """, new { cashier.UserId, register, yesterday });
        }
        var client = (await fiscus.ClientAsync(["reports:read", "registers:read"], cashRegisterId: mine)).Http;
        var manager = await fiscus.StaffAsync("manager");

        using (var stale = await client.GetAsync("/api/v1/shifts/stale"))
        {
            var shifts = (await stale.ExpectAsync(HttpStatusCode.OK))["data"]!.AsArray();
            Assert.Equal([mine], shifts.Select(s => s!["cash_register_id"]!.GetValue<int>()));
        }
        using (var all = await manager.Http.GetAsync("/api/v1/shifts/stale"))
        {
            var registers = (await all.ExpectAsync(HttpStatusCode.OK))["data"]!.AsArray().Select(s => s!["cash_register_id"]!.GetValue<int>()).ToList();
            Assert.Contains(mine, registers);
            Assert.Contains(theirs, registers);
        }
        var elsewhere = await LibraryAsync();
        using (var otherLibrary = await client.GetAsync($"/api/v1/shifts/stale?library_id={elsewhere}"))
        {
            var body = await otherLibrary.ExpectAsync(HttpStatusCode.Forbidden);
            Assert.Equal("outside_binding", body["error"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Every_path_that_names_another_register_gives_the_same_answer()
    {
        var mine = await fiscus.RegisterAsync();
        var theirs = await fiscus.RegisterAsync();
        var sold = (await fiscus.SellAsync(theirs, 2m))["debits"]![0]!["account_line_id"]!.GetValue<long>();
        var cashup = (await fiscus.CashupAsync(theirs, new { reconciliations = new[] { new { payment_type = "CASH", counted = 2m } } }))["cashup_id"]!
            .GetValue<long>();
        var patron = await fiscus.PatronAsync();
        var client = (await fiscus.ClientAsync(BranchScopes, cashRegisterId: mine)).Http;
        var today = DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        HttpResponseMessage[] refusals =
        [
            await client.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 1m, payment_type = "CASH", cash_register_id = theirs })),
            await client.PostAsync($"/api/v1/patrons/{patron}/account/payments",
                Json.Body(new { debit_type = "PRINT", amount = 1m, payment_type = "CASH", register_id = theirs })),
            await client.PostSaleAsync(theirs, new { debit_type = "PRINT", amount = 1m, payment_type = "CASH" }),
            await client.PostAsync($"/api/v1/cash_registers/{theirs}/refunds", Json.Body(new { account_line_id = sold })),
            await client.PostAsync($"/api/v1/cash_registers/{mine}/refunds", Json.Body(new { account_line_id = sold })),
            await client.PostAsync($"/api/v1/cash_registers/{theirs}/cashups/start", Json.Body(new { })),
            await client.GetAsync($"/api/v1/cash_registers/{theirs}"),
            await client.GetAsync($"/api/v1/cash_registers/{theirs}/session"),
            await client.GetAsync($"/api/v1/cash_registers/{theirs}/cashups"),
            await client.GetAsync($"/api/v1/cashups/{cashup}"),
            await client.GetAsync($"/api/v1/reports/daily?cash_register_id={theirs}"),
            await client.GetAsync($"/api/v1/reports/shifts?from={today}&cash_register_id={theirs}"),
        ];

        foreach (var refusal in refusals)
        {
            await OutsideAsync(refusal);
            refusal.Dispose();
        }
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
    }

    [Fact]
    public async Task A_bound_client_changes_nothing_that_every_library_shares()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        using (var granted = await admin.PostAsync("/api/v1/clients",
                   Json.Body(new { name = fiscus.Unique("kiosk"), scopes = new[] { "payments:write", "reference:write" }, cash_register_id = register })))
        {
            var problem = await granted.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
            Assert.Contains("reference:write", problem["errors"]!["scopes"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // A client given the scopes before it was bound (or bound behind the API's back) still cannot use them.
        var client = await fiscus.ClientAsync(["reference:write", "libraries:write", "registers:write", "reference:read", "refunds:write"]);
        await fiscus.ScalarAsync<int>("UPDATE api_clients SET cash_register_id = @register WHERE client_id = @ClientId RETURNING 1",
            new { register, client.ClientId });
        var bound = fiscus.WithBearer(await fiscus.ClientTokenAsync(client.ClientId, client.Secret));

        await OutsideAsync(await bound.PutAsync("/api/v1/payment_types/CARD", Json.Body(new { description = "Card", counts_as_cash = true })));
        await OutsideAsync(await bound.PostAsync("/api/v1/payment_types", Json.Body(new { code = fiscus.Unique("TOKEN"), description = fiscus.Unique("Tokens") })));
        await OutsideAsync(await bound.PostAsync("/api/v1/debit_types/PRINT/archive", null));
        await OutsideAsync(await bound.PostAsync("/api/v1/libraries", Json.Body(new { library_id = fiscus.Unique("L"), name = "Branch" })));
        await OutsideAsync(await bound.PostAsync("/api/v1/cash_registers", Json.Body(new { name = fiscus.Unique("T"), library_id = "MAIN" })));
        await OutsideAsync(await bound.PostAsync("/api/v1/fee_fine_owners", Json.Body(new { name = fiscus.Unique("Owner") })));
        using (var folio = await bound.PostAsync("/payments", Json.Body(new { nameMethod = fiscus.Unique("Method") })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, folio.StatusCode);
        }
        Assert.False(await fiscus.ScalarAsync<bool>("SELECT counts_as_cash FROM payment_types WHERE code = 'CARD'"));
        Assert.False(await fiscus.ScalarAsync<bool>("SELECT archived FROM debit_types WHERE code = 'PRINT'"));
        using var read = await bound.GetAsync("/api/v1/payment_types/CARD");
        await read.ExpectAsync(HttpStatusCode.OK);
    }
}
