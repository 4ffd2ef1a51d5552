using System.Net.Http.Headers;
using System.Text;

namespace Fiscus.Server.Tests.KohaDropIn;

/// <summary>
/// What an adversarial Koha client can send to the drop-in routes: every such request is a clear 4xx that moves no money,
/// never a 500 (an unhandled exception is logged as our fault and tells the caller nothing it can fix).
/// </summary>
public sealed class KohaHostileInputTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    /// <summary>Dates at the ends of what .NET can hold: their midnight (or the next day's) is no instant.</summary>
    [Theory]
    [InlineData("debits", "9999-12-31", "in the future")]
    [InlineData("credits", "9999-12-31", "in the future")]
    [InlineData("debits", "9000-01-01", "in the future")]
    [InlineData("debits", "0001-01-01", "before 2000")]
    [InlineData("credits", "0999-12-31", "before 2000")]
    public async Task A_stated_date_at_the_ends_of_the_calendar_is_out_of_range_not_a_crash(string kind, string date, string reason)
    {
        var patron = await fiscus.PatronAsync();
        var json = kind == "debits" ? $$"""{"amount": 1, "type": "MANUAL", "date": "{{date}}"}""" : $$"""{"amount": 1, "date": "{{date}}"}""";

        using var response = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/patrons/{patron}/account/{kind}",
            new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "date_out_of_range");
        Assert.Contains(reason, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
    }

    /// <summary>
    /// <c>\ud800</c> is valid JSON but no text: reading it as a string throws. In a value, an operator or a field name,
    /// through <c>q</c> or the <c>x-koha-query</c> header, it is Koha's "Malformed query string".
    /// </summary>
    [Theory]
    [InlineData("""{"interface": {"=": "\ud800"}}""", false)]
    [InlineData("""{"description": {"-like": "a\udfff"}}""", false)]
    [InlineData("""{"-bool": "\ud800"}""", true)]
    [InlineData("""{"\ud800": 1}""", false)]
    [InlineData("""{"amount": {"\ud800": 1}}""", true)]
    [InlineData("""{"type": ["-and", "\ud800"]}""", false)]
    public async Task A_lone_surrogate_in_q_is_a_malformed_query(string q, bool inHeader)
    {
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 2m);
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/patrons/{patron}/account/debits{(inHeader ? "" : "?q=" + Uri.EscapeDataString(q))}");
        if (inHeader)
        {
            request.Headers.Add("x-koha-query", q);
        }

        using var response = await (await fiscus.AdminAsync()).SendAsync(request);

        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("/q", body.ToJsonString(), StringComparison.Ordinal);
    }

    /// <summary>Type confusion and the ends of every type in q: answered (200) or refused (400), never a 500.</summary>
    [Theory]
    [InlineData("""{"date": "0001-01-01"}""")]
    [InlineData("""{"date": {"-in": ["0001-01-01", "9999-12-31T23:59:59Z"]}}""")]
    [InlineData("""{"timestamp": {">": "0001-01-01T00:00:00Z"}}""")]
    [InlineData("""{"date": "2026-01-01T00:00:00+99:00"}""")]
    [InlineData("""{"date": {"-between": ["2026-01-01", "2026-02-30"]}}""")]
    [InlineData("""{"account_line_id": "99999999999999999999"}""")]
    [InlineData("""{"cash_register_id": 9223372036854775807}""")]
    [InlineData("""{"cash_register_id": {"-in": [9223372036854775807]}}""")]
    [InlineData("""{"item_id": {"<": -9223372036854775808}}""")]
    [InlineData("""{"patron_id": {"-in": [1.5]}}""")]
    [InlineData("""{"amount": {">": "79228162514264337593543950335"}}""")]
    [InlineData("""{"amount": {"-between": ["1e-28", "NaN"]}}""")]
    [InlineData("""{"library_id": {"-like": "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%a"}}""")]
    [InlineData("""{"status": {"-like": "\\"}}""")]
    [InlineData("""{"description": {"-in": [1, "a", true]}}""")]
    [InlineData("""{"description": {"-like": 5}}""")]
    [InlineData("""{"interface": {"=": "\u0000"}}""")]
    [InlineData("""{"checkout_id": {"-in": [1, 2]}}""")]
    [InlineData("""{"-not": []}""")]
    [InlineData("""{"-and": 5}""")]
    [InlineData("""{"-or": []}""")]
    public async Task Odd_values_in_q_are_answered_or_refused_never_a_500(string q)
    {
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 2m);

        using var response = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/patrons/{patron}/account/debits?q={Uri.EscapeDataString(q)}");

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest,
            $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Nesting past any limit and a huge unknown _order_by field: refused quickly, not a stack overflow or a long edit distance.</summary>
    [Fact]
    public async Task Deep_nesting_and_huge_names_are_refused()
    {
        var admin = await fiscus.AdminAsync();
        using var deep = await admin.GetAsync($"/api/v1/libraries?q={Uri.EscapeDataString(new string('[', 3000) + new string(']', 3000))}");
        using var longName = await admin.GetAsync($"/api/v1/libraries?_order_by={new string('x', 7000)}");
        using var longField = await admin.GetAsync($"/api/v1/libraries?q={Uri.EscapeDataString($$"""{"{{new string('y', 7000)}}": 1}""")}");

        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, longName.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, longField.StatusCode);
    }

    /// <summary>The token route's Basic credentials decode to anything: a NUL or a bad escape is no client, never a 500.</summary>
    [Theory]
    [InlineData("a%00b", "secret")]
    [InlineData("%ZZ", "secret")]
    [InlineData("client", "%00")]
    [InlineData("client", "\u0000")]
    public async Task Odd_basic_credentials_on_the_token_route_are_refused(string id, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}")));

        using var response = await fiscus.Anonymous().SendAsync(request);

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
