using Fiscus.Server.Configuration;
using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>
/// Where the reports (<c>/api/v1/reports</c>) and the audit log (<c>GET /api/v1/audit</c>) are read from: a replica named by
/// FISCUS_READ_DATABASE, else the runtime's own pool. A type of its own rather than a second <see cref="NpgsqlDataSource"/>
/// registration, so that nothing asks for the replica without meaning to: it may lag the primary, so nothing a write depends
/// on is read from it — not a money command, a credential (a revoked token must stop working at once), an idempotency key,
/// the account a cashier reads before taking a payment, a cash-up in progress, nor readiness (which is about the primary).
/// Nothing is connected to at start: a replica that is down makes its readers answer 503 <c>database_unavailable</c>,
/// and the rest of Fiscus goes on.
/// </summary>
public sealed class ReadDatabase : PoolHandle
{
    ReadDatabase(NpgsqlDataSource dataSource, bool separate) : base(dataSource, separate)
    {
    }

    /// <summary>Whether FISCUS_READ_DATABASE is set; otherwise <see cref="DataSource"/> is FISCUS_DATABASE's pool.</summary>
    public bool IsSeparate => Separate;

    public static ReadDatabase For(FiscusOptions options, NpgsqlDataSource runtime, ILoggerFactory loggers) =>
        options.ReadDatabase is { } connectionString
            // The same role and the same statements as the runtime's pool, so the same defaults (prepared statements, host recheck).
            ? new ReadDatabase(PoolDefaults.Build(connectionString, "fiscus-read", loggers), separate: true)
            : new ReadDatabase(runtime, separate: false);
}
