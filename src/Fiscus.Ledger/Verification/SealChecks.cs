using Dapper;
using Fiscus.Ledger.Sealing;
using Npgsql;

namespace Fiscus.Ledger.Verification;

public enum SealFindingKind
{
    /// <summary>A seal whose hash, link or rows do not recompute: the chain itself was edited.</summary>
    Chain,

    /// <summary>A sealed row whose columns are no longer what was sealed.</summary>
    Altered,

    /// <summary>A sealed row that is gone.</summary>
    Deleted,

    /// <summary>A row dated into a block already sealed (or beyond any real transaction), which no seal lists.</summary>
    Inserted,

    /// <summary>A row closed with no stamp of the transaction that closed it (the triggers were off): no seal will ever cover it.</summary>
    Unstamped,

    /// <summary>The hash recorded off-site (<c>--against</c>) names no seal of the chain.</summary>
    Unrecorded,
}

/// <summary>One thing the seal says changed: which table (and sealed part) and row, and the seal it contradicts.</summary>
/// <param name="Part">For tables sealed twice, the state sealed the second time (<c>closed</c>, <c>completed</c>); else null.</param>
public sealed record SealFinding(SealFindingKind Kind, string? Table, string? Part, string? Key, long? SealNo, string Detail)
{
    public string Check => Kind switch
    {
        SealFindingKind.Chain => "the seal chain recomputes",
        SealFindingKind.Altered or SealFindingKind.Deleted => "sealed rows are as they were sealed",
        SealFindingKind.Inserted => "no row was slipped into a sealed block",
        SealFindingKind.Unstamped => "every closed row is stamped for the seal",
        _ => "the recorded seal is in the chain",
    };
}

/// <summary>The seal as <c>fiscus verify</c> found it. Rows waiting for the next seal are not covered yet, which is no finding.</summary>
/// <param name="Anchor">With <c>--against</c>: the seal with the recorded hash, if the chain has it.</param>
public sealed record SealReport(SealStatus Status, LedgerSeal? Anchor, IReadOnlyList<SealFinding> Findings)
{
    public static SealReport Unchecked { get; } = new(new SealStatus(null, 0, 0), null, []);

    /// <summary>With <c>--against</c>: the recorded seal is in the chain and nothing up to it changed.</summary>
    public bool AnchorHolds => Anchor is { } anchor && !Findings.Any(f => f.SealNo is { } n && n <= anchor.SealNo);
}

/// <summary>
/// Recomputes the ledger's seal (migration 0012, <see cref="LedgerSealer"/>): every seal's hash from its predecessor's,
/// its header and its rows' hashes; every sealed row's hash from the row as it is now; and every row dated into a sealed
/// block against the seal that should list it. Rows made final since the last seal are not covered yet, and not findings.
/// </summary>
/// <remarks>
/// Without a hash recorded elsewhere, this proves only that the chain is as the sealer wrote it or was rewritten whole by
/// someone who recomputed every hash from the first changed row on (anyone with the database can run SHA-256). With
/// <c>--against</c> the hash an auditor recorded off-site, a rewrite shows: that seal is no longer in the chain.
/// </remarks>
static class SealChecks
{
    static readonly string ChainSql = $"""
        WITH bodies AS ({SealHashing.Bodies("true")}),
        seals AS (
            SELECT s.*, row_number() OVER w AS n, lag(s.hash) OVER w AS prior_hash, lag(s.xid_to) OVER w AS prior_to
            FROM ledger_seals s WINDOW w AS (ORDER BY s.seal_no))
        SELECT seal_no, detail FROM (
            SELECT s.seal_no, format('seal %s: %s', s.seal_no, CASE
                WHEN s.seal_no <> s.n THEN format('seal %s before it is missing', s.n)
                WHEN s.previous_hash <> COALESCE(s.prior_hash, '\x{new string('0', 64)}'::bytea) THEN 'it does not name the hash of the seal before it'
                WHEN s.xid_from <> COALESCE(s.prior_to, '0'::xid8) THEN format('its block starts at transaction %s, but the seal before it ended at %s', s.xid_from, COALESCE(s.prior_to, '0'::xid8))
                WHEN s.encoding <> {SealedSources.Encoding} THEN format('its rows are encoded as %s, which this build of Fiscus does not know', s.encoding)
                WHEN b.seal_no IS NULL OR b.rows <> s.row_count OR b.first_chunk <> 0 OR b.last_chunk <> b.chunks - 1 OR NOT b.whole
                    THEN format('it lists %s rows in %s chunks (%s to %s%s) but says %s rows', COALESCE(b.rows, 0), COALESCE(b.chunks, 0),
                                b.first_chunk, b.last_chunk, CASE WHEN b.whole THEN '' ELSE ', not one hash a row' END, s.row_count)
                ELSE 'its hash does not recompute from its header and rows' END) AS detail
            FROM seals s LEFT JOIN bodies b ON b.seal_no = s.seal_no
            WHERE s.seal_no <> s.n OR s.previous_hash <> COALESCE(s.prior_hash, '\x{new string('0', 64)}'::bytea)
               OR s.xid_from <> COALESCE(s.prior_to, '0'::xid8) OR s.encoding <> {SealedSources.Encoding}
               OR b.seal_no IS NULL OR b.rows <> s.row_count OR b.first_chunk <> 0 OR b.last_chunk <> b.chunks - 1 OR NOT b.whole
               OR {SealHashing.SealHash("s", "b")} <> s.hash
            UNION ALL
            SELECT b.seal_no, format('seal %s: %s rows name it, but there is no such seal', b.seal_no, b.rows)
            FROM bodies b WHERE NOT EXISTS (SELECT 1 FROM ledger_seals s WHERE s.seal_no = b.seal_no)
            UNION ALL
            SELECT max(seal_no), format('seal %s: it lists %s %s, which seal %s lists too', max(seal_no), source, row_key, min(seal_no))
            FROM ledger_seal_chunks, unnest(row_keys) AS row_key GROUP BY source, row_key HAVING count(*) > 1
        ) broken
        ORDER BY seal_no LIMIT @MaxPerCheck
        """;

    sealed record RowFinding(string Kind, string Key, long? SealNo, long? Position, string? Xid);

    /// <summary>
    /// Per sealed part: the rows a seal lists that are gone or no longer hash as sealed, the rows dated into a sealed block
    /// (below @sealedTo) or beyond any transaction of this snapshot (at or above @xmax) that no seal lists, and closed rows
    /// with no stamp. A listed row's position is its place in its seal, counted over the seal's chunks.
    /// </summary>
    static string RowsSql(SealedSource s) => $"""
        WITH chunks AS (
            SELECT seal_no, source, row_keys, row_hashes,
                   sum(cardinality(row_keys)) OVER (PARTITION BY seal_no ORDER BY chunk) - cardinality(row_keys) AS before
            FROM ledger_seal_chunks),
        listed AS (
            SELECT c.seal_no, c.before + k.place AS position, k.row_key, substring(c.row_hashes FROM (k.place::integer - 1) * 32 + 1 FOR 32) AS row_hash
            FROM chunks c, unnest(c.row_keys) WITH ORDINALITY AS k (row_key, place)
            WHERE c.source = '{s.Name}')
        SELECT kind, key, seal_no, position, xid FROM (
            SELECT CASE WHEN {s.KeySql("t")} IS NULL THEN 'deleted' WHEN r.row_key IS NULL AND t.{s.XidColumn} IS NULL THEN 'unstamped'
                        WHEN r.row_key IS NULL THEN 'inserted' ELSE 'altered' END AS kind,
                   COALESCE(r.row_key, {s.KeySql("t")}) AS key,
                   COALESCE(r.seal_no, (SELECT min(x.seal_no) FROM ledger_seals x WHERE t.{s.XidColumn} >= x.xid_from AND t.{s.XidColumn} < x.xid_to)) AS seal_no,
                   r.position, t.{s.XidColumn}::text AS xid
            FROM listed r
            FULL JOIN {s.Table} t ON r.row_key = {s.KeySql("t")}
            WHERE (r.row_key IS NOT NULL AND ({s.KeySql("t")} IS NULL OR r.row_hash IS DISTINCT FROM {s.RowHashSql("t")}))
               OR (r.row_key IS NULL AND (t.{s.XidColumn} < @sealedTo::xid8 OR t.{s.XidColumn} >= @xmax::xid8))
               OR (r.row_key IS NULL AND t.{s.XidColumn} IS NULL AND {s.FinalSql("t")})
        ) found
        ORDER BY seal_no NULLS LAST, position NULLS LAST, key LIMIT @MaxPerCheck
        """;

    public static async Task<SealReport> CheckAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, byte[]? against, int maxPerCheck, CancellationToken cancellationToken)
    {
        CommandDefinition Command(string sql, object? parameters = null) =>
            new(sql, parameters, transaction, commandTimeout: 0, cancellationToken: cancellationToken);

        var findings = new List<SealFinding>();
        var (sealedTo, xmax) = await connection.QuerySingleAsync<(string, string)>(Command(
            "SELECT COALESCE((SELECT xid_to FROM ledger_seals ORDER BY seal_no DESC LIMIT 1), '0'::xid8)::text, pg_snapshot_xmax(pg_current_snapshot())::text"));

        foreach (var (sealNo, detail) in await connection.QueryAsync<(long, string)>(Command(ChainSql, new { MaxPerCheck = maxPerCheck })))
        {
            findings.Add(new SealFinding(SealFindingKind.Chain, null, null, null, sealNo, detail));
        }
        var rowFindings = new List<(int Part, SealedSource Source, RowFinding Row)>();
        foreach (var (source, part) in SealedSources.All.Select((s, i) => (s, i)))
        {
            var rows = await connection.QueryAsync<RowFinding>(Command(RowsSql(source), new { sealedTo, xmax, MaxPerCheck = maxPerCheck }));
            rowFindings.AddRange(rows.Select(r => (part, source, r)));
        }
        // The first change first: by the seal it contradicts, then where that seal lists the row.
        findings.AddRange(rowFindings
            .OrderBy(f => f.Row.SealNo ?? long.MaxValue).ThenBy(f => f.Row.Position ?? long.MaxValue).ThenBy(f => f.Part)
            .Take(maxPerCheck).Select(f => Describe(f.Source, f.Row)));

        LedgerSeal? anchor = null;
        if (against is not null)
        {
            anchor = await LedgerSeal.FindAsync(connection, transaction, against, cancellationToken);
            if (anchor is null)
            {
                findings.Insert(0, new SealFinding(SealFindingKind.Unrecorded, null, null, null, null,
                    $"no seal has the hash {Convert.ToHexStringLower(against)}: the chain was rewritten after it was recorded, or the hash is another installation's"));
            }
        }
        return new SealReport(await SealStatus.ReadAsync(connection, transaction, cancellationToken), anchor, findings);
    }

    static SealFinding Describe(SealedSource source, RowFinding row)
    {
        var part = source.Name.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 ? source.Name[(colon + 1)..] : null;
        var name = $"{source.Table} {row.Key}{(part is null ? "" : $" ({part})")}";
        var seal = row.SealNo is { } n ? $"seal {n}" : "no seal";
        return row.Kind switch
        {
            "deleted" => new SealFinding(SealFindingKind.Deleted, source.Table, part, row.Key, row.SealNo,
                $"{name}: deleted, but {seal} lists it (row {row.Position})"),
            "altered" => new SealFinding(SealFindingKind.Altered, source.Table, part, row.Key, row.SealNo,
                $"{name}: altered since {seal} sealed it (row {row.Position})"),
            "unstamped" => new SealFinding(SealFindingKind.Unstamped, source.Table, part, row.Key, null,
                $"{name}: closed without the stamp of the transaction that closed it (its triggers were off), so no seal will ever cover it"),
            _ => new SealFinding(SealFindingKind.Inserted, source.Table, part, row.Key, row.SealNo, row.SealNo is null
                ? $"{name}: stamped by transaction {row.Xid}, which had not begun when this check started, so no seal will ever cover it"
                : $"{name}: inserted into the block of {seal} (stamped by transaction {row.Xid}), which does not list it"),
        };
    }
}
