using Dapper;
using System.Net.Http.Headers;

namespace Fiscus.Server.Tests;

/// <summary>
/// <c>/payments</c> under concurrency and hostile input: requests racing each other (and the ledger) end in
/// FOLIO's answers, never a 500, and a refused request leaves nothing written.
/// </summary>
public sealed class FolioPaymentsRaceTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static async Task<(int Status, string Text)> SendAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    Task<(int Status, string Text)> PostAsync(HttpClient client, JsonObject body) => SendAsync(client.PostAsync("/payments", Json.Raw(body.ToJsonString())));

    static ByteArrayContent Bytes(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    [Theory]
    [InlineData("""{"nameMethod":"\ud800x"}""")]
    [InlineData("""{"\ud800":1,"nameMethod":"Fine"}""")]
    [InlineData("""{"nameMethod":"Fine","ownerId":"\udc00"}""")]
    [InlineData("""{"nameMethod":"Fine","metadata":{"createdDate":"\udc00"}}""")]
    [InlineData("""{"nameMethod":"Fine","x":["a",{"b":"\udfff"}]}""")]
    public async Task Lone_surrogate_escapes_are_400_malformed_json(string json)
    {
        var before = await fiscus.ScalarAsync<long>("SELECT count(*) FROM payment_types");

        using var response = await (await fiscus.AdminAsync()).PostAsync("/payments", Json.Raw(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("unable to add payment -- malformed JSON", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await fiscus.ScalarAsync<long>("SELECT count(*) FROM payment_types"));
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF8_are_400_malformed_json_on_post_and_put()
    {
        var admin = await fiscus.AdminAsync();
        byte[] body = [.. "{\"nameMethod\":\"A"u8.ToArray(), 0xff, 0xfe, .. "\"}"u8.ToArray()];

        using var post = await admin.PostAsync("/payments", Bytes(body));
        using var put = await admin.PutAsync("/payments/0bab56e5-1ab6-4ac2-afdf-8b2df0434382", Bytes(body));

        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Contains("malformed JSON", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
    }

    [Fact]
    public async Task The_same_name_for_different_owners_created_at_once_all_succeed_with_their_own_codes()
    {
        var admin = await fiscus.AdminAsync();
        var name = fiscus.Unique("Gift voucher ");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            PostAsync(admin, new JsonObject { ["nameMethod"] = name, ["ownerId"] = Guid.NewGuid().ToString() })));

        Assert.All(results, r => Assert.True(r.Status == 201, r.Text));
        var codes = await fiscus.QueryAsync<string>("SELECT code FROM payment_types WHERE description = @name", new { name });
        Assert.Equal(8, codes.Distinct().Count());
    }

    [Fact]
    public async Task The_same_name_for_one_owner_created_at_once_with_different_accents_wins_once()
    {
        var admin = await fiscus.AdminAsync();
        var owner = Guid.NewGuid().ToString();
        var stem = fiscus.Unique("Cheque ");
        string[] spellings = [stem, stem.Replace("e", "é", StringComparison.Ordinal), stem.ToUpperInvariant(), stem.Replace("C", "c", StringComparison.Ordinal)];

        var results = await Task.WhenAll(spellings.Select(s => PostAsync(admin, new JsonObject { ["nameMethod"] = s, ["ownerId"] = owner })));

        Assert.Single(results, r => r.Status == 201);
        foreach (var refused in results.Where(r => r.Status != 201))
        {
            Assert.Equal(422, refused.Status);
            await FolioSchemas.AssertValidAsync(FolioSchemas.Errors, refused.Text);
            Assert.Equal("nameMethod", JsonNode.Parse(refused.Text)!["errors"]![0]!["parameters"]![0]!["key"]!.GetValue<string>());
        }
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types WHERE owner_id = @owner::uuid", new { owner }));
    }

    [Fact]
    public async Task The_same_id_posted_at_once_is_created_once_and_refused_as_a_duplicate_id()
    {
        var admin = await fiscus.AdminAsync();
        var id = Guid.NewGuid().ToString();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            PostAsync(admin, new JsonObject { ["nameMethod"] = fiscus.Unique("Same id "), ["id"] = id })));

        Assert.Single(results, r => r.Status == 201);
        // mod-feesfines' answer to a taken id: 400 text, whether the check or the database's unique index caught it.
        foreach (var refused in results.Where(r => r.Status != 201))
        {
            Assert.True(refused.Status == 400, refused.Text);
            Assert.StartsWith($"Unable to process request -- a payment method with id {id} already exists", refused.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Deleting_a_method_while_it_is_paid_with_ends_one_way_or_the_other()
    {
        var admin = await fiscus.AdminAsync();
        var patron = await fiscus.PatronAsync();
        var outcomes = new List<string>();
        for (var round = 0; round < 25; round++)
        {
            var (_, text) = await PostAsync(admin, new JsonObject { ["nameMethod"] = fiscus.Unique("Racing ") });
            var id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
            var code = await fiscus.ScalarAsync<string>("SELECT code FROM payment_types WHERE payment_type_uuid = @id::uuid", new { id });

            var pay = Task.Run(() => SendAsync(admin.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                Json.Raw($$"""{"amount": 1.00, "payment_type": "{{code}}"}"""))));
            var delete = Task.Run(() => SendAsync(admin.DeleteAsync($"/payments/{id}")));
            var (paid, deleted) = (await pay, await delete);

            // Either the money came first (and the method stays, used) or the delete did (and the payment names nothing).
            var outcome = (paid.Status, deleted.Status) switch
            {
                (201, 400) when deleted.Text.Contains("constraint violation", StringComparison.Ordinal) => "paid",
                (400, 204) when paid.Text.Contains("unknown_payment_type", StringComparison.Ordinal) => "deleted",
                _ => $"pay {paid.Status} {paid.Text} / delete {deleted.Status} {deleted.Text}",
            };
            Assert.True(outcome is "paid" or "deleted", outcome);
            outcomes.Add(outcome);
            var lines = await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE payment_type = @code", new { code });
            Assert.Equal(outcome == "paid" ? 1 : 0, lines);
        }
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Renaming_and_archiving_do_not_wait_for_payments_in_flight()
    {
        var admin = await fiscus.AdminAsync();
        var (_, text) = await PostAsync(admin, new JsonObject { ["nameMethod"] = fiscus.Unique("Busy ") });
        var id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
        var code = await fiscus.ScalarAsync<string>("SELECT code FROM payment_types WHERE payment_type_uuid = @id::uuid", new { id });

        // A payment in flight holds the key share lock the ledger takes on the type it pays with.
        await using var payment = await fiscus.Db.OpenConnectionAsync();
        await using var inFlight = await payment.BeginTransactionAsync();
        await payment.ExecuteAsync("SELECT 1 FROM payment_types WHERE code = @code FOR KEY SHARE", new { code }, inFlight);

        async Task<int> Within(Func<Task<HttpResponseMessage>> request)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var call = request();
            Assert.True(await Task.WhenAny(call, Task.Delay(Timeout.Infinite, timeout.Token).ContinueWith(_ => { })) == call,
                "the change waited for the payment in flight");
            using var response = await call;
            return (int)response.StatusCode;
        }
        Assert.Equal(204, await Within(() => admin.PutAsync($"/payments/{id}", Json.Raw(new JsonObject { ["nameMethod"] = fiscus.Unique("Renamed ") }.ToJsonString()))));
        Assert.Equal(200, await Within(() => admin.PutAsync($"/api/v1/payment_types/{code}", Json.Raw($$"""{"description": "{{fiscus.Unique("Native ")}}"}"""))));
        Assert.Equal(200, await Within(() => admin.PostAsync($"/api/v1/payment_types/{code}/archive", Json.Raw("{}"))));
        await inFlight.RollbackAsync();
    }

    [Fact]
    public async Task A_method_the_Polaris_dialect_pays_with_cannot_be_deleted()
    {
        var card = await fiscus.ScalarAsync<Guid>("SELECT payment_type_uuid FROM payment_types WHERE code = 'CARD'");

        var (status, text) = await SendAsync((await fiscus.AdminAsync()).DeleteAsync($"/payments/{card}"));

        Assert.Equal(400, status);
        Assert.Equal("unable to delete payment -- constraint violation: FISCUS_POLARIS_PAYMENT_METHODS pays with 'CARD'", text);
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM payment_types WHERE code = 'CARD'"));
    }

    [Fact]
    public async Task An_owner_already_named_like_the_placeholder_does_not_stop_a_new_method()
    {
        var admin = await fiscus.AdminAsync();
        var folioOwner = Guid.NewGuid();
        // The placeholder and the next 20 numbered ones are taken (by hand, or by mischief).
        for (var n = 1; n <= 21; n++)
        {
            var name = n == 1 ? $"FOLIO owner {folioOwner}" : $"folio OWNER {folioOwner} ({n})";
            using var owner = await admin.PostAsync("/api/v1/fee_fine_owners", Json.Raw($$"""{"name": "{{name}}", "library_ids": []}"""));
            await owner.ExpectAsync(HttpStatusCode.Created);
        }

        var (status, text) = await PostAsync(admin, new JsonObject { ["nameMethod"] = "Voucher", ["ownerId"] = folioOwner.ToString() });

        Assert.True(status == 201, text);
        Assert.Equal($"FOLIO owner {folioOwner} (22)",
            await fiscus.ScalarAsync<string>("SELECT name FROM fee_fine_owners WHERE owner_id = @folioOwner", new { folioOwner }));
        // Recorded by the FOLIO request, so audited as its write.
        Assert.Equal($"FOLIO owner {folioOwner} (22)", await fiscus.ScalarAsync<string>("""
            SELECT details->>'name' FROM audit_log WHERE action = 'fee_fine_owner.create' AND entity_id = @id AND details->>'via' = 'folio'
            """, new { id = folioOwner.ToString() }));
    }

    [Fact]
    public async Task A_refused_owner_create_or_update_leaves_nothing_written()
    {
        var admin = await fiscus.AdminAsync();
        var id = Guid.NewGuid();
        var name = fiscus.Unique("Owner ");

        using (var refused = await admin.PostAsync("/api/v1/fee_fine_owners", Json.Raw($$"""{"name": "{{name}}", "library_ids": ["NOPE"], "owner_id": "{{id}}"}""")))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_library");
        }
        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM fee_fine_owners WHERE owner_id = @id", new { id }));

        using (var created = await admin.PostAsync("/api/v1/fee_fine_owners", Json.Raw($$"""{"name": "{{name}}", "library_ids": [], "owner_id": "{{id}}"}""")))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        using (var refused = await admin.PutAsync($"/api/v1/fee_fine_owners/{id}", Json.Raw("""{"name": "Renamed", "library_ids": ["NOPE"]}""")))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.BadRequest, "unknown_library");
        }
        Assert.Equal(name, await fiscus.ScalarAsync<string>("SELECT name FROM fee_fine_owners WHERE owner_id = @id", new { id }));
    }

    [Fact]
    public async Task Archived_types_are_not_offered_to_FOLIO_clients_but_can_still_be_read()
    {
        var admin = await fiscus.AdminAsync();
        var name = fiscus.Unique("Retired ");
        var (_, text) = await PostAsync(admin, new JsonObject { ["nameMethod"] = name });
        var id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
        var code = await fiscus.ScalarAsync<string>("SELECT code FROM payment_types WHERE payment_type_uuid = @id::uuid", new { id });
        using (var archived = await admin.PostAsync($"/api/v1/payment_types/{code}/archive", Json.Raw("{}")))
        {
            await archived.ExpectAsync(HttpStatusCode.OK);
        }

        using var list = await admin.GetAsync("/payments?limit=2000&query=" + Uri.EscapeDataString($"nameMethod==\"{name}\" or cql.allRecords=1"));
        var body = await list.ExpectAsync(HttpStatusCode.OK);
        using var one = await admin.GetAsync($"/payments/{id}");

        Assert.DoesNotContain(body["payments"]!.AsArray(), p => p!["id"]!.GetValue<string>() == id);
        Assert.Equal(body["payments"]!.AsArray().Count, body["totalRecords"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);

        // It keeps its name: a FOLIO client that cannot see it is told where it is.
        var (status, refused) = await PostAsync(admin, new JsonObject { ["nameMethod"] = name });
        Assert.Equal(422, status);
        Assert.Contains($"archived; unarchive it at /api/v1/payment_types/{code}/unarchive", refused, StringComparison.Ordinal);
    }
}
