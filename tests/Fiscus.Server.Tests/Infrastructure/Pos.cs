namespace Fiscus.Server.Tests.Infrastructure;

/// <summary>Point-of-sale helpers: a register of the test's own (so sessions do not mix), sales, sessions, cash-ups.</summary>
public static class Pos
{
    /// <summary>Creates a register (as the admin) with this float; its first session opens with it.</summary>
    public static async Task<int> RegisterAsync(this FiscusFixture fiscus, decimal startingFloat = 0m, string libraryId = "MAIN")
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/cash_registers",
            Json.Body(new { name = fiscus.Unique("Till "), library_id = libraryId, starting_float = startingFloat }));
        return (await response.ExpectAsync(HttpStatusCode.Created))["cash_register_id"]!.GetValue<int>();
    }

    /// <param name="embed">An <c>x-koha-embed</c> to ask for (<c>fiscus</c>: each line's client, session, quantity ...).</param>
    public static async Task<HttpResponseMessage> PostSaleAsync(this HttpClient http, int registerId, object body, string? key = null, string? embed = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/cash_registers/{registerId}/sales") { Content = Json.Body(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        if (embed is not null)
        {
            request.Headers.Add("x-koha-embed", embed);
        }
        return await http.SendAsync(request);
    }

    /// <summary>Sells one item as the admin and returns the sale.</summary>
    public static async Task<JsonNode> SellAsync(
        this FiscusFixture fiscus, int registerId, decimal amount, string debitType = "PRINT", string paymentType = "CASH")
    {
        using var response = await (await fiscus.AdminAsync()).PostSaleAsync(registerId,
            new { debit_type = debitType, amount, payment_type = paymentType, description = $"{debitType} sale" });
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public static async Task<JsonNode> SessionAsync(this FiscusFixture fiscus, int registerId, string query = "")
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/cash_registers/{registerId}/session{query}");
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public static async Task<HttpResponseMessage> PostCashupAsync(this HttpClient http, int registerId, object? body = null) =>
        await http.PostAsync($"/api/v1/cash_registers/{registerId}/cashups", Json.Body(body ?? new { }));

    /// <summary>Cashes up as the admin, counting what is given (default: nothing to reconcile), and returns the cash-up.</summary>
    public static async Task<JsonNode> CashupAsync(this FiscusFixture fiscus, int registerId, object? body = null)
    {
        using var response = await (await fiscus.AdminAsync()).PostCashupAsync(registerId, body);
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    /// <summary>A GET asking for Koha's <c>x-koha-embed</c> (e.g. <c>summary,fiscus</c>).</summary>
    public static async Task<HttpResponseMessage> GetEmbeddedAsync(this HttpClient http, string url, string embed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("x-koha-embed", embed);
        return await http.SendAsync(request);
    }

    /// <summary>The register's total for one payment type in a summary's <c>total_grouped</c>.</summary>
    public static JsonNode PaymentType(this JsonNode summary, string code) =>
        summary["total_grouped"]!.AsArray().Single(t => t!["payment_type"]!.GetValue<string>() == code)!;

    public static decimal Money(this JsonNode node, string field) => node[field]!.GetValue<decimal>();
}
