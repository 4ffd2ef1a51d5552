namespace Fiscus.Server.Tests;

/// <summary>
/// Malformed input on every account endpoint gets a 4xx naming the problem, never a 500 and never a
/// half-written account. {debit} and {credit} stand for real lines of the patron.
/// </summary>
public sealed class AccountInputTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    public static TheoryData<string, string, int, string> Cases => new()
    {
        // POST debits
        { "debits", """{"amount": -1, "type": "MANUAL"}""", 400, "validation_failed" },
        { "debits", """{"amount": 0, "type": "MANUAL"}""", 400, "validation_failed" },
        { "debits", """{"amount": 1.999, "type": "MANUAL"}""", 400, "validation_failed" },
        { "debits", """{"amount": 1000000.01, "type": "MANUAL"}""", 400, "validation_failed" },
        { "debits", """{"amount": "five", "type": "MANUAL"}""", 400, "invalid_type" },
        { "debits", """{"type": "MANUAL"}""", 400, "missing_field" },
        { "debits", """{"amount": 1}""", 400, "missing_field" },
        { "debits", """{"amount": 1, "type": "MANUAL", "account_type": "F"}""", 400, "unknown_field" },
        { "debits", """{"amount": 1, "type": "MANUAL", "user_id": 0}""", 400, "validation_failed" },
        { "debits", """{"amount": 1, "type": "MANUAL", "user_id": 987654321}""", 400, "unknown_user" },
        // Who is an active user is told only to a request that would otherwise be recorded: a bad type is refused first.
        { "debits", """{"amount": 1, "type": "NOPE", "user_id": 987654321}""", 400, "unknown_debit_type" },
        { "debits", """{"amount": 1, "type": "MANUAL", "checkout_id": -2}""", 400, "validation_failed" },
        { "debits", """{"amount": 1, "type": "MANUAL", "date": "31/01/2026"}""", 400, "validation_failed" },
        { "debits", """{"amount": 1, "type": "MANUAL", "date": "2999-01-01"}""", 400, "date_out_of_range" },
        { "debits", """{"amount": 1, "type": "NOT_A_TYPE"}""", 400, "unknown_debit_type" },
        { "debits", """{"amount": 1, "type": "VOID"}""", 400, "debit_type_reserved" },
        { "debits", """{"amount": 1, "type": "MANUAL", "cash_register_id": 1}""", 400, "validation_failed" },
        { "debits", """{"amount": 1, "type": "MANUAL", "item_id": -4}""", 400, "validation_failed" },
        { "debits", """{"amount": 1, "type": "PAYOUT"}""", 400, "payout_type_required" },
        { "debits", """{"amount": 1, "type": "MANUAL", "library_id": "NOWHERE"}""", 400, "unknown_library" },
        { "debits", """[1, 2]""", 400, "invalid_type" },
        { "debits", """{"amount": 1, "type": "MANUAL" """, 400, "malformed_json" },
        // POST credits
        { "credits", """{"amount": -3}""", 400, "validation_failed" },
        { "credits", """{"amount": 3.001}""", 400, "validation_failed" },
        { "credits", """{"amount": 3, "payment_type": "CASH"}""", 400, "register_required" },
        { "credits", """{"amount": 3, "payment_type": "CASH", "cash_register_id": 77777}""", 400, "unknown_register" },
        { "credits", """{"amount": 3, "payment_type": "NOPE"}""", 400, "unknown_payment_type" },
        { "credits", """{"amount": 3, "credit_type": "NOPE"}""", 400, "unknown_credit_type" },
        { "credits", """{"amount": 3, "credit_type": "PURCHASE"}""", 400, "credit_type_reserved" },
        { "credits", """{"amount": 3, "credit_type": "WRITEOFF", "payment_type": "CARD"}""", 400, "validation_failed" },
        { "credits", """{"amount": 3}""", 400, "payment_type_required" },
        { "credits", """{"amount": 3, "payment_type": "CARD", "account_lines_ids": [99999999]}""", 400, "unknown_account_lines" },
        { "credits", """{"amount": 3, "payment_type": "CARD", "account_lines_ids": [{credit}]}""", 400, "not_debits" },
        { "credits", """{"amount": 3, "account_lines_ids": "all"}""", 400, "invalid_type" },
        { "credits", """{"amount": 3, "account_lines_ids": [0]}""", 400, "validation_failed" },
        { "credits", """{"amount": 3, "payment_type": "CARD", "date": "2020-01-01"}""", 400, "date_out_of_range" },
        { "credits", """{"amount": 3, "payment_type": "CARD", "checkout_id": 1}""", 400, "unknown_field" },
        // POST payments
        { "payments", """{"debit_type": "PRINT", "amount": 2, "payment_type": "CARD", "external_id": 7}""", 400, "invalid_type" },
        { "payments", """{}""", 400, "missing_field" },
        // line actions
        { "debits/{debit}/writeoff", """{"amount": -1}""", 400, "validation_failed" },
        { "debits/{debit}/writeoff", """{"amount": 0.001}""", 400, "validation_failed" },
        { "debits/{debit}/writeoff", """{"amount": 5000}""", 400, "amount_exceeds_outstanding" },
        { "debits/{debit}/writeoff", """{"reason": "x"}""", 400, "unknown_field" },
        { "credits/{credit}/refund", """{"amount": "all"}""", 400, "invalid_type" },
        { "credits/{credit}/refund", """{"amount": 0}""", 400, "validation_failed" },
        { "credits/{credit}/refund", """{"payout_type": "NOPE"}""", 400, "unknown_payment_type" },
        { "credits/{credit}/void", """{"note": 5}""", 400, "invalid_type" },
        { "debits/{debit}/cancel", """{"note": "x", "force": true}""", 400, "unknown_field" },
        { "debits/abc/cancel", "{}", 404, "not_found" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Malformed_input_is_a_clear_4xx_and_changes_nothing(string endpoint, string body, int status, string code)
    {
        // A credit of 12.00 first (nothing to apply it to), then a debit of 10.00 it is not applied to.
        var patron = await fiscus.PatronAsync();
        using (var paid = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 12m, payment_type = "CARD" })))
        {
            await paid.ExpectAsync(HttpStatusCode.Created);
        }
        var credit = await fiscus.ScalarAsync<long>("SELECT max(account_line_id) FROM account_lines WHERE patron_id = @patron", new { patron });
        var debit = (await fiscus.DebitAsync(patron, 10m))["account_line_id"]!.GetValue<long>();
        var lines = await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron });
        var path = $"/api/v1/patrons/{patron}/account/{endpoint.Replace("{debit}", $"{debit}", StringComparison.Ordinal).Replace("{credit}", $"{credit}", StringComparison.Ordinal)}";
        body = body.Replace("{credit}", $"{credit}", StringComparison.Ordinal);

        using var response = await (await fiscus.AdminAsync()).PostAsync(path, Json.Raw(body));

        await response.ExpectProblemAsync((HttpStatusCode)status, code);
        Assert.Equal(lines, await fiscus.ScalarAsync<int>("SELECT count(*) FROM account_lines WHERE patron_id = @patron", new { patron }));
        Assert.Equal(-2m, await fiscus.BalanceAsync(patron));
    }

    [Theory]
    [InlineData("GET", "/api/v1/patrons/424242/account")]
    [InlineData("GET", "/api/v1/patrons/424242/account/debits")]
    [InlineData("GET", "/api/v1/patrons/424242/account/credits")]
    [InlineData("POST", "/api/v1/patrons/424242/account/debits")]
    [InlineData("POST", "/api/v1/patrons/424242/account/credits")]
    [InlineData("POST", "/api/v1/patrons/424242/account/credits/1/void")]
    public async Task An_unknown_patron_is_404(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? Json.Body(new { amount = 1m, type = "MANUAL" }) : null,
        };
        if (path.EndsWith("credits", StringComparison.Ordinal))
        {
            request.Content = Json.Body(new { amount = 1m });
        }
        if (path.EndsWith("void", StringComparison.Ordinal))
        {
            request.Content = null;
        }

        using var response = await (await fiscus.AdminAsync()).SendAsync(request);

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "patron_not_found");
    }
}
