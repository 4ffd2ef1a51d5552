namespace Fiscus.Server.Tests;

/// <summary>
/// The acceptance path, step by step as a new library would take it: the admin signs in, creates a
/// cashier and a kiosk client; the cashier signs in; the kiosk gets a token and reads the registers.
/// </summary>
public sealed class FirstRunJourneyTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task The_admin_sets_up_a_cashier_and_a_kiosk_that_reads_the_registers()
    {
        var anonymous = fiscus.Anonymous();
        using var login = await anonymous.PostAsync("/api/v1/auth/login", Json.Body(new { username = "admin", password = FiscusFactory.AdminPassword }));
        var admin = fiscus.WithBearer((await login.ExpectAsync(HttpStatusCode.OK))["access_token"]!.GetValue<string>());

        using var cashier = await admin.PostAsync("/api/v1/users",
            Json.Body(new { username = "casey", password = "early-counter-shift-1", role = "cashier", library_id = "MAIN" }));
        await cashier.ExpectAsync(HttpStatusCode.Created);
        using var cashierLogin = await anonymous.PostAsync("/api/v1/auth/login", Json.Body(new { username = "casey", password = "early-counter-shift-1" }));
        await cashierLogin.ExpectAsync(HttpStatusCode.OK);

        using var kiosk = await admin.PostAsync("/api/v1/clients",
            Json.Body(new { name = "Lobby kiosk", scopes = new[] { "registers:read", "sales:write", "payments:write" } }));
        var credentials = await kiosk.ExpectAsync(HttpStatusCode.Created);
        using var token = await anonymous.PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = credentials["client_id"]!.GetValue<string>(),
            ["client_secret"] = credentials["client_secret"]!.GetValue<string>(),
        }));
        var bearer = (await token.ExpectAsync(HttpStatusCode.OK))["access_token"]!.GetValue<string>();

        using var registers = await fiscus.WithBearer(bearer).GetAsync("/api/v1/cash_registers");
        var list = await registers.ExpectAsync(HttpStatusCode.OK);
        var main = Assert.Single(list.AsArray(), r => r!["library_id"]!.GetValue<string>() == "MAIN" && r["library_default"]!.GetValue<bool>())!;
        Assert.Equal("Main desk", main["name"]!.GetValue<string>());
    }
}
