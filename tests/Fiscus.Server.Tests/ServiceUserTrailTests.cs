using System.Text.Json.Nodes;

namespace Fiscus.Server.Tests;

/// <summary>
/// A client's Koha lines and cash-ups name its service user as <c>user_id</c>/<c>manager_id</c>; the audit log and the
/// ledger record the client. Whoever follows that user_id to the audit log or the cash drawer report must find what the
/// client did, not an empty page.
/// </summary>
public sealed class ServiceUserTrailTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Theory]
    [InlineData("{id}")]
    [InlineData("user:{id}")]
    [InlineData("api-client:{client}")]
    public async Task The_audit_log_by_a_service_user_finds_its_client_s_actions(string actor)
    {
        var client = await fiscus.ClientAsync(["accounts:read", "accounts:write"]);
        var patron = await fiscus.PatronAsync();
        long lineUser;
        using (var debit = await client.Http.PostAsync($"/api/v1/patrons/{patron}/account/debits", Json.Body(new { amount = 3m, type = "MANUAL" })))
        {
            lineUser = (await debit.ExpectAsync(HttpStatusCode.Created))["user_id"]!.GetValue<long>();
        }
        var apiClientId = await fiscus.ScalarAsync<long>("SELECT api_client_id FROM api_clients WHERE client_id = @ClientId", new { client.ClientId });
        var named = actor.Replace("{id}", lineUser.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{client}", apiClientId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        using var response = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/audit?actor={Uri.EscapeDataString(named)}&action=account.debit");

        var entries = (await response.ExpectAsync(HttpStatusCode.OK)).AsArray();
        var entry = Assert.Single(entries)!;
        Assert.StartsWith($"client:{apiClientId}", entry["actor"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cash_drawer_report_by_a_service_user_holds_its_client_s_payments()
    {
        var client = await fiscus.ClientAsync(["accounts:read", "payments:write"]);
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 4m);
        JsonNode credit;
        using (var paid = await client.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 4m, payment_type = "CARD" })))
        {
            credit = await paid.ExpectAsync(HttpStatusCode.Created);
        }
        var lineUser = credit["user_id"]!.GetValue<long>();
        Assert.Equal(await fiscus.ServiceUserIdAsync(client.ClientId), lineUser);
        var today = DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}&user_id={lineUser}");

        var movement = Assert.Single((await response.ExpectAsync(HttpStatusCode.OK))["report_data"]!.AsArray())!;
        Assert.Equal(credit["account_line_id"]!.GetValue<long>(), movement["account_line_id"]!.GetValue<long>());
        Assert.Equal(4m, movement.Money("amount"));
    }
}
