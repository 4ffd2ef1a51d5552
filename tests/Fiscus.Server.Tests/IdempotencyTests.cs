using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests;

/// <summary>Idempotency-Key semantics on every money-writing request.</summary>
public sealed class IdempotencyTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static HttpRequestMessage Post(string path, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Body(body) };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }
        return request;
    }

    public static TheoryData<string> MoneyEndpoints => new()
    {
        "debits", "credits", "payments",
    };

    static object BodyFor(string endpoint) => endpoint switch
    {
        "debits" => new { amount = 4.25m, type = "MANUAL" },
        "credits" => new { amount = 4.25m, payment_type = "CARD" },
        _ => new { debit_type = "COPY", amount = 4.25m, payment_type = "CARD" },
    };

    [Theory]
    [MemberData(nameof(MoneyEndpoints))]
    public async Task A_replay_returns_the_original_answer_and_writes_nothing(string endpoint)
    {
        var patron = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var path = $"/api/v1/patrons/{patron}/account/{endpoint}";
        var key = Guid.NewGuid().ToString();

        using var first = await cashier.SendAsync(Post(path, BodyFor(endpoint), key));
        var lines = await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron });
        using var replay = await cashier.SendAsync(Post(path, BodyFor(endpoint), key));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(first.StatusCode, replay.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, replay.Headers.Location);
        Assert.False(first.Headers.Contains("Idempotency-Replayed"));
        Assert.Equal("true", replay.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(lines, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
    }

    [Fact]
    public async Task The_same_key_with_a_different_request_is_422()
    {
        var patron = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var key = Guid.NewGuid().ToString();
        using var first = await cashier.SendAsync(Post($"/api/v1/patrons/{patron}/account/debits", new { amount = 1m, type = "MANUAL" }, key));
        await first.ExpectAsync(HttpStatusCode.Created);

        using var otherAmount = await cashier.SendAsync(Post($"/api/v1/patrons/{patron}/account/debits", new { amount = 2m, type = "MANUAL" }, key));
        using var otherPath = await cashier.SendAsync(Post($"/api/v1/patrons/{patron}/account/credits", new { amount = 1m }, key));

        await otherAmount.ExpectProblemAsync((HttpStatusCode)422, "idempotency_key_reused");
        await otherPath.ExpectProblemAsync((HttpStatusCode)422, "idempotency_key_reused");
    }

    [Fact]
    public async Task Keys_belong_to_the_caller()
    {
        var patron = await fiscus.PatronAsync();
        var key = Guid.NewGuid().ToString();
        var a = await fiscus.UserAsync("cashier");
        var b = await fiscus.UserAsync("cashier");

        using var first = await a.Http.SendAsync(Post($"/api/v1/patrons/{patron}/account/debits", new { amount = 1m, type = "MANUAL" }, key));
        using var second = await b.Http.SendAsync(Post($"/api/v1/patrons/{patron}/account/debits", new { amount = 1m, type = "MANUAL" }, key));

        await first.ExpectAsync(HttpStatusCode.Created);
        await second.ExpectAsync(HttpStatusCode.Created);
        Assert.False(second.Headers.Contains("Idempotency-Replayed"));
        Assert.Equal(2m, await fiscus.BalanceAsync(patron));
    }

    [Theory]
    [InlineData("too long")]
    [InlineData("sent twice")]
    public async Task A_key_is_one_value_of_1_to_255_characters(string what)
    {
        var patron = await fiscus.PatronAsync();
        var request = Post($"/api/v1/patrons/{patron}/account/debits", new { amount = 1m, type = "MANUAL" },
            what == "too long" ? new string('k', 256) : "first");
        if (what == "sent twice")
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", "second");
        }

        using var response = await (await fiscus.StaffAsync("cashier")).Http.SendAsync(request);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_idempotency_key");
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task The_longest_key_and_external_id_work_and_replay()
    {
        var patron = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var path = $"/api/v1/patrons/{patron}/account/payments";
        var key = new string('k', 255);
        var body = new { debit_type = "COPY", amount = 1m, payment_type = "CARD", external_id = new string('e', 255) };

        using var first = await cashier.SendAsync(Post(path, body, key));
        using var replay = await cashier.SendAsync(Post(path, body, key));
        using var byExternalId = await cashier.SendAsync(Post(path, body, null));

        await first.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("true", replay.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal("true", byExternalId.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
        Assert.Equal(2, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
    }

    [Fact]
    public async Task A_refused_request_stores_nothing_so_the_key_works_once_the_problem_is_fixed()
    {
        var patron = await fiscus.PatronAsync(secured: true);
        var admin = await fiscus.AdminAsync();
        var key = Guid.NewGuid().ToString();
        using (var refused = await admin.SendAsync(Post($"/api/v1/patrons/{patron}/account/payments",
            new { debit_type = "PRINT", amount = 1m, payment_type = "CARD" }, key)))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.Conflict, "patron_secured");
        }
        using (var unsecure = await admin.PutAsync($"/api/v1/patrons/{patron}", Json.Body(new
        {
            cardnumber = await fiscus.ScalarAsync<string>("SELECT cardnumber FROM patrons WHERE patron_id = @patron", new { patron }),
            surname = "Unsecured", library_id = "MAIN", secured = false,
        })))
        {
            await unsecure.ExpectAsync(HttpStatusCode.OK);
        }

        using var retry = await admin.SendAsync(Post($"/api/v1/patrons/{patron}/account/payments",
            new { debit_type = "PRINT", amount = 1m, payment_type = "CARD" }, key));

        await retry.ExpectAsync(HttpStatusCode.Created);
        Assert.False(retry.Headers.Contains("Idempotency-Replayed"));
    }

    [Fact]
    public async Task Fifty_racing_replays_of_one_key_write_once_and_all_get_the_same_answer()
    {
        var patron = await fiscus.PatronAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"], cashRegisterId: 1);
        var key = Guid.NewGuid().ToString();
        var body = new { debit_type = "PRINT", amount = 7.77m, payment_type = "CASH" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            kiosk.Http.SendAsync(Post($"/api/v1/patrons/{patron}/account/payments", body, key))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
        Assert.Equal(49, responses.Count(r => r.Headers.Contains("Idempotency-Replayed")));
        Assert.Equal(2, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task A_key_is_kept_24_hours_and_then_swept_away()
    {
        var patron = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var key = Guid.NewGuid().ToString();
        using (var first = await cashier.SendAsync(Post($"/api/v1/patrons/{patron}/account/debits", new { amount = 1m, type = "MANUAL" }, key)))
        {
            await first.ExpectAsync(HttpStatusCode.Created);
        }
        var maintenance = fiscus.Factory.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Startup.Maintenance>().Single();

        fiscus.Clock.Advance(TimeSpan.FromHours(23));
        await maintenance.SweepAsync(CancellationToken.None);
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM idempotency_keys WHERE key = @k", new { k = "key:" + key }));

        fiscus.Clock.Advance(TimeSpan.FromHours(2));
        try
        {
            await maintenance.SweepAsync(CancellationToken.None);
            Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM idempotency_keys WHERE key = @k", new { k = "key:" + key }));
        }
        finally
        {
            fiscus.Clock.Advance(TimeSpan.FromHours(-25));
        }
    }
}
