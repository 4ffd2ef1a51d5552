using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Sealing;

/// <summary>Where the seal stands: its last seal, how many rows the chain covers and how many wait for the next seal.</summary>
/// <param name="Latest">The last seal; null before the first.</param>
/// <param name="RowsWaiting">Parts made final since the last seal's horizon (or by transactions still open): not covered yet.</param>
public sealed record SealStatus(LedgerSeal? Latest, long RowsSealed, long RowsWaiting)
{
    static readonly string CountsSql = $"""
        WITH last AS (SELECT COALESCE((SELECT xid_to FROM ledger_seals ORDER BY seal_no DESC LIMIT 1), '0'::xid8) AS sealed_to)
        SELECT (SELECT COALESCE(sum(row_count), 0)::bigint FROM ledger_seals) AS sealed,
               {string.Join(" + ", SealedSources.All.Select(s => $"(SELECT count(*) FROM {s.Table}, last WHERE {s.XidColumn} >= last.sealed_to)"))} AS waiting
        """;

    public static async Task<SealStatus> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var latest = await LedgerSeal.LatestAsync(connection, transaction, cancellationToken);
        var (sealedRows, waiting) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            CountsSql, transaction: transaction, cancellationToken: cancellationToken));
        return new SealStatus(latest, sealedRows, waiting);
    }
}
