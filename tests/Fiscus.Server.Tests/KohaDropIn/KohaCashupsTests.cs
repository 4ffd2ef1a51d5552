using System.Globalization;
using System.Text.Json;

namespace Fiscus.Server.Tests.KohaDropIn;

/// <summary>
/// Cash-ups as Koha's <c>cashup</c> definition has them (<c>additionalProperties: false</c>: <c>cashup_id</c>,
/// <c>cash_register_id</c>, <c>manager_id</c>, <c>amount</c>, <c>timestamp</c>, and the embeds <c>manager</c> and
/// <c>summary</c> only when asked for), the assertions of Koha's <c>t/db_dependent/api/v1/cashups.t</c>, and who a cash-up by
/// an API client names as its manager: the client's service user.
/// </summary>
public sealed class KohaCashupsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static readonly string[] KohaKeys = ["amount", "cash_register_id", "cashup_id", "manager_id", "timestamp"];

    static readonly string[] KohaSummaryKeys =
        ["from_date", "income_grouped", "income_total", "payout_grouped", "payout_total", "to_date", "total", "total_grouped"];

    static void AssertInteger(JsonNode? node, string what) =>
        Assert.True(node is not null && node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<long>(out _), $"{what} is an integer");

    static void AssertNumber(JsonNode? node, string what) =>
        Assert.True(node is not null && node.GetValueKind() == JsonValueKind.Number, $"{what} is a number");

    static void AssertDateTime(JsonNode? node, string what) =>
        Assert.True(node is not null && node.GetValueKind() == JsonValueKind.String &&
            DateTimeOffset.TryParse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _), $"{what} is a date-time");

    /// <summary>Koha's cashup definition: its keys (and the embeds asked for) only, each of its type.</summary>
    static void AssertKohaCashup(JsonNode? cashup, params string[] embeds)
    {
        var body = cashup!.AsObject();
        Assert.Equal(KohaKeys.Concat(embeds).Order(StringComparer.Ordinal), body.Select(p => p.Key).Order(StringComparer.Ordinal));
        AssertInteger(body["cashup_id"], "cashup_id");
        AssertInteger(body["cash_register_id"], "cash_register_id");
        AssertInteger(body["manager_id"], "manager_id");
        AssertNumber(body["amount"], "amount");
        AssertDateTime(body["timestamp"], "timestamp");
        foreach (var embed in embeds)
        {
            Assert.Equal(JsonValueKind.Object, body[embed]!.GetValueKind());
        }
    }

    async Task<int> RegisterWithTakingsAsync(decimal amount = 2m)
    {
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, amount, "PRINT", "CASH");
        return register;
    }

    static object Counted(decimal cash) => new { reconciliations = new[] { new { payment_type = "CASH", counted = cash } } };

    [Fact]
    public async Task Listing_the_cashups_of_a_missing_register_is_404_Register_not_found()
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync("/api/v1/cash_registers/987654/cashups");

        var problem = await response.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found");
        Assert.Equal("Register not found", problem["error"]!.GetValue<string>());
        // Koha's render_resource_not_found: error_code not_found on every missing resource; Fiscus's code says which.
        Assert.Equal("not_found", problem["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kohas_cashups_t_none_then_one_then_newest_first_and_each_reads_the_same_alone()
    {
        var admin = await fiscus.AdminAsync();
        var register = await RegisterWithTakingsAsync();
        using (var none = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups"))
        {
            Assert.Equal("[]", (await none.ExpectAsync(HttpStatusCode.OK)).ToJsonString());
        }

        var older = (await fiscus.CashupAsync(register, Counted(2m)))["cashup_id"]!.GetValue<long>();
        using (var one = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups"))
        {
            var listed = Assert.Single((await one.ExpectAsync(HttpStatusCode.OK)).AsArray());
            Assert.Equal(older, listed!["cashup_id"]!.GetValue<long>());
        }
        fiscus.Clock.Advance(TimeSpan.FromMinutes(15));
        await fiscus.SellAsync(register, 3m, "COPY", "CASH");
        var newer = (await fiscus.CashupAsync(register, Counted(3m)))["cashup_id"]!.GetValue<long>();

        using var two = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups");
        var both = (await two.ExpectAsync(HttpStatusCode.OK)).AsArray();
        Assert.Equal([newer, older], both.Select(c => c!["cashup_id"]!.GetValue<long>()));
        Assert.All(both, c => AssertKohaCashup(c));
        Assert.True(both[0]!["timestamp"]!.GetValue<DateTime>() > both[1]!["timestamp"]!.GetValue<DateTime>());
        foreach (var listed in both)
        {
            using var alone = await admin.GetAsync($"/api/v1/cashups/{listed!["cashup_id"]}");
            Assert.Equal(listed.ToJsonString(), (await alone.ExpectAsync(HttpStatusCode.OK)).ToJsonString());
        }
        Assert.Equal([3m, 2m], both.Select(c => c!["amount"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task A_missing_cashup_is_404_Cashup_not_found()
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync("/api/v1/cashups/987654321");

        var problem = await response.ExpectProblemAsync(HttpStatusCode.NotFound, "cashup_not_found");
        Assert.Equal("Cashup not found", problem["error"]!.GetValue<string>());
        Assert.Equal("not_found", problem["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_the_permission_the_list_and_a_cashup_are_403()
    {
        var register = await RegisterWithTakingsAsync();
        var cashup = (await fiscus.CashupAsync(register, Counted(2m)))["cashup_id"]!.GetValue<long>();
        var unprivileged = await fiscus.ClientAsync(["accounts:read"]);

        using var list = await unprivileged.Http.GetAsync($"/api/v1/cash_registers/{register}/cashups");
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        using var one = await unprivileged.Http.GetAsync($"/api/v1/cashups/{cashup}");
        Assert.Equal(HttpStatusCode.Forbidden, one.StatusCode);
    }

    [Fact]
    public async Task Embeds_come_only_when_asked_for_and_have_their_shapes()
    {
        var admin = await fiscus.AdminAsync();
        var manager = await fiscus.StaffAsync("manager");
        var register = await RegisterWithTakingsAsync(4m);
        using (var counted = await manager.Http.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 3.50m, note = "short" } }, note = "late" }))
        {
            await counted.ExpectAsync(HttpStatusCode.Created);
        }

        foreach (var url in new[] { $"/api/v1/cash_registers/{register}/cashups", null })
        {
            var cashupUrl = url ?? $"/api/v1/cashups/{await fiscus.ScalarAsync<long>("SELECT max(cashup_id) FROM cashups WHERE cash_register_id = @register", new { register })}";
            using var response = await admin.GetEmbeddedAsync(cashupUrl, "manager,summary,fiscus");
            var body = await response.ExpectAsync(HttpStatusCode.OK);
            var cashup = url is null ? body : Assert.Single(body.AsArray())!;
            AssertKohaCashup(cashup, "manager", "summary", "fiscus");
            Assert.Equal(manager.UserId, cashup["manager_id"]!.GetValue<long>());

            // manager: who counted, by name only.
            Assert.Equal(["kind", "name", "user_id", "username"], cashup["manager"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.Equal((manager.UserId, manager.Username, manager.Username, "staff"), (cashup["manager"]!["user_id"]!.GetValue<long>(),
                cashup["manager"]!["username"]!.GetValue<string>(), cashup["manager"]!["name"]!.GetValue<string>(), cashup["manager"]!["kind"]!.GetValue<string>()));

            // summary: Koha's summary object (Fiscus's carries more, which Koha's open summary object allows).
            var summary = cashup["summary"]!.AsObject();
            Assert.All(KohaSummaryKeys, key => Assert.True(summary.ContainsKey(key), key));
            AssertDateTime(summary["from_date"], "from_date");
            AssertDateTime(summary["to_date"], "to_date");
            AssertNumber(summary["income_total"], "income_total");
            AssertNumber(summary["payout_total"], "payout_total");
            Assert.Equal(4m, summary["total"]!.GetValue<decimal>());
            var income = Assert.Single(summary["income_grouped"]!.AsArray())!;
            Assert.Equal(("PRINT", 4m), (income["debit_type_code"]!.GetValue<string>(), income["total"]!.GetValue<decimal>()));
            Assert.Equal(JsonValueKind.String, income["debit_type"]!["description"]!.GetValueKind());
            Assert.All(summary["total_grouped"]!.AsArray(), t =>
            {
                Assert.Equal(JsonValueKind.String, t!["payment_type"]!.GetValueKind());
                AssertNumber(t["total"], "total_grouped[].total");
            });

            // fiscus: what Koha's definition has no room for.
            var facts = cashup["fiscus"]!;
            Assert.Equal(["client_id", "completed_at", "note", "reconciliations", "register_session_id", "started_at", "status"],
                facts.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.Null(facts["client_id"]);
            Assert.Equal(("completed", "late"), (facts["status"]!.GetValue<string>(), facts["note"]!.GetValue<string>()));
            var reconciliation = Assert.Single(facts["reconciliations"]!.AsArray())!;
            Assert.Equal(("CASH", -0.50m, "short"), (reconciliation["payment_type"]!.GetValue<string>(), reconciliation["difference"]!.GetValue<decimal>(),
                reconciliation["note"]!.GetValue<string>()));
            Assert.Equal(3.50m, cashup["amount"]!.GetValue<decimal>());
        }

        // Each embed alone; Koha's list offers manager and a cash-up summary, Fiscus both on both.
        using (var list = await admin.GetEmbeddedAsync($"/api/v1/cash_registers/{register}/cashups", "manager"))
        {
            AssertKohaCashup(Assert.Single((await list.ExpectAsync(HttpStatusCode.OK)).AsArray()), "manager");
        }
        using (var list = await admin.GetEmbeddedAsync($"/api/v1/cash_registers/{register}/cashups", "summary"))
        {
            AssertKohaCashup(Assert.Single((await list.ExpectAsync(HttpStatusCode.OK)).AsArray()), "summary");
        }
    }

    [Fact]
    public async Task An_embed_not_offered_is_Kohas_400()
    {
        var register = await RegisterWithTakingsAsync();
        var cashup = (await fiscus.CashupAsync(register, Counted(2m)))["cashup_id"]!.GetValue<long>();
        var admin = await fiscus.AdminAsync();

        foreach (var url in new[] { $"/api/v1/cash_registers/{register}/cashups", $"/api/v1/cashups/{cashup}" })
        {
            using var response = await admin.GetEmbeddedAsync(url, "summary,patron");
            var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
            Assert.Equal("/x-koha-embed", body["errors"]![0]!["path"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_clients_cashup_names_its_service_user_as_manager_and_the_client_under_fiscus()
    {
        var register = await RegisterWithTakingsAsync(5m);
        var client = await fiscus.ClientAsync(["registers:read", "cashups:write"], cashRegisterId: register);
        var (serviceUserId, clientName) = (await fiscus.QueryAsync<(long, string)>(
            "SELECT service_user_id, name FROM api_clients WHERE client_id = @ClientId", new { client.ClientId })).Single();

        using var counted = await client.Http.PostCashupAsync(register, Counted(5m));
        var written = await counted.ExpectAsync(HttpStatusCode.Created);
        // Fiscus's own POST answers with every embed.
        AssertKohaCashup(written, "manager", "summary", "fiscus");
        Assert.Equal(serviceUserId, written["manager_id"]!.GetValue<long>());
        Assert.Equal(client.ClientId, written["fiscus"]!["client_id"]!.GetValue<string>());

        // Read back by staff (not the client itself): the client is still named.
        var admin = await fiscus.AdminAsync();
        using var read = await admin.GetEmbeddedAsync($"/api/v1/cashups/{written["cashup_id"]}", "manager,fiscus");
        var cashup = await read.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(serviceUserId, cashup["manager_id"]!.GetValue<long>());
        Assert.Equal(client.ClientId, cashup["fiscus"]!["client_id"]!.GetValue<string>());
        Assert.Equal((serviceUserId, $"api-client:{await fiscus.ScalarAsync<long>("SELECT api_client_id FROM api_clients WHERE client_id = @ClientId", new { client.ClientId })}",
                clientName, "api_client"),
            (cashup["manager"]!["user_id"]!.GetValue<long>(), cashup["manager"]!["username"]!.GetValue<string>(), cashup["manager"]!["name"]!.GetValue<string>(),
                cashup["manager"]!["kind"]!.GetValue<string>()));
        using var list = await admin.GetEmbeddedAsync($"/api/v1/cash_registers/{register}/cashups", "manager");
        Assert.Equal(clientName, Assert.Single((await list.ExpectAsync(HttpStatusCode.OK)).AsArray())!["manager"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_count_in_progress_still_has_a_numeric_amount_and_says_it_is_counting()
    {
        var register = await RegisterWithTakingsAsync(6m);
        var admin = await fiscus.AdminAsync();
        using (var start = await admin.PostAsync($"/api/v1/cash_registers/{register}/cashups/start", null))
        {
            await start.ExpectAsync(HttpStatusCode.Created);
        }

        using var list = await admin.GetEmbeddedAsync($"/api/v1/cash_registers/{register}/cashups", "fiscus");
        var counting = Assert.Single((await list.ExpectAsync(HttpStatusCode.OK)).AsArray())!;
        AssertKohaCashup(counting, "fiscus");
        Assert.Equal(6m, counting["amount"]!.GetValue<decimal>());
        Assert.Equal("counting", counting["fiscus"]!["status"]!.GetValue<string>());
        Assert.Null(counting["fiscus"]!["completed_at"]);

        using var done = await admin.PostCashupAsync(register, Counted(6m));
        await done.ExpectAsync(HttpStatusCode.Created);
    }
}
