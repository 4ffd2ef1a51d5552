using Dapper;
using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>
/// PostgreSQL ends a session of Fiscus's that sits idle inside a transaction for 10 s. Fiscus never does (its transactions
/// run statement after statement); a transaction left open by a Fiscus host that died or was cut off by a partition does,
/// holding the patron's account row and the request's key until the server's TCP keepalive gives up on the dead peer
/// (Linux: about 2 h 11 min), every payment for that patron waiting on it. 10 s is shorter than FISCUS_COMMIT_RESOLVE_SECONDS'
/// default (15 s), so the instance asking about that lost COMMIT sees it rolled back in time.
/// </summary>
/// <remarks>
/// Set at start as the runtime role's own default in Fiscus's database (<c>ALTER ROLE CURRENT_USER IN DATABASE ... SET</c>,
/// which a role may do for itself), not as a startup option: PgBouncer refuses startup options, and its server connections
/// sign in as the role, so they get it too. A value the operator gave the role (or the role in this database) is kept.
/// </remarks>
public static class IdleTransactions
{
    public const string Timeout = "10s";

    /// <returns>Null when the role has the timeout (set now or by the operator); otherwise why it could not be set.</returns>
    public static async Task<string?> EnsureAsync(NpgsqlConnection runtime, CancellationToken cancellationToken)
    {
        if (await ConfiguredAsync(runtime, cancellationToken))
        {
            return null;
        }
        try
        {
            await runtime.ExecuteAsync(new CommandDefinition($"""
                DO $$ BEGIN
                    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET idle_in_transaction_session_timeout = %L',
                                   current_user, current_database(), '{Timeout}');
                END $$
                """, cancellationToken: cancellationToken));
            return null;
        }
        catch (PostgresException e)
        {
            // Another instance starting at the same moment may have set it first (a unique violation, "tuple concurrently updated").
            if (await ConfiguredAsync(runtime, cancellationToken))
            {
                return null;
            }
            return $"Could not give FISCUS_DATABASE's role idle_in_transaction_session_timeout = '{Timeout}' ({e.MessageText}): a " +
                "transaction left open by a Fiscus host that dies mid-request would hold its patron's account until TCP keepalive " +
                $"ends it. Set it yourself: ALTER ROLE <role> SET idle_in_transaction_session_timeout = '{Timeout}'.";
        }
    }

    static Task<bool> ConfiguredAsync(NpgsqlConnection runtime, CancellationToken cancellationToken) =>
        runtime.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (
                SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) AS c
                WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                  AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
                  AND c LIKE 'idle\_in\_transaction\_session\_timeout=%')
            """, cancellationToken: cancellationToken));
}
