namespace Fiscus.Server.Tests;

/// <summary>Koha bug 42785: atomic charge-and-pay intake for external payment systems.</summary>
public sealed class PaymentIntakeTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task<HttpResponseMessage> IntakeAsync(HttpClient client, long patronId, object body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patrons/{patronId}/account/payments") { Content = Json.Body(body) };
        request.Headers.Add("x-koha-embed", "fiscus");
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task The_seed_test_plan_passes_step_by_step()
    {
        // 1. A patron with no outstanding charges.
        var patron = await fiscus.PatronAsync();
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));

        // 2. POST with debit_type, amount, payment_type and a valid register_id.
        var kiosk = await fiscus.ClientAsync(["payments:write"]);
        using var response = await IntakeAsync(kiosk.Http, patron,
            new { debit_type = "PRINT", amount = 3.40m, payment_type = "CASH", register_id = 1, description = "Booking and printing" });
        var body = await response.ExpectAsync(HttpStatusCode.Created);

        // 3. A debit and a credit line, linked via offsets, the debit's outstanding 0.
        var debit = body["debit"]!;
        var credit = body["credit"]!;
        Assert.Equal("PRINT", debit["type"]!.GetValue<string>());
        Assert.Equal(3.40m, debit["amount"]!.GetValue<decimal>());
        Assert.Equal(0m, debit["amount_outstanding"]!.GetValue<decimal>());
        Assert.Equal("PAYMENT", credit["type"]!.GetValue<string>());
        Assert.Equal(-3.40m, credit["amount"]!.GetValue<decimal>());
        Assert.Equal(0m, credit["amount_outstanding"]!.GetValue<decimal>());
        Assert.Equal(await fiscus.ServiceUserIdAsync(kiosk.ClientId), credit["user_id"]!.GetValue<long>());
        Assert.Equal(kiosk.ClientId, credit["fiscus"]!["client_id"]!.GetValue<string>());
        var link = Assert.Single(body["offsets"]!.AsArray(), o => o!["type"]!.GetValue<string>() == "APPLY")!;
        Assert.Equal(credit["account_line_id"]!.GetValue<long>(), link["credit_id"]!.GetValue<long>());
        Assert.Equal(debit["account_line_id"]!.GetValue<long>(), link["debit_id"]!.GetValue<long>());
        Assert.Equal(-3.40m, link["amount"]!.GetValue<decimal>());
        Assert.Equal(1, await fiscus.ScalarAsync<int>(
            "SELECT count(*) FROM account_offsets WHERE type = 'APPLY' AND credit_id = @c AND debit_id = @d",
            new { c = credit["account_line_id"]!.GetValue<long>(), d = debit["account_line_id"]!.GetValue<long>() }));

        // 4. The balance is unchanged.
        Assert.Equal(0m, body["balance"]!.GetValue<decimal>());
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));

        // 5. The payment is journaled to the register (its totals are the register's session; see the POS issue).
        Assert.Equal(1, credit["cash_register_id"]!.GetValue<int>());
        Assert.Null(debit["cash_register_id"]);
        Assert.Equal(340, await fiscus.ScalarAsync<long>(
            "SELECT -sum(amount_minor) FROM account_lines WHERE cash_register_id = 1 AND payment_type = 'CASH' AND patron_id = @patron",
            new { patron }));
        Assert.Equal($"/api/v1/patrons/{patron}/account/credits/{credit["account_line_id"]}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_card_payment_needs_no_register_and_cash_register_id_is_accepted_too()
    {
        var patron = await fiscus.PatronAsync();
        var admin = await fiscus.AdminAsync();

        using var card = await IntakeAsync(admin, patron, new { debit_type = "COPY", amount = 0.30m, payment_type = "CARD" });
        Assert.Null((await card.ExpectAsync(HttpStatusCode.Created))["credit"]!["cash_register_id"]);
        using var cash = await IntakeAsync(admin, patron, new { debit_type = "COPY", amount = 0.30m, payment_type = "CASH", cash_register_id = 1 });
        Assert.Equal(1, (await cash.ExpectAsync(HttpStatusCode.Created))["credit"]!["cash_register_id"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_client_bound_to_a_register_pays_into_it_by_default()
    {
        var patron = await fiscus.PatronAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"], cashRegisterId: 1);

        using var response = await IntakeAsync(kiosk.Http, patron, new { debit_type = "PRINT", amount = 1m, payment_type = "CASH" });

        Assert.Equal(1, (await response.ExpectAsync(HttpStatusCode.Created))["credit"]!["cash_register_id"]!.GetValue<int>());
    }

    public static TheoryData<string, string, int, string, string?> Refusals => new()
    {
        { "unknown debit type", """{"debit_type": "NOPE", "amount": 1, "payment_type": "CARD"}""", 400, "unknown_debit_type", "debit_type" },
        { "archived debit type", """{"debit_type": "ARCHIVED_TYPE", "amount": 1, "payment_type": "CARD"}""", 400, "debit_type_archived", "debit_type" },
        { "reserved debit type", """{"debit_type": "VOID", "amount": 1, "payment_type": "CARD"}""", 400, "debit_type_reserved", "debit_type" },
        { "unknown payment type", """{"debit_type": "PRINT", "amount": 1, "payment_type": "BITCOIN"}""", 400, "unknown_payment_type", "payment_type" },
        { "unknown register", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CASH", "register_id": 9999}""", 400, "unknown_register", "register_id" },
        { "archived register", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CASH", "register_id": ARCHIVED}""", 400, "register_archived", "register_id" },
        { "cash without a register", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CASH"}""", 400, "register_required", "register_id" },
        { "two different registers", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CASH", "register_id": 1, "cash_register_id": 2}""", 400, "validation_failed", "register_id" },
        { "unknown library", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CARD", "library_id": "NOPE"}""", 400, "unknown_library", "library_id" },
        { "zero amount", """{"debit_type": "PRINT", "amount": 0, "payment_type": "CARD"}""", 400, "validation_failed", "amount" },
        { "negative amount", """{"debit_type": "PRINT", "amount": -5, "payment_type": "CARD"}""", 400, "validation_failed", "amount" },
        { "too many decimals", """{"debit_type": "PRINT", "amount": 1.005, "payment_type": "CARD"}""", 400, "validation_failed", "amount" },
        { "huge amount", """{"debit_type": "PRINT", "amount": 99999999999, "payment_type": "CARD"}""", 400, "validation_failed", "amount" },
        { "absurd amount", """{"debit_type": "PRINT", "amount": 1e999, "payment_type": "CARD"}""", 400, "invalid_type", "amount" },
        { "amount as text", """{"debit_type": "PRINT", "amount": "1.00", "payment_type": "CARD"}""", 400, "invalid_type", "amount" },
        { "missing amount", """{"debit_type": "PRINT", "payment_type": "CARD"}""", 400, "missing_field", "amount" },
        { "missing payment type", """{"debit_type": "PRINT", "amount": 1}""", 400, "missing_field", "payment_type" },
        { "unknown field", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CARD", "tip": 1}""", 400, "unknown_field", "tip" },
        { "empty external id", """{"debit_type": "PRINT", "amount": 1, "payment_type": "CARD", "external_id": ""}""", 400, "validation_failed", "external_id" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refused_intakes_say_why_and_write_nothing(string what, string body, int status, string code, string? field)
    {
        var patron = await fiscus.PatronAsync();
        var admin = await fiscus.AdminAsync();
        if (body.Contains("ARCHIVED_TYPE", StringComparison.Ordinal))
        {
            await ArchivedDebitTypeAsync(admin);
        }
        if (body.Contains("ARCHIVED", StringComparison.Ordinal) && !body.Contains("ARCHIVED_TYPE", StringComparison.Ordinal))
        {
            body = body.Replace("ARCHIVED", (await ArchivedRegisterAsync(admin)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                StringComparison.Ordinal);
        }

        using var response = await admin.PostAsync($"/api/v1/patrons/{patron}/account/payments", Json.Raw(body));

        var problem = await response.ExpectProblemAsync((HttpStatusCode)status, code);
        if (field is not null)
        {
            Assert.True(problem["errors"]?[field] is not null, $"{what}: errors.{field} missing in {problem.ToJsonString()}");
        }
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
    }

    [Fact]
    public async Task An_unknown_patron_is_404_and_a_secured_one_409()
    {
        var admin = await fiscus.AdminAsync();
        var secured = await fiscus.PatronAsync(secured: true);

        using var unknown = await IntakeAsync(admin, 987654321, new { debit_type = "PRINT", amount = 1m, payment_type = "CARD" });
        using var refused = await IntakeAsync(admin, secured, new { debit_type = "PRINT", amount = 1m, payment_type = "CARD" });

        await unknown.ExpectProblemAsync(HttpStatusCode.NotFound, "patron_not_found");
        await refused.ExpectProblemAsync(HttpStatusCode.Conflict, "patron_secured");
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @secured", new { secured }));
    }

    [Fact]
    public async Task A_client_bound_to_one_library_cannot_pay_into_another_librarys_register()
    {
        var library = fiscus.Unique("B");
        var admin = await fiscus.AdminAsync();
        using (var created = await admin.PostAsync("/api/v1/libraries", Json.Body(new { library_id = library, name = library })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var kiosk = await fiscus.ClientAsync(["payments:write"], libraryId: library);
        var patron = await fiscus.PatronAsync(library);

        using var response = await IntakeAsync(kiosk.Http, patron, new { debit_type = "PRINT", amount = 1m, payment_type = "CASH", register_id = 1 });

        await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
    }

    [Fact]
    public async Task The_same_external_id_is_answered_like_a_replay_and_recorded_once()
    {
        var patron = await fiscus.PatronAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"], cashRegisterId: 1);
        var body = new { debit_type = "PRINT", amount = 2m, payment_type = "CASH", external_id = "netloan-7781" };

        using var first = await IntakeAsync(kiosk.Http, patron, body);
        using var second = await IntakeAsync(kiosk.Http, patron, body, key: "a-fresh-key");

        var original = await first.ExpectAsync(HttpStatusCode.Created);
        var replay = await second.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(original.ToJsonString(), replay.ToJsonString());
        Assert.Equal("true", second.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE external_id = 'netloan-7781'"));
        Assert.Equal(2, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));

        using var changed = await IntakeAsync(kiosk.Http, patron, body with { amount = 3m });
        await changed.ExpectProblemAsync((HttpStatusCode)422, "external_id_reused");

        // External ids are the caller's own: another client may use the same reference.
        var other = await fiscus.ClientAsync(["payments:write"], cashRegisterId: 1);
        using var theirs = await IntakeAsync(other.Http, patron, body);
        await theirs.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_external_id_is_never_recorded_twice_even_after_its_idempotency_record_expired()
    {
        var patron = await fiscus.PatronAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"]);
        var body = new { debit_type = "PRINT", amount = 1m, payment_type = "CARD", external_id = "old-reference-1" };
        using (var first = await IntakeAsync(kiosk.Http, patron, body))
        {
            await first.ExpectAsync(HttpStatusCode.Created);
        }
        await using (var connection = await fiscus.Db.OpenConnectionAsync())
        {
            await using var expire = new Npgsql.NpgsqlCommand("DELETE FROM idempotency_keys WHERE key = 'external_id:old-reference-1'", connection);
            await expire.ExecuteNonQueryAsync();
        }

        using var again = await IntakeAsync(kiosk.Http, patron, body);

        var problem = await again.ExpectProblemAsync(HttpStatusCode.Conflict, "external_id_used");
        Assert.NotNull(problem["errors"]!["external_id"]);
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE external_id = 'old-reference-1'"));
    }

    static async Task ArchivedDebitTypeAsync(HttpClient admin)
    {
        using var create = await admin.PostAsync("/api/v1/debit_types", Json.Body(new { code = "ARCHIVED_TYPE", description = "Old" }));
        using var archive = await admin.PostAsync("/api/v1/debit_types/ARCHIVED_TYPE/archive", null);
        await archive.ExpectAsync(HttpStatusCode.OK);
    }

    static async Task<int> ArchivedRegisterAsync(HttpClient admin)
    {
        using var create = await admin.PostAsync("/api/v1/cash_registers", Json.Body(new { name = $"Old {Guid.NewGuid():N}"[..20], library_id = "MAIN" }));
        var id = (await create.ExpectAsync(HttpStatusCode.Created))["cash_register_id"]!.GetValue<int>();
        using var archive = await admin.PostAsync($"/api/v1/cash_registers/{id}/archive", null);
        await archive.ExpectAsync(HttpStatusCode.OK);
        return id;
    }
}
