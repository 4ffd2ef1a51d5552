namespace Fiscus.Ledger.Sealing;

/// <summary>
/// How a seal's hash is made from its rows, in SQL shared by the sealer (which computes it once) and the verifier (which
/// computes it again for every seal). PostgreSQL's built-in sha256() does the hashing; nothing here is cryptography of
/// our own.
/// </summary>
/// <remarks>
/// A seal's hash is SHA-256 over: the previous seal's hash (32 zero bytes before the first), its header as a JSON array
/// (number, transaction range, row count, encoding, time sealed in UTC) and its body. The body is SHA-256 over the hashes
/// of its chunks in order, each the SHA-256 of the chunk's row hashes end to end: up to <see cref="ChunkRows"/> rows of one
/// table, so no value PostgreSQL concatenates grows large (a seal of the history of a large installation can hold
/// millions of rows). A row's hash covers its table and key (<see cref="SealedSource.RowHashSql"/>), so the chunks' key
/// lists need no hash of their own: a key moved or changed no longer matches its row.
/// </remarks>
static class SealHashing
{
    public const int ChunkRows = 4096;

    /// <summary>
    /// Per seal of the <c>ledger_seal_chunks</c> matching <paramref name="filter"/>: <c>seal_no</c>, <c>body</c>, and for
    /// the verifier <c>rows</c>, <c>chunks</c>, <c>last_chunk</c> and whether every chunk has one hash per key (<c>whole</c>).
    /// </summary>
    public static string Bodies(string filter) => $"""
        SELECT seal_no, sha256(string_agg(sha256(row_hashes), ''::bytea ORDER BY chunk)) AS body, sum(cardinality(row_keys))::bigint AS rows,
               count(*) AS chunks, min(chunk) AS first_chunk, max(chunk) AS last_chunk,
               bool_and(octet_length(row_hashes) = 32 * cardinality(row_keys)) AS whole
        FROM ledger_seal_chunks WHERE {filter} GROUP BY seal_no
        """;

    /// <summary>The hash of seal <paramref name="seal"/> (columns as in ledger_seals) with body <paramref name="body"/>.</summary>
    public static string SealHash(string seal, string body) => $"""
        sha256({seal}.previous_hash
               || convert_to(jsonb_build_array({seal}.seal_no, {seal}.xid_from::text, {seal}.xid_to::text, {seal}.row_count, {seal}.encoding,
                                               {seal}.sealed_at AT TIME ZONE 'UTC')::text, 'UTF8')
               || {body}.body)
        """;
}
