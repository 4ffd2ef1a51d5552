using System.Globalization;
using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Sealing;

/// <summary>
/// One block of the ledger's hash chain (a <c>ledger_seals</c> row): the parts stamped by transactions in
/// [<see cref="XidFrom"/>, <see cref="XidTo"/>), <see cref="RowCount"/> of them, hashed with the seal before it.
/// <see cref="HashHex"/> is what an auditor records off-site.
/// </summary>
public sealed record LedgerSeal(
    long SealNo, byte[] Hash, byte[] PreviousHash, ulong XidFrom, ulong XidTo, long RowCount, short Encoding, DateTimeOffset SealedAt)
{
    /// <summary>What the first seal names as the one before it.</summary>
    public static IReadOnlyList<byte> GenesisHash { get; } = new byte[32];

    /// <summary>64 lower-case hex digits.</summary>
    public string HashHex => Convert.ToHexStringLower(Hash);

    /// <summary>A ledger_seals row as <see cref="Columns"/> reads it (transaction ids as text: Dapper has no xid8).</summary>
    internal sealed record Row(long SealNo, byte[] Hash, byte[] PreviousHash, string XidFrom, string XidTo, long RowCount, short Encoding, DateTime SealedAt)
    {
        public LedgerSeal ToSeal() => new(SealNo, Hash, PreviousHash, ulong.Parse(XidFrom, CultureInfo.InvariantCulture),
            ulong.Parse(XidTo, CultureInfo.InvariantCulture), RowCount, Encoding, new DateTimeOffset(DateTime.SpecifyKind(SealedAt, DateTimeKind.Utc)));
    }

    internal const string Columns = "seal_no, hash, previous_hash, xid_from::text AS xid_from, xid_to::text AS xid_to, row_count, encoding, sealed_at";

    const string Select = $"SELECT {Columns} FROM ledger_seals";

    /// <summary>The last seal of the chain; null before the first.</summary>
    public static async Task<LedgerSeal?> LatestAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"{Select} ORDER BY seal_no DESC LIMIT 1", transaction: transaction, cancellationToken: cancellationToken)))?.ToSeal();

    /// <summary>The seal with this hash; null when the chain has none.</summary>
    public static async Task<LedgerSeal?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, byte[] hash, CancellationToken cancellationToken) =>
        (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"{Select} WHERE hash = @hash", new { hash }, transaction, cancellationToken: cancellationToken)))?.ToSeal();

    /// <summary>A hash as <c>fiscus seal show</c> prints it (64 hex digits, either case); null when it is not one.</summary>
    public static byte[]? ParseHash(string? text)
    {
        var trimmed = text?.Trim();
        if (trimmed is not { Length: 64 } || !trimmed.All(char.IsAsciiHexDigit))
        {
            return null;
        }
        return Convert.FromHexString(trimmed);
    }
}
