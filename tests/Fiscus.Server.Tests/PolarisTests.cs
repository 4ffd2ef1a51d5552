using System.Globalization;

namespace Fiscus.Server.Tests;

/// <summary>The Polaris pay-fines dialect, with the vendor's own example body.</summary>
public sealed class PolarisTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static string Url(long patron, string query = "action=pay&reload=true&overpayment=true") =>
        $"/polaris/api/v1/patrons/{patron}/accounttransactions/finesfees?{query}";

    /// <summary>The seed's example body, verbatim but for the charge ids (its property names are unquoted).</summary>
    static string SeedBody(decimal amount, params long[] ids) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
        TxnAmount : {{amount}},
        FreeTextNote : "Paying fee from NextGen",
        PatronPaymentMethod: 11,
        MainTxnIDs:
        [
        {{string.Join(",\n", ids)}}
        ]
        }
        """);

    async Task<(long Patron, long[] Charges)> ChargesAsync(params decimal[] amounts)
    {
        var patron = await fiscus.PatronAsync();
        var ids = new List<long>();
        foreach (var amount in amounts)
        {
            ids.Add((await fiscus.DebitAsync(patron, amount))["account_line_id"]!.GetValue<long>());
        }
        return (patron, ids.ToArray());
    }

    static async Task<HttpResponseMessage> PutAsync(HttpClient client, string url, string body) =>
        await client.PutAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task The_seed_example_pays_the_listed_charges_oldest_first()
    {
        var (patron, charges) = await ChargesAsync(6m, 6m, 4m);
        var cashier = (await fiscus.StaffAsync("cashier")).Http;

        using var response = await PutAsync(cashier, Url(patron), SeedBody(10m, charges));

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["FinesAndFees", "TxnIds"], body.AsObject().Select(p => p.Key));
        var payments = body["TxnIds"]!.AsArray().Select(t => t!.GetValue<long>()).ToArray();
        Assert.Equal(2, payments.Length);
        var fines = body["FinesAndFees"]!.AsArray();
        Assert.Equal([charges[2], charges[1]], fines.Select(f => f!["TxnID"]!.GetValue<long>()));
        var partly = fines.Single(f => f!["TxnID"]!.GetValue<long>() == charges[1])!;
        Assert.Equal("6.0000", partly["TxnAmount"]!.ToJsonString());
        Assert.Equal("2.0000", partly["OutstandingAmount"]!.ToJsonString());
        Assert.Equal(1, partly["TxnCodeID"]!.GetValue<int>());
        Assert.Equal("Charge", partly["Type"]!.GetValue<string>());
        Assert.Equal("Manual fee", partly["FeeDescription"]!.GetValue<string>());
        Assert.Equal("Main library", partly["Organization"]!.GetValue<string>());
        Assert.Equal(0, partly["ItemRecordID"]!.GetValue<long>());
        Assert.False(partly["HasPendingWaiverRequest"]!.GetValue<bool>());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$", partly["TxnDate"]!.GetValue<string>());
        string[] fields =
        [
            "ItemRecordID", "TxnID", "TxnCodeID", "CallNumber", "MaterialType", "TxnDate", "Type", "FeeDescription", "BrowseTitle",
            "Barcode", "TxnAmount", "OutstandingAmount", "Organization", "TxnOrgID", "FreeTextNote", "WaiverRequestID", "HasPendingWaiverRequest",
        ];
        Assert.Equal(fields, partly.AsObject().Select(p => p.Key));

        Assert.Equal(6m, await fiscus.BalanceAsync(patron));
        Assert.Equal("polaris", await fiscus.ScalarAsync<string>("SELECT interface FROM account_lines WHERE account_line_id = @id", new { id = payments[0] }));
        // PatronPaymentMethod 11 is cash: the payments land in the library's default register.
        Assert.Equal(2, await fiscus.ScalarAsync<int>(
            "SELECT count(*) FROM account_lines WHERE account_line_id = ANY(@payments) AND payment_type = 'CASH' AND cash_register_id = 1",
            new { payments }));
    }

    [Fact]
    public async Task An_overpayment_becomes_a_credit_when_allowed_and_is_refused_otherwise()
    {
        var (patron, charges) = await ChargesAsync(3m);
        var cashier = (await fiscus.StaffAsync("cashier")).Http;

        using var refused = await PutAsync(cashier, Url(patron, "action=pay&reload=false&overpayment=false"), SeedBody(5m, charges));
        var problem = await refused.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("amount_exceeds_charges", problem["Code"]!.GetValue<string>());
        Assert.Contains("TxnAmount", problem["Message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(3m, await fiscus.BalanceAsync(patron));

        using var accepted = await PutAsync(cashier, Url(patron, "action=pay&reload=false&overpayment=true"), SeedBody(5m, charges));
        var body = await accepted.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["TxnIds"], body.AsObject().Where(p => p.Value is not null).Select(p => p.Key));
        Assert.Equal(2, body["TxnIds"]!.AsArray().Count);
        Assert.Equal(-2m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task A_partial_payment_is_allowed()
    {
        var (patron, charges) = await ChargesAsync(6m, 4m);

        using var response = await PutAsync((await fiscus.StaffAsync("cashier")).Http, Url(patron, "action=pay&reload=true&overpayment=false"),
            SeedBody(1.5m, charges));

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Single(body["TxnIds"]!.AsArray());
        Assert.Equal(8.5m, await fiscus.BalanceAsync(patron));
    }

    public static TheoryData<string, string, int, string> BadRequests => new()
    {
        { "action=pay", "null", 400, "validation_failed" },
        { "action=pay", "", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 11 }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 11, MainTxnIDs: [] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: \"1\", PatronPaymentMethod: 11, MainTxnIDs: [CHARGE] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: -1, PatronPaymentMethod: 11, MainTxnIDs: [CHARGE] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1.001, PatronPaymentMethod: 11, MainTxnIDs: [CHARGE] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, MainTxnIDs: [CHARGE] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 16, MainTxnIDs: [CHARGE] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 11, MainTxnIDs: [99999999] }", 400, "unknown_account_lines" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 11, MainTxnIDs: [\"x\"] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 11, MainTxnIDs: [99999999999999999999] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 9223372036854775808, PatronPaymentMethod: 11, MainTxnIDs: [CHARGE] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 18446744073709551616, MainTxnIDs: [CHARGE] }", 400, "validation_failed" },
        { "action=pay", "{ TxnAmount: 1, PatronPaymentMethod: 11, MainTxnIDs: [CHARGE]", 400, "validation_failed" },
        { "action=waive", "{ TxnAmount: 1, PatronPaymentMethod: 11, MainTxnIDs: [CHARGE] }", 400, "unsupported_action" },
        { "action=pay&reload=maybe", "{ TxnAmount: 1, PatronPaymentMethod: 11, MainTxnIDs: [CHARGE] }", 400, "invalid_parameter" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_are_400_in_Polaris_error_shape(string query, string body, int status, string code)
    {
        var (patron, charges) = await ChargesAsync(2m);

        using var response = await PutAsync((await fiscus.StaffAsync("cashier")).Http, Url(patron, query),
            body.Replace("CHARGE", charges[0].ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var problem = await response.ExpectAsync((HttpStatusCode)status);
        Assert.Equal(code, problem["Code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(problem["Message"]!.GetValue<string>()));
        Assert.Equal(2m, await fiscus.BalanceAsync(patron));
    }

    [Fact]
    public async Task Unknown_invalid_and_secured_patrons()
    {
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var secured = await fiscus.PatronAsync(secured: true);

        using var invalid = await PutAsync(cashier, "/polaris/api/v1/patrons/abc/accounttransactions/finesfees?action=pay", SeedBody(1m, 1));
        using var unknown = await PutAsync(cashier, Url(987654321), SeedBody(1m, 1));
        using var conflict = await PutAsync(cashier, Url(secured), SeedBody(1m, 1));

        Assert.Equal("invalid_patron_id", (await invalid.ExpectAsync(HttpStatusCode.BadRequest))["Code"]!.GetValue<string>());
        Assert.Equal("patron_not_found", (await unknown.ExpectAsync(HttpStatusCode.NotFound))["Code"]!.GetValue<string>());
        Assert.Equal("patron_secured", (await conflict.ExpectAsync(HttpStatusCode.Conflict))["Code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Errors_from_authentication_also_use_the_Polaris_shape()
    {
        using var response = await PutAsync(fiscus.Anonymous(), Url(1), SeedBody(1m, 1));

        var body = await response.ExpectAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("unauthorized", body["Code"]!.GetValue<string>());
        Assert.NotNull(body["Message"]);
    }

    [Fact]
    public async Task The_transaction_list_shows_charges_and_payments_newest_first()
    {
        var (patron, charges) = await ChargesAsync(4m);
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        using (var paid = await PutAsync(cashier, Url(patron, "action=pay"), SeedBody(4m, charges)))
        {
            await paid.ExpectAsync(HttpStatusCode.OK);
        }

        using var response = await cashier.GetAsync($"/polaris/api/v1/patrons/{patron}/accounttransactions");

        var rows = (await response.ExpectAsync(HttpStatusCode.OK)).AsArray();
        Assert.Equal([("Payment", 2), ("Charge", 1)], rows.Select(r => (r!["Type"]!.GetValue<string>(), r["TxnCodeID"]!.GetValue<int>())));
        Assert.All(rows, r => Assert.Equal("4.0000", r!["TxnAmount"]!.ToJsonString()));
    }

    [Fact]
    public async Task A_replayed_payment_with_an_idempotency_key_pays_once()
    {
        var (patron, charges) = await ChargesAsync(5m);
        var cashier = (await fiscus.StaffAsync("cashier")).Http;
        var key = Guid.NewGuid().ToString();

        async Task<HttpResponseMessage> SendAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url(patron)) { Content = new StringContent(SeedBody(5m, charges)) };
            request.Headers.Add("Idempotency-Key", key);
            return await cashier.SendAsync(request);
        }

        using var first = await SendAsync();
        using var second = await SendAsync();

        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal("true", second.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }
}
