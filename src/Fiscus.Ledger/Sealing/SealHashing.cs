namespace Fiscus.Ledger.Sealing;

/// <summary>
/// How a seal's hash is made from its rows, in SQL shared by the sealer (which computes it once) and the verifier (which
/// computes it again for every seal). PostgreSQL's built-in sha256() does the hashing; nothing here is cryptography of
/// our own.
/// </summary>
/// <remarks>
/// A seal's hash is SHA-256 over: the previous seal's hash (32 zero bytes before the first), its header as a JSON array
/// (number, transaction range, row count, encoding, time sealed in UTC) and its body. The body is SHA-256 over the hashes
/// of consecutive chunks of <see cref="ChunkRows"/> row hashes, in position order: one level of chunking keeps every
/// value PostgreSQL concatenates small (a seal of the history of a large installation can hold millions of rows).
/// </remarks>
static class SealHashing
{
    public const int ChunkRows = 4096;

    /// <summary>
    /// Per seal of the <c>ledger_seal_rows</c> matching <paramref name="filter"/>: <c>seal_no</c>, <c>body</c>, and for the
    /// verifier <c>rows</c>, <c>first_position</c> and <c>last_position</c>.
    /// </summary>
    public static string Bodies(string filter) => $"""
        SELECT seal_no, sha256(string_agg(chunk_hash, ''::bytea ORDER BY chunk)) AS body, sum(rows)::bigint AS rows,
               min(first_position) AS first_position, max(last_position) AS last_position
        FROM (SELECT seal_no, (position - 1) / {ChunkRows} AS chunk, sha256(string_agg(row_hash, ''::bytea ORDER BY position)) AS chunk_hash,
                     count(*) AS rows, min(position) AS first_position, max(position) AS last_position
              FROM ledger_seal_rows WHERE {filter} GROUP BY seal_no, (position - 1) / {ChunkRows}) chunks
        GROUP BY seal_no
        """;

    /// <summary>The hash of seal <paramref name="seal"/> (columns as in ledger_seals) with body <paramref name="body"/>.</summary>
    public static string SealHash(string seal, string body) => $"""
        sha256({seal}.previous_hash
               || convert_to(jsonb_build_array({seal}.seal_no, {seal}.xid_from::text, {seal}.xid_to::text, {seal}.row_count, {seal}.encoding,
                                               {seal}.sealed_at AT TIME ZONE 'UTC')::text, 'UTF8')
               || {body}.body)
        """;
}
