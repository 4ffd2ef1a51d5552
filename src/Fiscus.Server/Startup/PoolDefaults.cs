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
    }
}
