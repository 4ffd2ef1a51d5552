using Fiscus.Ledger.Access;
using Fiscus.Ledger.Telemetry;
using Fiscus.Server.Configuration;
using Npgsql;
using OpenTelemetry.Metrics;

namespace Fiscus.Server.Metrics;

/// <summary>
/// OpenTelemetry metrics, when asked for: FISCUS_METRICS serves them at <c>GET /metrics</c> in Prometheus's text format (to an
/// admin, or a client granted <c>metrics:read</c>); FISCUS_OTLP_ENDPOINT pushes the same to a collector. Neither set, no meter
/// provider exists and the instruments measure into nothing. What is measured: HTTP requests by route (ASP.NET Core's own
/// <c>http.server.request.duration</c>), the <c>Fiscus</c> meter (money committed, replays, refusals, error answers, the schema
/// version), Npgsql's connection pool, and the .NET runtime.
/// </summary>
public static class MetricsSetup
{
    public const string Path = "/metrics";

    public static WebApplicationBuilder AddFiscusMetrics(this WebApplicationBuilder builder)
    {
        var (serve, otlp) = FiscusOptions.MetricsSettings(builder.Configuration);
        if (!serve && otlp is null)
        {
            return builder;
        }
        builder.Services.AddSingleton<SchemaVersionGauge>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(FiscusMeter.Name).AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddNpgsqlInstrumentation();
            if (serve)
            {
                // No cached answer: a scrape right after a payment shows it.
                metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            }
            if (otlp is not null)
            {
                metrics.AddOtlpExporter(o => o.Endpoint = otlp);
            }
        });
        return builder;
    }

    /// <summary>Maps <c>GET /metrics</c> when FISCUS_METRICS is on; off, the path is not found (404) like any unknown one.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<FiscusOptions>();
        if (options.Metrics || options.OtlpEndpoint is not null)
        {
            // Created now, so the gauge is there from the first scrape or push.
            _ = app.Services.GetRequiredService<SchemaVersionGauge>();
        }
        if (options.Metrics)
        {
            app.MapPrometheusScrapingEndpoint(Path).RequireAuthorization(Scopes.MetricsRead);
        }
        return app;
    }
}
