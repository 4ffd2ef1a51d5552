using System.Data;
using System.Globalization;
using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Sealing;

/// <summary>What one attempt to seal did.</summary>
public enum SealOutcome
{
    /// <summary>A new seal covers every part made final since the last one.</summary>
    Sealed,

    /// <summary>No part was made final since the last seal (or every transaction since is still open).</summary>
    NothingNew,

    /// <summary>Another instance of Fiscus is sealing at this moment; its seal will cover the same rows.</summary>
    OtherSealer,

    /// <summary>
    /// The database's transaction ids are behind the last seal's horizon, which they never are on the cluster that sealed:
    /// a logical dump restored into another cluster. Nothing can be sealed until they pass it (README, "The seal").
    /// </summary>
    TransactionIdsBehind,
}

/// <param name="Seal">The new seal; for <see cref="SealOutcome.TransactionIdsBehind"/>, the last one.</param>
public sealed record SealAttempt(SealOutcome Outcome, LedgerSeal? Seal);

/// <summary>
/// Seals the next block of the ledger (migration 0012): every part stamped by a transaction that has ended since the last
/// seal's horizon, in one seal that names the last seal's hash. Run in the background (<c>BackgroundSealer</c>), by
/// <c>fiscus seal now</c>, or by tests; never inside a money write, which only stamps its own transaction id.
/// </summary>
/// <remarks>
/// The horizon is <c>pg_snapshot_xmin(pg_current_snapshot())</c>, the oldest transaction still running. Every transaction
/// below it has committed or rolled back, so the rows it stamped are all visible now (or gone for good), and every
/// transaction that writes later gets a larger id: the block [last horizon, horizon) is complete and can never grow. A row
/// of a transaction still open, even one holding a lower account line id than rows already sealed, stays above the
/// horizon until it ends and goes into a later seal. Only transactions that were assigned an id (that wrote something)
/// hold the horizon back; a long read-only query does not, and a transaction left open delays sealing, never money.
/// Instances take turns by an advisory lock; the chain's trigger and unique constraints refuse a fork regardless.
/// </remarks>
public static class LedgerSealer
{
    /// <summary>Serializes sealers across instances: "FISCUS" then 4.</summary>
    public const long SealLockKey = 0x464953435553_0004;

    /// <summary>
    /// The parts made final in [@from, @to), in the order of <see cref="SealedSources.All"/> and then by key, as chunks of up to
    /// <see cref="SealHashing.ChunkRows"/> rows of one part; answers how many rows it wrote.
    /// </summary>
    static readonly string RowsSql = $"""
        WITH written AS (
            INSERT INTO ledger_seal_chunks (seal_no, chunk, source, row_keys, row_hashes)
            SELECT @sealNo, row_number() OVER (ORDER BY part, piece) - 1, source, keys, hashes
            FROM (SELECT part, source, (place - 1) / {SealHashing.ChunkRows} AS piece, array_agg(row_key ORDER BY place) AS keys,
                         string_agg(row_hash, ''::bytea ORDER BY place) AS hashes
                  FROM ({string.Join("\n        UNION ALL\n", SealedSources.All.Select((s, i) => $"""
                      SELECT {i} AS part, row_number() OVER (ORDER BY {s.OrderSql("t")}) AS place, '{s.Name}'::text AS source,
                             {s.KeySql("t")} AS row_key, {s.RowHashSql("t")} AS row_hash
                      FROM {s.Table} t WHERE t.{s.XidColumn} >= @from::xid8 AND t.{s.XidColumn} < @to::xid8
                      """))}) parts
                  GROUP BY part, source, (place - 1) / {SealHashing.ChunkRows}) pieces
            RETURNING cardinality(row_keys) AS rows)
        SELECT COALESCE(sum(rows), 0)::bigint FROM written
        """;

    static readonly string SealSql = $"""
        WITH seal AS (
            SELECT @sealNo::bigint AS seal_no, @previous::bytea AS previous_hash, @from::xid8 AS xid_from, @to::xid8 AS xid_to,
                   @rowCount::bigint AS row_count, @encoding::smallint AS encoding, now() AS sealed_at),
        body AS ({SealHashing.Bodies("seal_no = @sealNo")})
        INSERT INTO ledger_seals (seal_no, previous_hash, hash, xid_from, xid_to, row_count, encoding, sealed_at)
        SELECT seal.seal_no, seal.previous_hash, {SealHashing.SealHash("seal", "body")}, seal.xid_from, seal.xid_to, seal.row_count,
               seal.encoding, seal.sealed_at
        FROM seal JOIN body ON body.seal_no = seal.seal_no
        RETURNING {LedgerSeal.Columns}
        """;

    public static async Task<SealAttempt> SealAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await SealAsync(connection, cancellationToken);
    }

    public static async Task<SealAttempt> SealAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // Read committed: each statement sees what committed before it, the last seal included once the lock is ours.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT pg_try_advisory_xact_lock(@SealLockKey)", new { SealLockKey }, transaction, cancellationToken: cancellationToken)))
        {
            return new SealAttempt(SealOutcome.OtherSealer, null);
        }
        var last = await LedgerSeal.LatestAsync(connection, transaction, cancellationToken);
        // Taken before this transaction writes anything, so it has no id of its own to hold the horizon back.
        var horizon = ulong.Parse((await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text", transaction: transaction, cancellationToken: cancellationToken)))!,
            CultureInfo.InvariantCulture);
        var from = last?.XidTo ?? 0;
        if (horizon <= from)
        {
            // The oldest transaction running never goes back on one cluster: a horizon behind the last is another cluster's.
            return new SealAttempt(horizon < from ? SealOutcome.TransactionIdsBehind : SealOutcome.NothingNew, last);
        }
        var block = new
        {
            sealNo = (last?.SealNo ?? 0) + 1,
            from = from.ToString(CultureInfo.InvariantCulture),
            to = horizon.ToString(CultureInfo.InvariantCulture),
        };
        // No timeout: the first seal of an installation covers its whole history.
        var rowCount = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            RowsSql, block, transaction, commandTimeout: 0, cancellationToken: cancellationToken));
        if (rowCount == 0)
        {
            // Nothing was written in the range: the next seal starts from the same place and loses nothing.
            return new SealAttempt(SealOutcome.NothingNew, null);
        }
        var made = await connection.QuerySingleAsync<LedgerSeal.Row>(new CommandDefinition(SealSql, new
        {
            block.sealNo, block.from, block.to, rowCount, encoding = SealedSources.Encoding,
            previous = last?.Hash ?? [.. LedgerSeal.GenesisHash],
        }, transaction, commandTimeout: 0, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new SealAttempt(SealOutcome.Sealed, made.ToSeal());
    }
}
