using static Fiscus.Server.Tests.Infrastructure.FolioAnswers;

namespace Fiscus.Server.Tests;

/// <summary>
/// mod-feesfines' <c>/owners</c>, read-only: what FOLIO's payment method settings ask for to offer owners,
/// validated against FOLIO's own <c>ownerdata</c> schemas.
/// </summary>
public sealed class FolioOwnersTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static async Task<JsonNode> ValidAsync(HttpResponseMessage response, string schema) => (await JsonAsync(response, HttpStatusCode.OK, schema)).Body;

    [Fact]
    public async Task FOLIOs_settings_query_lists_every_owner_sorted_with_an_exact_total()
    {
        var admin = await fiscus.AdminAsync();
        // One managed in Fiscus, one recorded because a FOLIO client filed a payment method under it.
        using (var created = await admin.PostAsync("/api/v1/fee_fine_owners", Json.Raw("""{"name": "Main Circ", "library_ids": ["MAIN"]}""")))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var folioOwner = Guid.NewGuid().ToString();
        using (var method = await admin.PostAsync("/payments", Json.Raw($$"""{"nameMethod": "Voucher", "ownerId": "{{folioOwner}}"}""")))
        {
            await method.ExpectAsync(HttpStatusCode.Created);
        }
        var expected = await fiscus.QueryAsync<string>("SELECT name FROM fee_fine_owners");

        using var response = await admin.GetAsync("/owners?query=" + Uri.EscapeDataString("cql.allRecords=1 sortby owner") + "&limit=2000");

        var body = await ValidAsync(response, FolioSchemas.OwnerCollection);
        var names = body["owners"]!.AsArray().Select(o => o!["owner"]!.GetValue<string>()).ToArray();
        Assert.Equal(expected.Count, body["totalRecords"]!.GetValue<int>());
        Assert.Equal(expected.Order(StringComparer.OrdinalIgnoreCase), names);
        Assert.Contains("Main Circ", names);
        Assert.Contains($"FOLIO owner {folioOwner}", names);
    }

    [Fact]
    public async Task Owners_are_found_by_CQL_and_by_id_and_paged_exactly()
    {
        var admin = await fiscus.AdminAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var created = await admin.PostAsync("/api/v1/fee_fine_owners", Json.Raw($$"""{"name": "Paged déсk {{i}}", "library_ids": []}"""));
            ids.Add((await created.ExpectAsync(HttpStatusCode.Created))["owner_id"]!.GetValue<string>());
        }

        var seen = new List<string>();
        for (var offset = 0; offset < 6; offset += 2)
        {
            using var page = await admin.GetAsync($"/owners?offset={offset}&limit=2&query=" + Uri.EscapeDataString("owner=paged sortby owner/sort.descending"));
            var body = await ValidAsync(page, FolioSchemas.OwnerCollection);
            Assert.Equal(5, body["totalRecords"]!.GetValue<int>());
            seen.AddRange(body["owners"]!.AsArray().Select(o => o!["id"]!.GetValue<string>()));
        }
        Assert.Equal(Enumerable.Reverse(ids), seen);

        using var one = await admin.GetAsync($"/owners/{ids[2]}");
        var owner = await ValidAsync(one, FolioSchemas.Owner);
        Assert.Equal("Paged déсk 2", owner["owner"]!.GetValue<string>());
        using var byId = await admin.GetAsync("/owners?query=" + Uri.EscapeDataString($"id=={ids[4]}"));
        Assert.Equal("Paged déсk 4", (await ValidAsync(byId, FolioSchemas.OwnerCollection))["owners"]![0]!["owner"]!.GetValue<string>());
    }

    [Fact]
    public async Task Errors_answer_in_FOLIOs_text()
    {
        var admin = await fiscus.AdminAsync();
        foreach (var id in new[] { Guid.NewGuid().ToString(), "not-a-uuid" })
        {
            using var missing = await admin.GetAsync($"/owners/{id}");
            Assert.Equal("owner not found", await TextAsync(missing, HttpStatusCode.NotFound));
        }
        using (var bad = await admin.GetAsync("/owners?query=" + Uri.EscapeDataString("owner==(")))
        {
            Assert.StartsWith("unable to list owners -- malformed parameter 'query', syntax error at column 9: the query ends",
                await TextAsync(bad, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
        using (var unknown = await admin.GetAsync("/owners?query=servicePointOwner=x"))
        {
            Assert.Contains("unknown index 'servicePointOwner'", await TextAsync(unknown, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
        using (var limit = await admin.GetAsync("/owners?limit=-1"))
        {
            Assert.Contains("malformed parameter 'limit'", await TextAsync(limit, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        }
        using (var anonymous = await fiscus.Anonymous().GetAsync("/owners"))
        {
            Assert.Equal("unable to list owners -- unauthorized", await TextAsync(anonymous, HttpStatusCode.Unauthorized));
        }
        var kiosk = await fiscus.ClientAsync(["payments:write"]);
        using (var forbidden = await kiosk.Http.GetAsync("/owners"))
        {
            Assert.StartsWith("unable to list owners -- ", await TextAsync(forbidden, HttpStatusCode.Forbidden), StringComparison.Ordinal);
        }
        // Read-only: owners are managed at /api/v1/fee_fine_owners, where they get their libraries.
        using var post = await admin.PostAsync("/owners", Json.Raw("""{"owner": "New"}"""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }
}
