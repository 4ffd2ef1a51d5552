namespace Fiscus.Server.Tests;

/// <summary>
/// Review of issue 16: <c>/metrics</c> is refused to everyone without admin or metrics:read however it is asked for (another
/// method, a trailing slash, another case, HEAD, Basic, a cookie, a disabled client), and carries nothing a patron typed.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed class MetricsAccessReviewTests(MetricsFixture fiscus) : IClassFixture<MetricsFixture>
{
    [Theory]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/metrics/")]
    [InlineData("GET", "/METRICS")]
    [InlineData("GET", "/Metrics/")]
    [InlineData("HEAD", "/metrics")]
    [InlineData("POST", "/metrics")]
    [InlineData("PUT", "/metrics")]
    [InlineData("GET", "/metrics?format=openmetrics")]
    public async Task Nobody_without_metrics_read_gets_a_figure(string method, string path)
    {
        var manager = await fiscus.StaffAsync("manager");
        var reporter = await fiscus.ClientAsync(["reports:read", "audit:read"]);
        foreach (var (who, client, expected) in new[]
        {
            ("anonymous", fiscus.Anonymous(), HttpStatusCode.Unauthorized),
            ("manager bearer", manager.Http, HttpStatusCode.Forbidden),
            ("manager basic", fiscus.WithBasic(manager.Username, manager.Password), HttpStatusCode.Forbidden),
            ("manager cookie", Cookie(manager.Token), HttpStatusCode.Forbidden),
            ("client without the scope", reporter.Http, HttpStatusCode.Forbidden),
        })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            var body = await response.Content.ReadAsStringAsync();
            Assert.False(body.Contains("fiscus_", StringComparison.Ordinal) || body.Contains("# TYPE", StringComparison.Ordinal),
                $"{who} {method} {path}: {(int)response.StatusCode} {body}");
            if (method != "POST" && method != "PUT" || who == "anonymous")
            {
                Assert.True(expected == response.StatusCode, $"{who} {method} {path}: {(int)response.StatusCode} {body}");
            }
        }
    }

    [Fact]
    public async Task A_disabled_client_and_a_client_whose_scope_was_taken_away_are_refused()
    {
        var scraper = await fiscus.ClientAsync(["metrics:read"]);
        using (var ok = await scraper.Http.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        var admin = await fiscus.AdminAsync();
        using (var disabled = await admin.PostAsync($"/api/v1/clients/{scraper.ClientId}/disable", null))
        {
            Assert.True(disabled.IsSuccessStatusCode, await disabled.Content.ReadAsStringAsync());
        }
        using var refused = await scraper.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Client_chosen_strings_do_not_become_label_values()
    {
        var admin = await fiscus.AdminAsync();
        var patron = await fiscus.PatronAsync();
        var marker = fiscus.Unique("ZZLEAK");
        foreach (var body in new object[]
        {
            new { debit_type = "PRINT", amount = 1m, payment_type = marker },
            new { debit_type = marker, amount = 1m, payment_type = "CASH" },
            new { debit_type = "PRINT", amount = 1m, payment_type = "CASH", note = marker },
        })
        {
            using var response = await admin.PostAsync($"/api/v1/patrons/{patron}/account/payments", Json.Body(body));
            _ = await response.Content.ReadAsStringAsync();
        }
        using (var unknown = await admin.GetAsync($"/api/v1/{marker}/x?{marker}=1"))
        {
            _ = await unknown.Content.ReadAsStringAsync();
        }
        using (var folio = await admin.GetAsync($"/payments?query={marker}"))
        {
            _ = await folio.Content.ReadAsStringAsync();
        }
        using var scraped = await admin.GetAsync("/metrics");
        var text = await scraped.Content.ReadAsStringAsync();
        Assert.DoesNotContain(marker, text, StringComparison.OrdinalIgnoreCase);
        // No series is labelled by a patron (an id, a name): only routes' templates may name one.
        Assert.DoesNotMatch(@"[{,]patron[a-z_]*=", text);
        // The pool's name: what of the connection string is exported.
        var pool = text.Split('\n').FirstOrDefault(l => l.Contains("pool_name", StringComparison.Ordinal)) ?? "(none)";
        Assert.DoesNotContain("Password", pool, StringComparison.OrdinalIgnoreCase);
        // The pool's name is its connection string; Npgsql leaves the password out of it.
        using var withPassword = Npgsql.NpgsqlDataSource.Create("Host=db.example;Username=fiscus;Password=s3cret-pw;Database=fiscus");
        Assert.DoesNotContain("s3cret-pw", withPassword.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_an_endpoint_returns_itself_is_counted_by_its_code()
    {
        var admin = await fiscus.AdminAsync();
        var before = await ClientErrorsAsync(admin, "client_not_found");
        using (var missing = await admin.GetAsync("/api/v1/clients/no-such-client"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        Assert.Equal(before + 1, await ClientErrorsAsync(admin, "client_not_found"));
    }

    static async Task<double> ClientErrorsAsync(HttpClient scraper, string code)
    {
        using var response = await scraper.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n')
            .Where(l => l.StartsWith("fiscus_http_client_errors_total{", StringComparison.Ordinal) && l.Contains($"code=\"{code}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.IndexOf("} ", StringComparison.Ordinal) + 2)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    HttpClient Cookie(string token)
    {
        var client = fiscus.Anonymous();
        client.DefaultRequestHeaders.Add("Cookie", $"access_token={token}");
        return client;
    }
}
