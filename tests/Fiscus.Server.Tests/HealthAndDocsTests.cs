namespace Fiscus.Server.Tests;

public sealed class HealthAndDocsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_without_credentials(string path)
    {
        using var response = await fiscus.Anonymous().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ready_fails_when_the_database_is_unreachable()
    {
        await using var broken = fiscus.Factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("FISCUS_DATABASE", "Host=/nonexistent;Port=1;Username=nobody;Database=none;Timeout=2");
            // Nothing to migrate against: skip the start-up work that would fail first.
            b.ConfigureServices(s =>
            {
                foreach (var hosted in s.Where(d => d.ImplementationType == typeof(Startup.DatabaseStartup)).ToList())
                {
                    s.Remove(hosted);
                }
            });
        });

        using var ready = await broken.CreateClient().GetAsync("/health/ready");
        using var live = await broken.CreateClient().GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Theory]
    [InlineData("Host=/nonexistent;Port=1")]
    [InlineData("Host=/nonexistent-a:1,/nonexistent-b:2;Target Session Attributes=read-write")]
    [InlineData("Host=127.0.0.1:1,127.0.0.1:2;Target Session Attributes=primary")]
    public async Task No_database_host_to_be_had_is_503_database_unavailable_never_500(string hosts)
    {
        await using var broken = fiscus.Factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("FISCUS_DATABASE", hosts + ";Username=nobody;Database=none;Timeout=2");
            b.ConfigureServices(s =>
            {
                foreach (var hosted in s.Where(d => d.ImplementationType == typeof(Startup.DatabaseStartup)).ToList())
                {
                    s.Remove(hosted);
                }
            });
        });
        var client = broken.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-checked-before-the-database");

        using var response = await client.GetAsync("/api/v1/patrons");

        var problem = await response.ExpectAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("database_unavailable", problem["code"]!.GetValue<string>());
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_native_API_in_snake_case()
    {
        using var response = await fiscus.Anonymous().GetAsync("/api/v1/openapi.json");

        var document = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var path in new[]
        {
            "/api/v1/auth/login", "/api/v1/oauth/token", "/api/v1/libraries", "/api/v1/cash_registers", "/api/v1/cash_registers/{cash_register_id}",
            "/api/v1/debit_types", "/api/v1/credit_types", "/api/v1/payment_types", "/api/v1/patrons", "/api/v1/users", "/api/v1/clients",
        })
        {
            Assert.Contains(path, paths);
        }
        var register = document["components"]!["schemas"]!["CashRegisterDto"]!["properties"]!.AsObject().Select(p => p.Key);
        Assert.Equal(["cash_register_id", "name", "description", "library_id", "starting_float", "archived", "library_default", "fiscus"], register);
    }

    [Fact]
    public async Task The_OpenAPI_document_names_dialect_fields_as_their_wire_does()
    {
        using var response = await fiscus.Anonymous().GetAsync("/api/v1/openapi.json");

        var schemas = (await response.ExpectAsync(HttpStatusCode.OK))["components"]!["schemas"]!;
        string[] Properties(string schema) => schemas[schema]!["properties"]!.AsObject().Select(p => p.Key).ToArray();
        Assert.Equal(["nameMethod", "allowedRefundMethod", "metadata", "ownerId", "id"], Properties("FolioPayment"));
        Assert.Equal(["payments", "totalRecords", "resultInfo"], Properties("FolioPaymentCollection"));
        Assert.Contains("createdByUserId", Properties("FolioMetadata"));
        Assert.Equal(["FinesAndFees", "TxnIds"], Properties("PolarisPayResponse"));
        Assert.Contains("TxnID", Properties("PolarisTransaction"));
        // The native API and the shift dialect stay snake_case.
        Assert.Contains("start_cash", Properties("ShiftDto"));
        Assert.Contains("payment_type_id", Properties("PaymentTypeDto"));
    }

    [Fact]
    public async Task The_interactive_docs_page_is_served()
    {
        using var response = await fiscus.Anonymous().GetAsync("/api/v1/docs/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
