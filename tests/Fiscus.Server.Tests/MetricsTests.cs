using System.Globalization;
using System.Text.RegularExpressions;
using Fiscus.Ledger.Database;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fiscus.Server.Tests;

/// <summary>Without FISCUS_METRICS there is no /metrics, for anyone.</summary>
public sealed class MetricsOffTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task Metrics_are_off_by_default()
    {
        using var anonymous = await fiscus.Anonymous().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, anonymous.StatusCode);
        using var admin = await (await fiscus.AdminAsync()).GetAsync("/metrics");
        Assert.Equal("not_found", (await admin.ExpectAsync(HttpStatusCode.NotFound))["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_OTLP_endpoint_alone_pushes_without_serving_metrics()
    {
        // Nothing listens there: the exporter's failed pushes must neither stop the start nor serve /metrics.
        await using var factory = new FiscusFactory(fiscus.Factory.Database,
            new Dictionary<string, string?> { ["FISCUS_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });
        Assert.NotNull(factory.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
        using var scraped = await factory.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, scraped.StatusCode);
        Assert.Null(fiscus.Factory.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
    }

    [Fact]
    public async Task FISCUS_OTLP_ENDPOINT_pushes_the_Fiscus_metrics_to_a_collector()
    {
        // A stand-in collector: OTLP over HTTP (the exporter's protocol is OpenTelemetry's own setting), taking the first push.
        using var collector = new System.Net.HttpListener();
        var port = FreePort();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        await using var factory = new FiscusFactory(fiscus.Factory.Database, new Dictionary<string, string?>
        {
            ["FISCUS_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}/v1/metrics",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        _ = factory.Services;

        var push = await collector.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(30));
        using var body = new MemoryStream();
        await push.Request.InputStream.CopyToAsync(body);
        push.Response.StatusCode = 200;
        push.Response.Close();

        Assert.Equal("POST", push.Request.HttpMethod);
        Assert.Equal("/v1/metrics", push.Request.Url!.AbsolutePath);
        Assert.Equal("application/x-protobuf", push.Request.ContentType);
        // The protobuf carries the instruments' names as text.
        Assert.Contains("fiscus.schema.version", System.Text.Encoding.UTF8.GetString(body.ToArray()), StringComparison.Ordinal);
    }

    static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData("collector:4317")]
    [InlineData("ftp://collector:4317")]
    [InlineData("not an address")]
    public void An_OTLP_endpoint_that_is_no_http_address_is_a_setting_error(string endpoint)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["FISCUS_OTLP_ENDPOINT"] = endpoint }).Build();
        var error = Assert.Throws<Fiscus.Server.Configuration.ConfigurationException>(
            () => { _ = Fiscus.Server.Configuration.FiscusOptions.MetricsSettings(configuration); });
        Assert.StartsWith("FISCUS_OTLP_ENDPOINT must be", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// Counters are process-wide (the <c>Fiscus</c> meter is static), so the classes that count on them run alone: another class's
/// replays or 503s would otherwise land in this one's differences.
/// </summary>
[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary>FISCUS_METRICS=true: <c>GET /metrics</c> in Prometheus's text format, for an admin or a client holding metrics:read.</summary>
[Collection(nameof(MetricsCollection))]
public sealed partial class MetricsTests(MetricsFixture fiscus) : IClassFixture<MetricsFixture>
{
    [Fact]
    public async Task Only_an_admin_or_a_client_with_metrics_read_may_scrape()
    {
        using (var anonymous = await fiscus.Anonymous().GetAsync("/metrics"))
        {
            var problem = await anonymous.ExpectAsync(HttpStatusCode.Unauthorized);
            Assert.Equal("unauthorized", problem["code"]!.GetValue<string>());
            Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType!.MediaType);
        }
        var reporter = await fiscus.ClientAsync(["reports:read"]);
        using (var refused = await reporter.Http.GetAsync("/metrics"))
        {
            var problem = await refused.ExpectAsync(HttpStatusCode.Forbidden);
            Assert.Equal("forbidden", problem["code"]!.GetValue<string>());
            Assert.Contains("metrics:read", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var manager = await fiscus.StaffAsync("manager");
        using (var refused = await manager.Http.GetAsync("/metrics"))
        {
            await refused.ExpectAsync(HttpStatusCode.Forbidden);
        }

        var scraper = await fiscus.ClientAsync(["metrics:read"]);
        using var scraped = await scraper.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Equal("text/plain", scraped.Content.Headers.ContentType!.MediaType);
        var text = await scraped.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE ", text, StringComparison.Ordinal);
        using var admin = await (await fiscus.AdminAsync()).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task A_client_bound_to_a_register_cannot_hold_metrics_read()
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/clients",
            Json.Body(new { name = fiscus.Unique("Scraper"), scopes = new[] { "metrics:read" }, cash_register_id = 1 }));
        var problem = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("metrics", problem["errors"]!["scopes"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Payments_and_sales_are_counted_by_type_and_interface_and_a_replay_only_as_a_replay()
    {
        // A payment type of this test's own, so other tests' payments cannot be in its series.
        var admin = await fiscus.AdminAsync();
        var tender = fiscus.Unique("METRICCARD");
        using (var created = await admin.PostAsync("/api/v1/payment_types", Json.Body(new { code = tender, description = "Metrics card" })))
        {
            await created.ExpectAsync(HttpStatusCode.Created);
        }
        var scraper = (await fiscus.ClientAsync(["metrics:read"])).Http;
        var before = await ScrapeAsync(scraper);
        var type = new Dictionary<string, string> { ["payment_type"] = tender, ["interface"] = "api" };
        Assert.Equal(0, before.Value("fiscus_payments_total", type));

        var patron = await fiscus.PatronAsync();
        var key = Guid.NewGuid().ToString();
        var intake = new { debit_type = "PRINT", amount = 3.40m, payment_type = tender };
        using (var paid = await IntakeAsync(admin, patron, intake, key))
        {
            await paid.ExpectAsync(HttpStatusCode.Created);
        }
        var register = await fiscus.RegisterAsync();
        using (var sold = await admin.PostSaleAsync(register, new
        {
            items = new[] { new { debit_type = "PRINT", price = 1.25m, quantity = 2 } }, payment_type = tender,
        }))
        {
            await sold.ExpectAsync(HttpStatusCode.Created);
        }
        var afterFresh = await ScrapeAsync(scraper);
        Assert.Equal(1, afterFresh.Value("fiscus_payments_total", type));
        Assert.Equal(340, afterFresh.Value("fiscus_payments_amount_minor_total", type));
        Assert.Equal(1, afterFresh.Value("fiscus_sales_total", type));
        Assert.Equal(250, afterFresh.Value("fiscus_sales_amount_minor_total", type));

        using (var replayed = await IntakeAsync(admin, patron, intake, key))
        {
            await replayed.ExpectAsync(HttpStatusCode.Created);
            Assert.Equal("true", replayed.Headers.GetValues("Idempotency-Replayed").Single());
        }
        var afterReplay = await ScrapeAsync(scraper);
        Assert.Equal(1, afterReplay.Value("fiscus_payments_total", type));
        Assert.Equal(340, afterReplay.Value("fiscus_payments_amount_minor_total", type));
        var api = new Dictionary<string, string> { ["interface"] = "api" };
        Assert.Equal(afterFresh.Value("fiscus_commands_replayed_total", api) + 1, afterReplay.Value("fiscus_commands_replayed_total", api));
    }

    [Fact]
    public async Task Refusals_and_4xx_answers_are_counted_by_code()
    {
        var scraper = (await fiscus.ClientAsync(["metrics:read"])).Http;
        var admin = await fiscus.AdminAsync();
        var patron = await fiscus.PatronAsync();
        var before = await ScrapeAsync(scraper);
        var unknownType = new Dictionary<string, string> { ["code"] = "unknown_payment_type", ["interface"] = "api" };

        using (var refused = await IntakeAsync(admin, patron, new { debit_type = "PRINT", amount = 1m, payment_type = "NO_SUCH_TENDER" }))
        {
            var problem = await refused.ExpectAsync(HttpStatusCode.BadRequest);
            Assert.Equal("unknown_payment_type", problem["code"]!.GetValue<string>());
        }

        var after = await ScrapeAsync(scraper);
        Assert.Equal(before.Value("fiscus_commands_refused_total", unknownType) + 1, after.Value("fiscus_commands_refused_total", unknownType));
        var answered = new Dictionary<string, string> { ["code"] = "unknown_payment_type", ["http_response_status_code"] = "400" };
        Assert.Equal(before.Value("fiscus_http_client_errors_total", answered) + 1, after.Value("fiscus_http_client_errors_total", answered));
    }

    [Fact]
    public async Task A_503_is_counted_by_its_code()
    {
        var scraper = (await fiscus.ClientAsync(["metrics:read"])).Http;
        var busy = new Dictionary<string, string> { ["code"] = "busy" };
        var before = await ScrapeAsync(scraper);

        // What the exception handler does with contention that outlasted the retries, in this host's services.
        var context = new DefaultHttpContext { RequestServices = fiscus.Factory.Services };
        context.Response.Body = new MemoryStream();
        Assert.True(await new RequestErrors(NullLogger<RequestErrors>.Instance)
            .TryHandleAsync(context, new RetryLaterException("Still busy."), CancellationToken.None));
        Assert.Equal(503, context.Response.StatusCode);

        var after = await ScrapeAsync(scraper);
        Assert.Equal(before.Value("fiscus_http_unavailable_total", busy) + 1, after.Value("fiscus_http_unavailable_total", busy));
    }

    [Fact]
    public async Task Requests_by_route_the_pool_and_the_schema_version_are_exported()
    {
        var scraper = (await fiscus.ClientAsync(["metrics:read"])).Http;
        using (var read = await (await fiscus.AdminAsync()).GetAsync("/api/v1/libraries"))
        {
            await read.ExpectAsync(HttpStatusCode.OK);
        }
        var scraped = await ScrapeAsync(scraper);

        Assert.True(scraped.Value("http_server_request_duration_seconds_count",
            new Dictionary<string, string> { ["http_route"] = "/api/v1/libraries/", ["http_request_method"] = "GET" }) >= 1, scraped.Text);
        Assert.Contains(scraped.Samples, s => s.Name.StartsWith("db_client_connection", StringComparison.Ordinal));
        var newest = await fiscus.ScalarAsync<int>("SELECT max(version) FROM schema_migrations");
        Assert.Equal(newest, scraped.Value("fiscus_schema_version", new Dictionary<string, string>()));
    }

    static async Task<HttpResponseMessage> IntakeAsync(HttpClient client, long patronId, object body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patrons/{patronId}/account/payments") { Content = Json.Body(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await client.SendAsync(request);
    }

    static async Task<Scrape> ScrapeAsync(HttpClient scraper)
    {
        using var response = await scraper.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (SampleLine().Match(line) is { Success: true } sample)
            {
                var labels = LabelPair().Matches(sample.Groups[2].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
                samples.Add(new Sample(sample.Groups[1].Value, labels, double.Parse(sample.Groups[3].Value, CultureInfo.InvariantCulture)));
            }
        }
        return new Scrape(text, samples);
    }

    sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    sealed record Scrape(string Text, IReadOnlyList<Sample> Samples)
    {
        /// <summary>The sum of the series named <paramref name="name"/> whose labels include <paramref name="labels"/>; 0 when none.</summary>
        public double Value(string name, IReadOnlyDictionary<string, string> labels) => Samples
            .Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var value) && value == l.Value))
            .Sum(s => s.Value);
    }

    // name{label="value",...} value [timestamp]
    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
