using System.Text.Json;
using System.Text.Json.Serialization;
using Fiscus.Ledger.Database;
using Fiscus.Server.Accounts;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Clients;
using Fiscus.Server.Configuration;
using Fiscus.Server.Dialects.Folio;
using Fiscus.Server.Dialects.Polaris;
using Fiscus.Server.Dialects.Shifts;
using Fiscus.Server.Docs;
using Fiscus.Server.Health;
using Fiscus.Server.Installation;
using Fiscus.Server.Http;
using Fiscus.Server.Libraries;
using Fiscus.Server.Metrics;
using Fiscus.Server.Patrons;
using Fiscus.Server.ReferenceTypes;
using Fiscus.Server.Reports;
using Fiscus.Server.Registers;
using Fiscus.Server.Sales;
using Fiscus.Server.Sip2;
using Fiscus.Server.StaffApp;
using Fiscus.Server.Startup;
using Fiscus.Server.Users;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Fiscus.Server;

/// <summary>The composition root: services, middleware and the route map of every feature.</summary>
public static class FiscusApp
{
    /// <summary>What both the web host and the command line need: settings, the database and the user/client rules.</summary>
    public static IServiceCollection AddFiscusCore(this IServiceCollection services)
    {
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
        // Read from configuration when first asked for, so test hosts can supply their own settings.
        services.TryAddSingleton(sp => FiscusOptions.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
            PoolDefaults.Build(sp.GetRequiredService<FiscusOptions>().Database, "fiscus", sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(sp => ReadDatabase.For(
            sp.GetRequiredService<FiscusOptions>(), sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddSingleton(sp => SchemaOwner.For(
            sp.GetRequiredService<FiscusOptions>(), sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ILoggerFactory>()));
        // Migrations change the schema, so they run as its owner (which is FISCUS_DATABASE's role when there is one role).
        services.TryAddSingleton(sp => new Migrator(sp.GetRequiredService<SchemaOwner>().DataSource, sp.GetRequiredService<ILogger<Migrator>>()));
        services.TryAddSingleton<Passwords>();
        services.TryAddSingleton<StaffUsers>();
        services.TryAddSingleton<ApiClients>();
        services.TryAddSingleton<SipLogins>();
        services.TryAddSingleton<PatronPins>();
        services.TryAddSingleton<Tokens>();
        services.TryAddSingleton<CallerCache>();
        services.TryAddSingleton(sp => new Ledger.Commands.CommandRunner(sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(sp.GetRequiredService<FiscusOptions>().CommitResolveSeconds)));
        return services;
    }

    public static WebApplicationBuilder AddFiscus(this WebApplicationBuilder builder, string[] args)
    {
        builder.WebHost.UseUrls(ListenUrls(builder.Configuration, args));
        // The staff app's files come from the Fiscus.Staff project: in a published app they are in wwwroot; in a build
        // (what ./run starts) the static web assets manifest points at them, which ASP.NET Core reads by itself only in
        // Development. A no-op when the manifest is absent.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddStaffApp();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        if (string.Equals(builder.Configuration["FISCUS_LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders().AddJsonConsole(o => o.UseUtcTimestamp = true);
        }
        // A failed readiness poll is logged by ReadinessLog as a change of state, not by the framework once per poll with the
        // database's stack trace (a load balancer polls every few seconds).
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        // Npgsql logs every connection the database broke off as an error with its stack trace (a burst in each outage or
        // failover). What it means is said once by Fiscus: a 503's warning line per request, ReadinessLog's change of state.
        builder.Logging.AddFilter("Npgsql.Connection", LogLevel.Critical);
        ClientResets.KeepOutOfTheErrorLog(builder.Logging);

        var services = builder.Services;
        services.AddFiscusCore();
        services.AddSingleton<StartupReport>();
        services.AddSingleton<Commands.NativeJson>();
        // Program runs it before the host starts (so a database it cannot use is one line, not a failed host's trace).
        services.AddHostedService<DatabaseStartup>();
        services.AddHostedService<StartupBanner>();
        services.AddHostedService<Maintenance>();
        services.AddHostedService<Sealing.BackgroundSealer>();
        // After DatabaseStartup (hosted services start in order): kiosks are served by a migrated database.
        services.AddSingleton(sp => Sip2.Sip2Options.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<Sip2.Sip2LoginThrottle>();
        services.AddSingleton<Sip2.Sip2Services>();
        services.AddSingleton<Sip2.Sip2Server>();
        services.AddHostedService(sp => sp.GetRequiredService<Sip2.Sip2Server>());
        services.AddOptions<KestrelServerOptions>().Configure<FiscusOptions>((kestrel, fiscus) =>
        {
            kestrel.Limits.MaxRequestBodySize = fiscus.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });

        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        // Body-binding failures become exceptions so RequestErrors can say which field was wrong.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblems.Complete);
        services.AddExceptionHandler<RequestErrors>();

        services.AddAuthentication(FiscusAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, FiscusAuthentication>(FiscusAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder().AddScopePolicies();
        services.AddSingleton<IAuthorizationHandler, ScopeRequirementHandler>();
        services.AddSingleton<IAuthorizationHandler, UnboundRequirementHandler>();
        services.AddSingleton<IAuthorizationHandler, StaffRequirementHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuthorizationProblems>();
        services.AddSignIns();
        services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));

        services.AddSingleton<ReadinessLog>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        services.AddApiDocs();
        builder.AddFiscusMetrics();
        return builder;
    }

    public static WebApplication UseFiscus(this WebApplication app)
    {
        app.UseTrustedProxies(app.Services.GetRequiredService<FiscusOptions>().TrustedProxies);
        app.UseMiddleware<SecurityHeaders>();
        app.UseHsts();
        app.UseMiddleware<RequestLog>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<BodySizeLimit>(app.Services.GetRequiredService<FiscusOptions>().MaxBodyBytes);
        app.UseAuthentication();
        app.UseMiddleware<CrossSiteRequests>();
        app.UseAuthorization();

        app.MapApiDocs();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });

        app.MapAuth();
        app.MapInstallation();
        app.MapScopes();
        app.MapOAuth();
        app.MapLibraries();
        app.MapFeeFineOwners();
        app.MapCashRegisters();
        app.MapDebitTypes();
        app.MapCreditTypes();
        app.MapPaymentTypes();
        app.MapPatrons();
        app.MapPatronPins();
        app.MapAccounts();
        app.MapPaymentIntake();
        app.MapPolaris();
        app.MapCashups();
        app.MapSales();
        app.MapReports();
        app.MapShifts();
        app.MapFolioPayments();
        app.MapFolioOwners();
        app.MapUsers();
        app.MapClients();
        app.MapSipLogins();
        app.MapAudit();
        app.MapMetrics();
        app.MapStaffApp();
        return app;
    }

    /// <summary>
    /// The native API's JSON: snake_case, and strict, so that a typo in a field name or a string where a
    /// number belongs is a 400 naming the field rather than a silently ignored value.
    /// </summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.NumberHandling = JsonNumberHandling.Strict;
    }

    /// <summary><c>--urls</c> on the command line, then FISCUS_URLS, then ASPNETCORE_URLS, then 127.0.0.1:5080.</summary>
    static string ListenUrls(IConfiguration configuration, string[] args)
    {
        var index = Array.FindIndex(args, a => a is "--urls" || a.StartsWith("--urls=", StringComparison.Ordinal));
        if (index >= 0)
        {
            return args[index].Contains('=', StringComparison.Ordinal) ? args[index]["--urls=".Length..] : args.ElementAtOrDefault(index + 1) ?? "";
        }
        return configuration["FISCUS_URLS"] is { Length: > 0 } fiscusUrls ? fiscusUrls
            : configuration["urls"] is { Length: > 0 } urls ? urls
            : FiscusOptions.DefaultUrls;
    }
}
