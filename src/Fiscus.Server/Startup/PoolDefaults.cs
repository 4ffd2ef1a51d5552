using System.Data.Common;
using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>
/// The runtime pool's two settings that make a command cheap: no <c>DISCARD ALL</c> when a connection goes back to the
/// pool, and Npgsql's automatic preparation of the statements used most. <c>DISCARD ALL</c> also throws away every plan
/// PostgreSQL cached in the session — those of the ledger's trigger functions too — so without these each payment's
/// statements and triggers were parsed and planned again (issue 15's profile: most of PostgreSQL's CPU). Fiscus leaves
/// no session state on a pooled connection (no SET, no temp tables; the migration lock is released explicitly).
/// </summary>
public static class PoolDefaults
{
    public const int MaxAutoPrepare = 100;

    /// <summary>Sets both unless the operator's connection string names them (theirs wins, e.g. for PgBouncer).</summary>
    public static void Apply(string connectionString, NpgsqlConnectionStringBuilder settings)
    {
        // Not settings.ContainsKey: Npgsql's builder answers true for every keyword it knows, set or not, which is
        // how these defaults were never applied before.
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        if (!written.Contains("noresetonclose"))
        {
            settings.NoResetOnClose = true;
        }
        if (!written.Contains("maxautoprepare"))
        {
            settings.MaxAutoPrepare = MaxAutoPrepare;
        }
    }
}
