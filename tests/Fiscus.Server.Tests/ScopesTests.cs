namespace Fiscus.Server.Tests;

/// <summary>The scope catalogue says what the rules on granting scopes do, for any screen that offers them.</summary>
public sealed class ScopesTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task The_catalogue_lists_every_scope_with_its_roles_and_who_may_be_granted_it()
    {
        var cashier = await fiscus.StaffAsync("cashier");

        using var response = await cashier.Http.GetAsync("/api/v1/scopes");

        var scopes = (await response.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(["scope", "allows", "roles", "staff_only", "installation_wide"], scopes[0].Select(p => p.Key));
        Assert.Equal(18, scopes.Count);
        JsonObject Scope(string name) => scopes.Single(s => s["scope"]!.GetValue<string>() == name);
        Assert.Equal(["cashier", "manager", "admin"], Scope("sales:write")["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["manager", "admin"], Scope("reference:write")["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["admin"], Scope("clients:write")["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["clients:write", "shifts:write", "users:write"],
            scopes.Where(s => s["staff_only"]!.GetValue<bool>()).Select(s => s["scope"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(["manager", "admin"], Scope("audit:read")["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["admin"], Scope("metrics:read")["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["audit:read", "libraries:write", "metrics:read", "reference:write", "registers:write"],
            scopes.Where(s => s["installation_wide"]!.GetValue<bool>()).Select(s => s["scope"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(scopes, s => Assert.False(string.IsNullOrWhiteSpace(s["allows"]!.GetValue<string>())));
    }

    [Fact]
    public async Task What_the_catalogue_says_is_what_client_administration_enforces()
    {
        var admin = await fiscus.AdminAsync();
        using var response = await admin.GetAsync("/api/v1/scopes");
        var scopes = (await response.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(s => s!.AsObject()).ToList();

        foreach (var scope in scopes)
        {
            var name = scope["scope"]!.GetValue<string>();
            using var unbound = await admin.PostAsync("/api/v1/clients", Json.Body(new { name = fiscus.Unique("Catalogue "), scopes = new[] { name } }));
            Assert.True(unbound.StatusCode == (scope["staff_only"]!.GetValue<bool>() ? HttpStatusCode.BadRequest : HttpStatusCode.Created),
                $"{name} unbound: {(int)unbound.StatusCode}");
            using var bound = await admin.PostAsync("/api/v1/clients",
                Json.Body(new { name = fiscus.Unique("Catalogue "), scopes = new[] { name }, cash_register_id = 1 }));
            var refused = scope["staff_only"]!.GetValue<bool>() || scope["installation_wide"]!.GetValue<bool>();
            Assert.True(bound.StatusCode == (refused ? HttpStatusCode.BadRequest : HttpStatusCode.Created), $"{name} bound: {(int)bound.StatusCode}");
        }
    }
}
