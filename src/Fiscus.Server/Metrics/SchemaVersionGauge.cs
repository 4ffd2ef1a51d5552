using System.Diagnostics.Metrics;
using Fiscus.Ledger.Telemetry;
using Npgsql;

namespace Fiscus.Server.Metrics;

/// <summary>
/// <c>fiscus.schema.version</c>: the newest migration applied to the database this instance works on, so a fleet mid-upgrade
/// shows which database is where. Read from <c>schema_migrations</c> at most once a minute (a scrape every few seconds must not
/// become a query every few seconds); while the database cannot be asked, the last value read is reported.
/// </summary>
/// <remarks>Its meter comes from the host's <see cref="IMeterFactory"/>, so the gauge (and its data source) go with the host.</remarks>
public sealed class SchemaVersionGauge
{
    static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);

    readonly NpgsqlDataSource db;
    readonly ILogger<SchemaVersionGauge> logger;
    readonly Lock gate = new();
    long? version;
    DateTimeOffset readAt = DateTimeOffset.MinValue;

    public SchemaVersionGauge(IMeterFactory meters, NpgsqlDataSource db, ILogger<SchemaVersionGauge> logger)
    {
        this.db = db;
        this.logger = logger;
        meters.Create(FiscusMeter.Name).CreateObservableGauge("fiscus.schema.version", Observe, "{version}",
            "The newest migration applied to the database (schema_migrations), read at most once a minute.");
    }

    IEnumerable<Measurement<long>> Observe()
    {
        lock (gate)
        {
            if (DateTimeOffset.UtcNow - readAt >= CacheFor)
            {
                readAt = DateTimeOffset.UtcNow;
                try
                {
                    // Observable instruments are read synchronously by the exporter; a short timeout bounds a scrape.
                    using var command = db.CreateCommand("SELECT max(version) FROM schema_migrations");
                    command.CommandTimeout = 2;
                    version = command.ExecuteScalar() is int newest ? newest : version;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    logger.LogDebug(e, "The schema version could not be read for the metrics; the last one read is reported");
                }
            }
            return version is { } known ? [new Measurement<long>(known)] : [];
        }
    }
}
