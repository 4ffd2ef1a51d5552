namespace Fiscus.Server.Tests;

/// <summary>Many requests on one patron at once: the account lock keeps every cent where it belongs.</summary>
public sealed class AccountConcurrencyTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task Fifty_parallel_payments_never_over_apply_a_debit()
    {
        var patron = await fiscus.PatronAsync();
        var debits = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            debits.Add((await fiscus.DebitAsync(patron, 3m))["account_line_id"]!.GetValue<long>());
        }
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => fiscus.ClientAsync(["payments:write"])));

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => clients[i % clients.Length].Http.PostAsync(
            $"/api/v1/patrons/{patron}/account/credits",
            Json.Body(new { amount = 0.50m, payment_type = "CARD", account_lines_ids = new[] { debits[i % debits.Count] } }))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        // 15.00 owed, 25.00 paid: every debit paid exactly, the other 10.00 waiting as credit.
        var account = await fiscus.AccountAsync(patron);
        Assert.Equal(-10m, account["balance"]!.GetValue<decimal>());
        Assert.Equal(0m, account["outstanding_debits"]!["total"]!.GetValue<decimal>());
        Assert.Equal(0, await fiscus.ScalarAsync<int>(
            "SELECT count(*) FROM account_lines WHERE patron_id = @patron AND debit_type_code IS NOT NULL AND amount_outstanding_minor <> 0", new { patron }));
        Assert.Equal(1500, await fiscus.ScalarAsync<long>(
            "SELECT -sum(o.amount_minor) FROM account_offsets o JOIN account_lines d ON d.account_line_id = o.debit_id WHERE o.type = 'APPLY' AND d.patron_id = @patron",
            new { patron }));
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Fifty_parallel_intakes_with_distinct_keys_are_fifty_payments()
    {
        var patron = await fiscus.PatronAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"], cashRegisterId: 1);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => kiosk.Http.PostAsync(
            $"/api/v1/patrons/{patron}/account/payments",
            Json.Body(new { debit_type = "PRINT", amount = 1.10m, payment_type = "CASH", external_id = $"job-{i}" }))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(100, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Racing_voids_of_one_payment_void_it_once()
    {
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 5m);
        var admin = await fiscus.AdminAsync();
        using var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 5m, payment_type = "CARD" }));
        var credit = (await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            admin.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", null)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(5m, await fiscus.BalanceAsync(patron));
        await fiscus.AssertLedgerConsistentAsync();
    }
}
