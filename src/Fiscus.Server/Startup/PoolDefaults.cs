using System.Data.Common;
using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>
/// The runtime pool's setting that makes a command cheap: Npgsql's automatic preparation of the statements used most.
/// Without it every statement was parsed and planned again on each use, and so — because Npgsql then resets a pooled
/// connection with <c>DISCARD ALL</c> — were the statements inside the ledger's trigger functions (issue 15's profile: most
/// of PostgreSQL's CPU; the intake went from 182 to 405 payments/s at 8 clients). With statements prepared, Npgsql resets a
/// returned connection without deallocating them or discarding plans, while still clearing session settings and advisory
/// locks, so the reset stays on.
/// </summary>
public static class PoolDefaults
{
    public const int MaxAutoPrepare = 100;

    /// <summary>
    /// How long a multi-host pool trusts what it learnt of a host (primary, standby, down). Npgsql's 10 s kept a promoted
    /// standby marked "standby" for up to 10 s after a failover, every write failing meanwhile; a recheck costs one
    /// query per host per second at most.
    /// </summary>
    public const int HostRecheckSeconds = 1;

    /// <summary>
    /// PostgreSQL ends a session of Fiscus's that sits idle inside a transaction this long. Fiscus never does (its
    /// transactions run statement after statement); a transaction left open by a Fiscus host that died or was cut off by a
    /// partition does, holding the patron's account row and the request's key until the server's TCP keepalive gives up on
    /// the dead peer (Linux: about 2 h 11 min), and every payment for that patron waits on it. Shorter than
    /// FISCUS_COMMIT_RESOLVE_SECONDS' default (15 s), so the instance asking about that lost COMMIT sees it rolled back in time.
    /// </summary>
    public const int IdleInTransactionTimeoutMilliseconds = 10_000;

    /// <summary>The startup option that sets it (Npgsql's <c>Options</c>, passed to the server when a connection opens).</summary>
    public static readonly string IdleInTransactionOption =
        $"-c idle_in_transaction_session_timeout={IdleInTransactionTimeoutMilliseconds}";

    /// <summary>A pool that requests are served from (FISCUS_DATABASE, FISCUS_READ_DATABASE), with these defaults applied.</summary>
    public static NpgsqlDataSource Build(string connectionString, string name, ILoggerFactory loggers)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = name };
        Apply(connectionString, builder.ConnectionStringBuilder);
        builder.UseLoggerFactory(loggers);
        return builder.Build();
    }

    /// <summary>Sets them unless the operator's connection string names them (theirs wins: <c>Max Auto Prepare=0</c> for PgBouncer).</summary>
    public static void Apply(string connectionString, NpgsqlConnectionStringBuilder settings)
    {
        // Not settings.ContainsKey: Npgsql's builder answers true for every keyword it knows, set or not, which is how this
        // default was never applied before.
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        if (!written.Contains("maxautoprepare"))
        {
            settings.MaxAutoPrepare = MaxAutoPrepare;
        }
        if (!written.Contains("hostrecheckseconds"))
        {
            settings.HostRecheckSeconds = HostRecheckSeconds;
        }
        // Behind PgBouncer, which refuses startup options unless its ignore_startup_parameters names them, the operator lists
        // "options" there and sets the timeout on the role: ALTER ROLE ... SET idle_in_transaction_session_timeout = '10s' (README).
        if (!written.Contains("options"))
        {
            settings.Options = IdleInTransactionOption;
        }
    }
}
