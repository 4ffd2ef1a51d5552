namespace Fiscus.Server.Tests;

public sealed class ClientsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task A_new_client_shows_its_secret_once()
    {
        var admin = await fiscus.AdminAsync();

        using var created = await admin.PostAsync("/api/v1/clients", Json.Body(new { name = fiscus.Unique("Kiosk "), scopes = new[] { "sales:write", "registers:read" } }));
        var client = await created.ExpectAsync(HttpStatusCode.Created);
        var clientId = client["client_id"]!.GetValue<string>();
        Assert.StartsWith("fss_", client["client_secret"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["registers:read", "sales:write"], client["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));

        using var fetched = await admin.GetAsync($"/api/v1/clients/{clientId}");
        var again = await fetched.ExpectAsync(HttpStatusCode.OK);
        Assert.Null(again["client_secret"]);
        using var list = await admin.GetAsync("/api/v1/clients");
        Assert.DoesNotContain("client_secret", (await list.ExpectAsync(HttpStatusCode.OK)).ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("users:write")]
    [InlineData("clients:write")]
    public async Task Staff_only_scopes_cannot_be_granted_to_a_client(string scope)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/clients",
            Json.Body(new { name = fiscus.Unique("Escalate "), scopes = new[] { "registers:read", scope } }));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains(scope, problem["errors"]!["scopes"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name": "No scopes", "scopes": []}""", "scopes")]
    [InlineData("""{"name": "Bad scope", "scopes": ["everything"]}""", "scopes")]
    [InlineData("""{"name": "", "scopes": ["sales:write"]}""", "name")]
    [InlineData("""{"name": "Ghost register", "scopes": ["sales:write"], "cash_register_id": 424242}""", "cash_register_id")]
    [InlineData("""{"name": "Ghost library", "scopes": ["sales:write"], "library_id": "NOPE"}""", "library_id")]
    [InlineData("""{"name": "Split binding", "scopes": ["sales:write"], "cash_register_id": 1, "library_id": "ELSE"}""", "library_id")]
    public async Task Invalid_clients_are_400_naming_the_field(string body, string field)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/clients", Json.Raw(body));

        var problem = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Fact]
    public async Task Client_names_are_unique()
    {
        var name = fiscus.Unique("Twin ");
        var admin = await fiscus.AdminAsync();
        using var first = await admin.PostAsync("/api/v1/clients", Json.Body(new { name, scopes = new[] { "sales:write" } }));
        await first.ExpectAsync(HttpStatusCode.Created);

        using var second = await admin.PostAsync("/api/v1/clients", Json.Body(new { name = name.ToUpperInvariant(), scopes = new[] { "sales:write" } }));

        await second.ExpectProblemAsync(HttpStatusCode.Conflict, "client_name_taken");
    }

    [Fact]
    public async Task Changing_a_clients_scopes_applies_to_its_live_tokens()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);
        using (var before = await client.Http.GetAsync("/api/v1/debit_types"))
        {
            await before.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        using var update = await (await fiscus.AdminAsync()).PutAsync($"/api/v1/clients/{client.ClientId}",
            Json.Body(new { name = fiscus.Unique("Renamed "), scopes = new[] { "registers:read", "reference:read" } }));
        await update.ExpectAsync(HttpStatusCode.OK);

        using var after = await client.Http.GetAsync("/api/v1/debit_types");
        await after.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Unknown_clients_are_404()
    {
        var admin = await fiscus.AdminAsync();

        using var get = await admin.GetAsync("/api/v1/clients/nope");
        using var secret = await admin.PostAsync("/api/v1/clients/nope/secret", null);
        using var disable = await admin.PostAsync("/api/v1/clients/nope/disable", null);

        await get.ExpectProblemAsync(HttpStatusCode.NotFound, "client_not_found");
        await secret.ExpectProblemAsync(HttpStatusCode.NotFound, "client_not_found");
        await disable.ExpectProblemAsync(HttpStatusCode.NotFound, "client_not_found");
    }
}
