namespace Fiscus.Server.Tests;

/// <summary>
/// Behaviour the move to the command runner (issue 12) changed for clients, pinned to what 11cc206 answered.
/// </summary>
public sealed class CommandRunnerReviewTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static HttpRequestMessage Keyed(HttpMethod method, string path, HttpContent content, string key)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return request;
    }

    /// <summary>
    /// A reused Idempotency-Key's refusal named the header ("This Idempotency-Key was already used ..."); the runner
    /// now says "This idempotency key ...", in every dialect's message (native detail/error, Polaris Message, POS message).
    /// </summary>
    [Fact]
    public async Task A_reused_key_is_refused_with_the_message_it_had_before_the_runner()
    {
        var patron = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var key = Guid.NewGuid().ToString();
        var path = $"/api/v1/patrons/{patron}/account/debits";
        using (var first = await cashier.SendAsync(Keyed(HttpMethod.Post, path, Json.Body(new { amount = 1m, type = "MANUAL" }), key)))
        {
            await first.ExpectAsync(HttpStatusCode.Created);
        }

        using var reused = await cashier.SendAsync(Keyed(HttpMethod.Post, path, Json.Body(new { amount = 2m, type = "MANUAL" }), key));
        var problem = await reused.ExpectProblemAsync((HttpStatusCode)422, "idempotency_key_reused");

        var expected = $"This Idempotency-Key was already used for a different request ({path}); use a new key for a new request.";
        Assert.Equal(expected, problem["error"]!.GetValue<string>());
        Assert.Equal(expected, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_reused_key_on_Polaris_pay_is_refused_with_the_message_it_had_before_the_runner()
    {
        var patron = await fiscus.PatronAsync();
        var charge = (await fiscus.DebitAsync(patron, 5m))["account_line_id"]!.GetValue<long>();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var key = Guid.NewGuid().ToString();
        var path = $"/polaris/api/v1/patrons/{patron}/accounttransactions/finesfees?action=pay&reload=false&overpayment=false";
        HttpContent Body(decimal amount) => new StringContent(
            $$"""{"TxnAmount": {{amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "PatronPaymentMethod": 12, "MainTxnIDs": [{{charge}}]}""",
            System.Text.Encoding.UTF8, "application/json");
        using (var first = await cashier.SendAsync(Keyed(HttpMethod.Put, path, Body(1m), key)))
        {
            await first.ExpectAsync(HttpStatusCode.OK);
        }

        using var reused = await cashier.SendAsync(Keyed(HttpMethod.Put, path, Body(2m), key));
        var body = await reused.ExpectAsync((HttpStatusCode)422);

        Assert.Equal("idempotency_key_reused", body["Code"]!.GetValue<string>());
        Assert.Equal($"This Idempotency-Key was already used for a different request ({path}); use a new key for a new request.",
            body["Message"]!.GetValue<string>());
    }

    /// <summary>
    /// Failure.WithFieldNames renames every lowercase word of a refusal's message that equals a field in its errors,
    /// including a client's own value quoted in it: a payment type whose code is <c>cash_register_id</c> (codes may be
    /// lower case) is reported by the intake as <c>'register_id'</c>, a payment type that does not exist.
    /// </summary>
    [Fact]
    public async Task The_intake_quotes_a_payment_type_code_as_it_is_even_when_it_spells_a_field_name()
    {
        var admin = await fiscus.AdminAsync();
        using (var created = await admin.PostAsync("/api/v1/payment_types",
                   Json.Body(new { code = "cash_register_id", description = "Cash, by an odd name", counts_as_cash = true })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var patron = await fiscus.PatronAsync();
        var cashier = (await fiscus.StaffAsync("cashier")).Http;

        using var response = await cashier.PostAsync($"/api/v1/patrons/{patron}/account/payments",
            Json.Body(new { debit_type = "COPY", amount = 1m, payment_type = "cash_register_id" }));
        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "register_required");

        const string expected = "Payment type 'cash_register_id' counts as cash, so it needs a cash register: give register_id.";
        // Under /patrons/{id}/account, error is Koha's words for the case; Fiscus's explanation is the detail.
        Assert.Equal("Account transaction requires a cash register", problem["error"]!.GetValue<string>());
        Assert.Equal(expected, problem["detail"]!.GetValue<string>());
        Assert.Equal(expected, problem["errors"]!["register_id"]![0]!.GetValue<string>());
    }
}
