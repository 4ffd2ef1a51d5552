using System.Globalization;
using Fiscus.Ledger.Money;

namespace Fiscus.Server.Configuration;

/// <summary>
/// Installation settings. Each is read from the configuration key of the same name, so an environment
/// variable and an appsettings.json entry are interchangeable (<c>FISCUS_CURRENCY=EUR</c> or
/// <c>{"FISCUS_CURRENCY": "EUR"}</c>). The README lists them all.
/// </summary>
public sealed class FiscusOptions
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>FISCUS_DATABASE: Npgsql connection string of the role the server works as (its requests, housekeeping, the CLI's verbs).</summary>
    public required string Database { get; init; }

    /// <summary>
    /// FISCUS_MIGRATION_DATABASE: Npgsql connection string of the role that owns the schema. When set, migrations,
    /// first-start seeding and the runtime role's grants run through it, and FISCUS_DATABASE's role needs to own
    /// nothing. Unset, FISCUS_DATABASE does everything (as every installation did before there were two roles).
    /// </summary>
    public string? MigrationDatabase { get; init; }

    /// <summary>
    /// FISCUS_READ_DATABASE: Npgsql connection string of a replica that the reports and the audit log are read from (see
    /// <see cref="Startup.ReadDatabase"/>). Unset, they read FISCUS_DATABASE like everything else.
    /// </summary>
    public string? ReadDatabase { get; init; }

    /// <summary>FISCUS_CURRENCY: ISO 4217 code, default USD.</summary>
    public required Currency Currency { get; init; }

    /// <summary>FISCUS_ADMIN_PASSWORD: password for the admin created when there are no users.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>FISCUS_TIME_ZONE: IANA zone of the seeded library MAIN (default: this machine's zone, else UTC).</summary>
    public required string DefaultTimeZone { get; init; }

    /// <summary>FISCUS_BASIC_AUTH: accept HTTP Basic for staff users (Koha's RESTBasicAuth), default true.</summary>
    public bool BasicAuth { get; init; } = true;

    /// <summary>FISCUS_CLIENT_TOKEN_SECONDS: lifetime of client-credentials tokens, default 3600 (Koha's).</summary>
    public int ClientTokenSeconds { get; init; } = 3600;

    /// <summary>FISCUS_SESSION_SECONDS: lifetime of a staff login, default 8 hours.</summary>
    public int SessionSeconds { get; init; } = 8 * 3600;

    /// <summary>FISCUS_LOGIN_ATTEMPTS_PER_MINUTE: login and token requests per client address per minute.</summary>
    public int LoginAttemptsPerMinute { get; init; } = 10;

    /// <summary>FISCUS_MAX_BODY_BYTES: largest request body accepted, default 1 MiB.</summary>
    public long MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// FISCUS_POLARIS_PAYMENT_METHODS: Polaris PatronPaymentMethod numbers to Fiscus payment types,
    /// default <c>11=CASH,12=CARD,13=CARD</c> (cash, credit card, debit card).
    /// </summary>
    public IReadOnlyDictionary<int, string> PolarisPaymentMethods { get; init; } = ParsePaymentMethods(DefaultPolarisPaymentMethods);

    public const string DefaultPolarisPaymentMethods = "11=CASH,12=CARD,13=CARD";

    /// <summary>FISCUS_CASHUP_NOTE_REQUIRED: a counted amount that differs from the expected one needs a note.</summary>
    public bool CashupNoteRequired { get; init; }

    /// <summary>FISCUS_TRUSTED_PROXIES: reverse proxies whose X-Forwarded-* headers are believed (none by default).</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>FISCUS_CASH_NOTES, FISCUS_CASH_COINS: the notes and coins cash is counted in (defaults by currency).</summary>
    public IReadOnlyList<Installation.CashDenomination> CashDenominations { get; init; } = [];

    /// <summary>
    /// FISCUS_SEAL_INTERVAL_SECONDS: how often the background sealer seals what was written since its last seal (default 5);
    /// 0 turns it off (the benchmark's comparison; <c>fiscus seal now</c> still seals by hand).
    /// </summary>
    public int SealIntervalSeconds { get; init; } = DefaultSealIntervalSeconds;

    public const int DefaultSealIntervalSeconds = 5;

    /// <summary>
    /// FISCUS_COMMIT_RESOLVE_SECONDS: how long a money command whose COMMIT lost its answer keeps asking the database (or the
    /// new primary) whether it was kept, before answering 503 <c>outcome_unknown</c> (default 15).
    /// </summary>
    public int CommitResolveSeconds { get; init; } = (int)Ledger.Commands.CommandRunner.DefaultResolveFor.TotalSeconds;

    /// <summary>FISCUS_METRICS: serve <c>GET /metrics</c> (Prometheus text, <c>metrics:read</c>), default false.</summary>
    public bool Metrics { get; init; }

    /// <summary>FISCUS_OTLP_ENDPOINT: an OpenTelemetry collector to push the same metrics to (OTLP over gRPC); unset, nothing is pushed.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>FISCUS_METRICS and FISCUS_OTLP_ENDPOINT, read on their own: the host needs them before its services exist.</summary>
    public static (bool Metrics, Uri? OtlpEndpoint) MetricsSettings(IConfiguration configuration)
    {
        Uri? otlp = null;
        if (NullIfEmpty(configuration["FISCUS_OTLP_ENDPOINT"]) is { } endpoint &&
            (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out otlp) || otlp.Scheme is not ("http" or "https")))
        {
            throw new ConfigurationException($"FISCUS_OTLP_ENDPOINT must be an http:// or https:// address (e.g. http://collector:4317), not '{endpoint}'.");
        }
        return (Bool(configuration, "FISCUS_METRICS", false), otlp);
    }

    public static FiscusOptions FromConfiguration(IConfiguration configuration)
    {
        var database = configuration["FISCUS_DATABASE"];
        if (string.IsNullOrWhiteSpace(database))
        {
            throw new ConfigurationException(
                "FISCUS_DATABASE is not set. Start Fiscus with ./run (which provides a private PostgreSQL) " +
                "or set FISCUS_DATABASE to an Npgsql connection string.");
        }
        ConnectionSettings.Check("FISCUS_DATABASE", database);
        if (NullIfEmpty(configuration["FISCUS_MIGRATION_DATABASE"]) is { } migration)
        {
            ConnectionSettings.Check("FISCUS_MIGRATION_DATABASE", migration);
        }
        if (NullIfEmpty(configuration["FISCUS_READ_DATABASE"]) is { } read)
        {
            ConnectionSettings.Check("FISCUS_READ_DATABASE", read);
        }
        Http.TrustedProxies.RefuseFrameworkForwarding(configuration);
        var currencyCode = configuration["FISCUS_CURRENCY"] ?? "USD";
        if (!Currency.TryFromCode(currencyCode, out var currency))
        {
            throw new ConfigurationException($"FISCUS_CURRENCY '{currencyCode}' is not an ISO 4217 currency code.");
        }
        var (metrics, otlpEndpoint) = MetricsSettings(configuration);
        return new FiscusOptions
        {
            Database = database,
            Metrics = metrics,
            OtlpEndpoint = otlpEndpoint,
            MigrationDatabase = NullIfEmpty(configuration["FISCUS_MIGRATION_DATABASE"]),
            ReadDatabase = NullIfEmpty(configuration["FISCUS_READ_DATABASE"]),
            Currency = currency,
            AdminPassword = NullIfEmpty(configuration["FISCUS_ADMIN_PASSWORD"]),
            DefaultTimeZone = NullIfEmpty(configuration["FISCUS_TIME_ZONE"]) ?? MachineTimeZone(),
            BasicAuth = Bool(configuration, "FISCUS_BASIC_AUTH", true),
            ClientTokenSeconds = Int(configuration, "FISCUS_CLIENT_TOKEN_SECONDS", 3600, 60, 86400),
            SessionSeconds = Int(configuration, "FISCUS_SESSION_SECONDS", 8 * 3600, 60, 30 * 86400),
            LoginAttemptsPerMinute = Int(configuration, "FISCUS_LOGIN_ATTEMPTS_PER_MINUTE", 10, 1, 100000),
            MaxBodyBytes = Int(configuration, "FISCUS_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
            CashupNoteRequired = Bool(configuration, "FISCUS_CASHUP_NOTE_REQUIRED", false),
            SealIntervalSeconds = Int(configuration, "FISCUS_SEAL_INTERVAL_SECONDS", DefaultSealIntervalSeconds, 0, 3600),
            CommitResolveSeconds = Int(configuration, "FISCUS_COMMIT_RESOLVE_SECONDS",
                (int)Ledger.Commands.CommandRunner.DefaultResolveFor.TotalSeconds, 1, 300),
            PolarisPaymentMethods = ParsePaymentMethods(
                NullIfEmpty(configuration["FISCUS_POLARIS_PAYMENT_METHODS"]) ?? DefaultPolarisPaymentMethods),
            TrustedProxies = Http.TrustedProxies.Parse(configuration[Http.TrustedProxies.Setting]),
            CashDenominations = Installation.CashDenominations.FromConfiguration(configuration, currency),
        };
    }

    static Dictionary<int, string> ParsePaymentMethods(string value)
    {
        var methods = new Dictionary<int, string>();
        foreach (var pair in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var method) ||
                parts[1].Length == 0 || !methods.TryAdd(method, parts[1]))
            {
                throw new ConfigurationException(
                    $"FISCUS_POLARIS_PAYMENT_METHODS must look like '11=CASH,12=CARD' (one entry per method number); '{pair}' does not.");
            }
        }
        return methods;
    }

    static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    static string MachineTimeZone() =>
        TimeZoneInfo.Local.HasIanaId && !string.Equals(TimeZoneInfo.Local.Id, "Local", StringComparison.Ordinal)
            ? TimeZoneInfo.Local.Id
            : "UTC";

    static bool Bool(IConfiguration configuration, string key, bool fallback)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }
        return value.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new ConfigurationException($"{key} must be true or false, not '{value}'."),
        };
    }

    internal static int Int(IConfiguration configuration, string key, int fallback, int min, int max)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            throw new ConfigurationException($"{key} must be a whole number from {min} to {max}, not '{value}'.");
        }
        return parsed;
    }
}

/// <summary>A setting is missing or wrong; the message says which and how to fix it.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
