using System.Net.Http.Headers;
using static Fiscus.Server.Tests.Infrastructure.FolioAnswers;

namespace Fiscus.Server.Tests;

/// <summary>
/// mod-feesfines' <c>/payments</c> (seed 002): every answer validated against FOLIO's own schemas, the seed's
/// bodies round-tripped, its error shapes, CQL, paging, and what Fiscus does better (unique names, ETags, no
/// deleting a method the ledger used).
/// </summary>
public sealed class FolioPaymentsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    const string SeedBody = """
        {
          "nameMethod": "Cash",
          "allowedRefundMethod": true,
          "metadata": {
            "createdDate": "2018-03-19T14:22:07Z",
            "createdByUserId": "1ad737b0-d847-11e6-bf26-cec0c932ce02",
            "createdByUsername": "Doe",
            "updatedDate": "2018-03-19T14:22:07Z"
          },
          "ownerId": "0bab56e5-1ab6-4ac2-afdf-8b2df0434379",
          "id": "0bab56e5-1ab6-4ac2-afdf-8b2df0434382"
        }
        """;

    static async Task<JsonNode> ErrorsAsync(HttpResponseMessage response) => (await JsonAsync(response, (HttpStatusCode)422, FolioSchemas.Errors)).Body;

    static StringContent Body(string json) => Json.Raw(json);

    async Task<JsonNode> CreateAsync(string name, string? ownerId = null, bool allowedRefund = true)
    {
        var body = new JsonObject { ["nameMethod"] = name, ["allowedRefundMethod"] = allowedRefund };
        if (ownerId is not null)
        {
            body["ownerId"] = ownerId;
        }
        using var response = await (await fiscus.AdminAsync()).PostAsync("/payments", Body(body.ToJsonString()));
        return (await JsonAsync(response, HttpStatusCode.Created, FolioSchemas.Payment)).Body;
    }

    async Task<JsonNode> ListAsync(string query)
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync("/payments?" + query);
        return (await JsonAsync(response, HttpStatusCode.OK, FolioSchemas.PaymentCollection)).Body;
    }

    static string[] Names(JsonNode collection) => collection["payments"]!.AsArray().Select(p => p!["nameMethod"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task The_seed_example_round_trips_post_get_put_delete()
    {
        var admin = await fiscus.AdminAsync();
        var adminUuid = await fiscus.ScalarAsync<Guid>("SELECT user_uuid FROM staff_users WHERE username = 'admin'");

        using var created = await admin.PostAsync("/payments", Body(SeedBody));
        var (body, _) = await JsonAsync(created, HttpStatusCode.Created, FolioSchemas.Payment);
        Assert.Equal("/payments/0bab56e5-1ab6-4ac2-afdf-8b2df0434382", created.Headers.Location!.OriginalString);
        Assert.Equal(("Cash", true, "0bab56e5-1ab6-4ac2-afdf-8b2df0434379", "0bab56e5-1ab6-4ac2-afdf-8b2df0434382"),
            (body["nameMethod"]!.GetValue<string>(), body["allowedRefundMethod"]!.GetValue<bool>(), body["ownerId"]!.GetValue<string>(),
             body["id"]!.GetValue<string>()));
        // The metadata is the server's: who created it here, and when.
        Assert.Equal(adminUuid.ToString(), body["metadata"]!["createdByUserId"]!.GetValue<string>());
        Assert.Equal("admin", body["metadata"]!["createdByUsername"]!.GetValue<string>());
        Assert.True(body["metadata"]!["createdDate"]!.GetValue<DateTime>() > new DateTime(2020, 1, 1));

        using var read = await admin.GetAsync("/payments/0bab56e5-1ab6-4ac2-afdf-8b2df0434382");
        var (stored, _) = await JsonAsync(read, HttpStatusCode.OK, FolioSchemas.Payment);
        Assert.Equal(body.ToJsonString(), stored.ToJsonString());
        var etag = read.Headers.ETag!.Tag;

        // A PUT of what GET gave (a client's round trip), renamed.
        stored["nameMethod"] = "Cash (front desk)";
        using var put = await admin.PutAsync("/payments/0bab56e5-1ab6-4ac2-afdf-8b2df0434382", Body(stored.ToJsonString()));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.NotEqual(etag, put.Headers.ETag!.Tag);
        using var reread = await admin.GetAsync("/payments/0bab56e5-1ab6-4ac2-afdf-8b2df0434382");
        var (updated, _) = await JsonAsync(reread, HttpStatusCode.OK, FolioSchemas.Payment);
        Assert.Equal("Cash (front desk)", updated["nameMethod"]!.GetValue<string>());
        Assert.Equal("admin", updated["metadata"]!["updatedByUsername"]!.GetValue<string>());

        using var delete = await admin.DeleteAsync("/payments/0bab56e5-1ab6-4ac2-afdf-8b2df0434382");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await admin.GetAsync("/payments/0bab56e5-1ab6-4ac2-afdf-8b2df0434382");
        Assert.Equal("payment not found", await TextAsync(gone, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task FOLIOs_settings_query_lists_everything_sorted_with_an_exact_total()
    {
        await CreateAsync("zebra pass");
        await CreateAsync("Bank transfer");
        var all = await ListAsync("query=cql.allRecords%3D1%20sortby%20nameMethod&limit=2000");
        var names = Names(all);
        Assert.Equal(names.Length, all["totalRecords"]!.GetValue<int>());
        Assert.Equal(await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types"), names.Length);
        Assert.Equal(names.OrderBy(n => n.ToLowerInvariant(), StringComparer.Ordinal).ToArray(), names);
        Assert.Contains("Cash via SIP2", names);
        Assert.Equal(names.Length, all["resultInfo"]!["totalRecords"]!.GetValue<int>());

        // The default page is 10; the pay modal's "limit=10000" with no query works too.
        Assert.Equal(Math.Min(10, names.Length), Names(await ListAsync("")).Length);
        Assert.Equal(names.Length, Names(await ListAsync("limit=10000")).Length);
    }

    [Fact]
    public async Task Pages_are_exact_and_never_overlap()
    {
        var owner = Guid.NewGuid().ToString();
        for (var i = 0; i < 23; i++)
        {
            await CreateAsync($"Paged method {i:D2}", owner);
        }
        var seen = new List<string>();
        for (var offset = 0; offset < 30; offset += 10)
        {
            var page = await ListAsync($"query=ownerId%3D%3D{owner}%20sortby%20nameMethod&offset={offset}&limit=10");
            Assert.Equal(23, page["totalRecords"]!.GetValue<int>());
            seen.AddRange(Names(page));
        }
        Assert.Equal(Enumerable.Range(0, 23).Select(i => $"Paged method {i:D2}"), seen);
        var count = await ListAsync($"query=ownerId%3D%3D{owner}&limit=0");
        Assert.Empty(count["payments"]!.AsArray());
        Assert.Equal(23, count["totalRecords"]!.GetValue<int>());

        var faceted = await ListAsync($"query=ownerId%3D%3D{owner}&limit=1&facets=ownerId:5&facets=allowedRefundMethod");
        var facets = faceted["resultInfo"]!["facets"]!.AsArray();
        Assert.Equal(["ownerId", "allowedRefundMethod"], facets.Select(f => f!["type"]!.GetValue<string>()).ToArray());
        var ownerFacet = Assert.Single(facets[0]!["facetValues"]!.AsArray())!;
        Assert.Equal((owner, 23L), (ownerFacet["value"]!.GetValue<string>(), ownerFacet["count"]!.GetValue<long>()));
    }

    [Fact]
    public async Task A_payment_method_is_a_payment_type_both_ways()
    {
        var method = await CreateAsync("Gift voucher", allowedRefund: false);
        var id = method["id"]!.GetValue<string>();
        var admin = await fiscus.AdminAsync();
        using (var types = await admin.GetAsync("/api/v1/payment_types?_per_page=1000"))
        {
            var type = (await types.ExpectAsync(HttpStatusCode.OK)).AsArray().Single(t => t!["payment_type_id"]!.GetValue<string>() == id)!;
            Assert.Equal(("GIFT_VOUCHER", "Gift voucher", false), (type["code"]!.GetValue<string>(), type["description"]!.GetValue<string>(),
                type["allowed_refund"]!.GetValue<bool>()));
        }
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, 5m, "PRINT", "GIFT_VOUCHER");

        // And the other way: a type added natively is a FOLIO payment method at once.
        using (var native = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code = "LOYALTY", description = "Loyalty points" })))
        {
            var nativeId = (await native.ExpectAsync(HttpStatusCode.Created))["payment_type_id"]!.GetValue<string>();
            using var viaFolio = await admin.GetAsync($"/payments/{nativeId}");
            var (folio, _) = await JsonAsync(viaFolio, HttpStatusCode.OK, FolioSchemas.Payment);
            Assert.Equal("Loyalty points", folio["nameMethod"]!.GetValue<string>());
            Assert.Equal("admin", folio["metadata"]!["createdByUsername"]!.GetValue<string>());
        }
        // The names clash whichever way they come in.
        using var clash = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code = "GIFT2", description = "GIFT VOUCHER" }));
        await clash.ExpectProblemAsync(HttpStatusCode.Conflict, "payment_type_name_taken");
    }

    [Theory]
    [InlineData("""{"allowedRefundMethod": true}""", "nameMethod", "must not be null")]
    [InlineData("""{"nameMethod": null}""", "nameMethod", "must not be null")]
    [InlineData("""{"nameMethod": 5}""", "nameMethod", "must be a string")]
    [InlineData("""{"nameMethod": "   "}""", "nameMethod", "must not be blank")]
    [InlineData("""{"nameMethod": "Cheque", "colour": "red"}""", "colour", "Unrecognized field \"colour\"")]
    [InlineData("""{"nameMethod": "Cheque", "id": "not-a-uuid"}""", "id", "must match")]
    [InlineData("""{"nameMethod": "Cheque", "id": "0bab56e5-1ab6-0ac2-afdf-8b2df0434382"}""", "id", "must match")]
    // The whole value must match, as in FOLIO (.NET's $ alone also matches before a final newline).
    [InlineData("""{"nameMethod": "Cheque", "id": "0bab56e5-1ab6-4ac2-afdf-8b2df0434382\n"}""", "id", "must match")]
    [InlineData("""{"nameMethod": "Cheque", "ownerId": "0bab56e5-1ab6-4ac2-cfdf-8b2df0434382"}""", "ownerId", "must match")]
    [InlineData("""{"nameMethod": "Cheque", "allowedRefundMethod": "yes"}""", "allowedRefundMethod", "must be a boolean")]
    // Only the two strings FOLIO's UI sends, exactly: no other case, no padding, no numbers.
    [InlineData("""{"nameMethod": "Cheque", "allowedRefundMethod": "TRUE"}""", "allowedRefundMethod", "must be a boolean")]
    [InlineData("""{"nameMethod": "Cheque", "allowedRefundMethod": "False"}""", "allowedRefundMethod", "must be a boolean")]
    [InlineData("""{"nameMethod": "Cheque", "allowedRefundMethod": " true"}""", "allowedRefundMethod", "must be a boolean")]
    [InlineData("""{"nameMethod": "Cheque", "allowedRefundMethod": ""}""", "allowedRefundMethod", "must be a boolean")]
    [InlineData("""{"nameMethod": "Cheque", "allowedRefundMethod": "1"}""", "allowedRefundMethod", "must be a boolean")]
    [InlineData("""{"nameMethod": "Cheque", "allowedRefundMethod": 1}""", "allowedRefundMethod", "must be a boolean")]
    [InlineData("""{"nameMethod": "Cheque", "metadata": {"createdDate": "2018-03-19T14:22:07Z", "by": "x"}}""", "metadata.by", "Unrecognized field")]
    [InlineData("""{"nameMethod": "Cheque", "metadata": {"updatedDate": "2018-03-19T14:22:07Z"}}""", "metadata.createdDate", "must not be null")]
    [InlineData("""{"nameMethod": "Cheque", "metadata": {"createdDate": "yesterday"}}""", "metadata.createdDate", "must be a date-time")]
    public async Task Validation_failures_are_422_errors_naming_the_property(string json, string key, string message)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/payments", Body(json));
        var errors = (await ErrorsAsync(response))["errors"]!.AsArray();
        var error = errors.Single(e => e!["parameters"]![0]!["key"]!.GetValue<string>() == key)!;
        Assert.StartsWith(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("1", error["type"]!.GetValue<string>());
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types WHERE description = 'Cheque'"));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    // FOLIO's settings UI sends the string once a checkbox has been edited; Jackson (and so mod-feesfines) takes it.
    [InlineData("\"true\"", true)]
    [InlineData("\"false\"", false)]
    public async Task AllowedRefundMethod_is_a_JSON_boolean_or_the_string_FOLIOs_UI_sends(string value, bool expected)
    {
        var admin = await fiscus.AdminAsync();
        var name = fiscus.Unique("Boolean ");
        using var post = await admin.PostAsync("/payments", Body($$"""{"nameMethod": "{{name}}", "allowedRefundMethod": {{value}}}"""));
        var (created, _) = await JsonAsync(post, HttpStatusCode.Created, FolioSchemas.Payment);
        Assert.Equal(expected, created["allowedRefundMethod"]!.GetValue<bool>());
        Assert.Equal(expected, await fiscus.ScalarAsync<bool>("SELECT allowed_refund FROM payment_types WHERE description = @name", new { name }));

        // A PUT after an edit in the UI sends the flipped value the same way.
        var flipped = value.Replace(expected ? "true" : "false", expected ? "false" : "true", StringComparison.Ordinal);
        using var put = await admin.PutAsync($"/payments/{created["id"]}", Body($$"""{"nameMethod": "{{name}}", "allowedRefundMethod": {{flipped}}}"""));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal(!expected, await fiscus.ScalarAsync<bool>("SELECT allowed_refund FROM payment_types WHERE description = @name", new { name }));
    }

    [Theory]
    [InlineData(false)] // one created with that id earlier
    [InlineData(true)] // a system or native type's id, made through /api/v1/payment_types
    public async Task Posting_an_id_that_exists_is_400_text_as_mod_feesfines_answers(bool native)
    {
        var admin = await fiscus.AdminAsync();
        string id;
        if (native)
        {
            using var made = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code = fiscus.Unique("NATIVE"), description = fiscus.Unique("Native ") }));
            id = (await made.ExpectAsync(HttpStatusCode.Created))["payment_type_id"]!.GetValue<string>();
        }
        else
        {
            id = (await CreateAsync(fiscus.Unique("First ")))["id"]!.GetValue<string>();
        }
        var before = await fiscus.ScalarAsync<long>("SELECT count(*) FROM payment_types");

        var name = fiscus.Unique("Second ");
        using var again = await admin.PostAsync("/payments", Body($$"""{"nameMethod": "{{name}}", "id": "{{id}}"}"""));

        Assert.Equal($"Unable to process request -- a payment method with id {id} already exists (PUT /payments/{id} changes it)",
            await TextAsync(again, HttpStatusCode.BadRequest));
        Assert.Equal(before, await fiscus.ScalarAsync<long>("SELECT count(*) FROM payment_types"));
    }

    [Fact]
    public async Task Names_are_unique_per_owner_ignoring_case_and_accents()
    {
        var owner = Guid.NewGuid().ToString();
        var other = Guid.NewGuid().ToString();
        await CreateAsync("Carte bancaire", owner);
        var admin = await fiscus.AdminAsync();
        foreach (var clash in new[] { "carte bancaire", "CARTE BANCAIRE", "Carté Bancaire", "  Carte bancaire " })
        {
            using var response = await admin.PostAsync("/payments", Body(new JsonObject { ["nameMethod"] = clash, ["ownerId"] = owner }.ToJsonString()));
            var error = Assert.Single((await ErrorsAsync(response))["errors"]!.AsArray())!;
            Assert.Equal("nameMethod", error["parameters"]![0]!["key"]!.GetValue<string>());
        }
        await CreateAsync("Carte bancaire", other);
        await CreateAsync("Carte bancaire");
        // Renaming into a clash is refused too.
        var second = await CreateAsync("Carte de crédit", owner);
        using var rename = await admin.PutAsync($"/payments/{second["id"]}",
            Body(new JsonObject { ["nameMethod"] = "CARTE BANCAIRE", ["ownerId"] = owner }.ToJsonString()));
        await ErrorsAsync(rename);
    }

    [Fact]
    public async Task Malformed_requests_are_400_text_naming_the_place()
    {
        var admin = await fiscus.AdminAsync();
        using (var post = await admin.PostAsync("/payments", Body("{\n  \"nameMethod\": \"Cash\",\n  \"allowedRefundMethod\": tru\n}")))
        {
            Assert.Equal("unable to add payment -- malformed JSON at 3:29", await TextAsync(post, HttpStatusCode.BadRequest));
        }
        var method = await CreateAsync("Cheque book");
        using (var put = await admin.PutAsync($"/payments/{method["id"]}", Body("{\"nameMethod\": \"x\",}")))
        {
            Assert.StartsWith("unable to update payment -- malformed JSON at 1:", await TextAsync(put, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
        using (var array = await admin.PostAsync("/payments", Body("[1]")))
        {
            Assert.Equal("unable to add payment -- the body must be a JSON object", await TextAsync(array, HttpStatusCode.BadRequest));
        }
        using (var query = await admin.GetAsync("/payments?query=nameMethod%3D%3D(cash"))
        {
            Assert.Matches("^unable to list payments -- malformed parameter 'query', syntax error at column 18: ", await TextAsync(query, HttpStatusCode.BadRequest));
        }
        using (var unknown = await admin.GetAsync("/payments?query=colour%3D%3Dred"))
        {
            Assert.StartsWith("unable to list payments -- malformed parameter 'query', syntax error at column 1: unknown index 'colour'",
                await TextAsync(unknown, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
        foreach (var parameter in new[] { "limit=-1", "limit=ten", "offset=1.5", "lang=english", "facets=colour", "totalRecords=some" })
        {
            using var bad = await admin.GetAsync("/payments?" + parameter);
            Assert.StartsWith("unable to list payments -- malformed parameter", await TextAsync(bad, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
        using var lang = await admin.GetAsync("/payments?lang=en&totalRecords=exact&orderBy=nameMethod&order=asc");
        await JsonAsync(lang, HttpStatusCode.OK, FolioSchemas.PaymentCollection);
    }

    [Fact]
    public async Task Missing_records_and_credentials_answer_in_FOLIOs_text()
    {
        var admin = await fiscus.AdminAsync();
        foreach (var id in new[] { Guid.NewGuid().ToString(), "not-a-uuid" })
        {
            using var get = await admin.GetAsync($"/payments/{id}");
            Assert.Equal("payment not found", await TextAsync(get, HttpStatusCode.NotFound));
            using var put = await admin.PutAsync($"/payments/{id}", Body("""{"nameMethod": "x"}"""));
            Assert.Equal("payment not found", await TextAsync(put, HttpStatusCode.NotFound));
            using var delete = await admin.DeleteAsync($"/payments/{id}");
            Assert.Equal("payment not found", await TextAsync(delete, HttpStatusCode.NotFound));
        }
        var anonymous = fiscus.Anonymous();
        using (var list = await anonymous.GetAsync("/payments"))
        {
            Assert.Equal("unable to list payments -- unauthorized", await TextAsync(list, HttpStatusCode.Unauthorized));
        }
        using (var create = await anonymous.PostAsync("/payments", Body(SeedBody)))
        {
            Assert.Equal("unable to create payments -- unauthorized", await TextAsync(create, HttpStatusCode.Unauthorized));
        }
        // FOLIO clients send their token as X-Okapi-Token.
        var okapi = fiscus.Anonymous();
        okapi.DefaultRequestHeaders.Add("X-Okapi-Token", await fiscus.LoginAsync("admin", FiscusFactory.AdminPassword));
        okapi.DefaultRequestHeaders.Add("X-Okapi-Tenant", "diku");
        using var viaOkapi = await okapi.GetAsync("/payments?limit=1");
        await JsonAsync(viaOkapi, HttpStatusCode.OK, FolioSchemas.PaymentCollection);
        // A cashier may read, not write.
        var cashier = await fiscus.StaffAsync("cashier");
        using (var read = await cashier.Http.GetAsync("/payments"))
        {
            await JsonAsync(read, HttpStatusCode.OK, FolioSchemas.PaymentCollection);
        }
        using var write = await cashier.Http.PostAsync("/payments", Body("""{"nameMethod": "Cashier's own"}"""));
        Assert.StartsWith("unable to add payment -- ", await TextAsync(write, HttpStatusCode.Forbidden), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stale_version_is_409_and_a_used_or_system_method_cannot_be_deleted()
    {
        var admin = await fiscus.AdminAsync();
        var method = await CreateAsync("Store card");
        var id = method["id"]!.GetValue<string>();
        using var read = await admin.GetAsync($"/payments/{id}");
        var etag = read.Headers.ETag!.Tag;

        var first = new HttpRequestMessage(HttpMethod.Put, $"/payments/{id}") { Content = Body("""{"nameMethod": "Store card (old)"}""") };
        first.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
        using (var ok = await admin.SendAsync(first))
        {
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        }
        var second = new HttpRequestMessage(HttpMethod.Put, $"/payments/{id}") { Content = Body("""{"nameMethod": "Store card (new)"}""") };
        second.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
        using (var stale = await admin.SendAsync(second))
        {
            Assert.Equal("version conflict", await TextAsync(stale, HttpStatusCode.Conflict));
        }
        var staleDelete = new HttpRequestMessage(HttpMethod.Delete, $"/payments/{id}");
        staleDelete.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
        using (var conflict = await admin.SendAsync(staleDelete))
        {
            Assert.Equal("version conflict", await TextAsync(conflict, HttpStatusCode.Conflict));
        }

        // Used by the ledger: the name of how it was paid must stay.
        var code = await fiscus.ScalarAsync<string>("SELECT code FROM payment_types WHERE payment_type_uuid = @id", new { id = Guid.Parse(id) });
        await fiscus.SellAsync(await fiscus.RegisterAsync(), 1m, "PRINT", code);
        using (var used = await admin.DeleteAsync($"/payments/{id}"))
        {
            Assert.Equal("unable to delete payment -- constraint violation", await TextAsync(used, HttpStatusCode.BadRequest));
        }
        var cash = await fiscus.ScalarAsync<Guid>("SELECT payment_type_uuid FROM payment_types WHERE code = 'CASH'");
        using (var system = await admin.DeleteAsync($"/payments/{cash}"))
        {
            Assert.StartsWith("unable to delete payment -- ", await TextAsync(system, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types WHERE payment_type_uuid = @id", new { id = Guid.Parse(id) }));
    }

    [Fact]
    public async Task Owners_are_recorded_and_mapped_to_libraries()
    {
        var owner = Guid.NewGuid();
        await CreateAsync("Owner's till", owner.ToString());
        var admin = await fiscus.AdminAsync();
        using (var listed = await admin.GetAsync($"/api/v1/fee_fine_owners/{owner}"))
        {
            var recorded = await listed.ExpectAsync(HttpStatusCode.OK);
            Assert.Empty(recorded["library_ids"]!.AsArray());
        }
        using (var library = await admin.PostAsync("/api/v1/libraries", Json.Body(new { library_id = "BRANCH9", name = "Branch nine", time_zone = "UTC" })))
        {
            await library.ExpectAsync(HttpStatusCode.Created);
        }
        using (var assigned = await admin.PutAsync($"/api/v1/fee_fine_owners/{owner}", Json.Body(new { name = "North branches", library_ids = new[] { "BRANCH9", "MAIN" } })))
        {
            var body = await assigned.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(["BRANCH9", "MAIN"], body["library_ids"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray());
        }
        using (var group = await admin.PostAsync("/api/v1/fee_fine_owners", Json.Body(new { name = "South", library_ids = new[] { "MAIN" } })))
        {
            await group.ExpectProblemAsync(HttpStatusCode.Conflict, "library_has_owner");
        }

        // The list pages like every native list, each owner with its libraries.
        using (var other = await admin.PostAsync("/api/v1/fee_fine_owners", Json.Body(new { name = fiscus.Unique("Elsewhere "), library_ids = Array.Empty<string>() })))
        {
            await other.ExpectAsync(HttpStatusCode.Created);
        }
        using var page = await admin.GetAsync("/api/v1/fee_fine_owners?_per_page=1");
        var first = Assert.Single((await page.ExpectAsync(HttpStatusCode.OK)).AsArray())!;
        var total = await fiscus.ScalarAsync<long>("SELECT count(*) FROM fee_fine_owners");
        Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), page.Headers.GetValues("X-Total-Count").Single());
        Assert.Contains("rel=\"next\"", page.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        using var all = await admin.GetAsync("/api/v1/fee_fine_owners?_per_page=-1");
        var north = Assert.Single((await all.ExpectAsync(HttpStatusCode.OK)).AsArray(), o => o!["name"]!.GetValue<string>() == "North branches")!;
        Assert.Equal(["BRANCH9", "MAIN"], north["library_ids"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray());
        Assert.NotNull(first["owner_id"]);
    }
}
