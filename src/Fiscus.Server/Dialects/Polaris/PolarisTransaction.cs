using Fiscus.Ledger.Accounts;
using System.Globalization;
using Dapper;
using Fiscus.Ledger.Money;
using Npgsql;

namespace Fiscus.Server.Dialects.Polaris;

/// <summary>
/// A row of Polaris' fines-and-fees list, as the pay endpoint's example shows it. A Fiscus account line id
/// is the TxnID. Amounts carry Polaris' four decimals; TxnDate is the library's local time without an
/// offset, as Polaris writes it.
/// </summary>
public sealed record PolarisTransaction(
    long ItemRecordID,
    long TxnID,
    int TxnCodeID,
    string? CallNumber,
    string? MaterialType,
    string TxnDate,
    string Type,
    string FeeDescription,
    string BrowseTitle,
    string? Barcode,
    decimal TxnAmount,
    decimal OutstandingAmount,
    string? Organization,
    int? TxnOrgID,
    string? FreeTextNote,
    int? WaiverRequestID,
    bool HasPendingWaiverRequest)
{
    sealed record Row(
        long AccountLineId, long? ItemId, string? DebitTypeCode, string? CreditTypeCode, long AmountMinor, long AmountOutstandingMinor,
        DateTime PostedAt, string? Description, string? TypeDescription, string? LibraryName, string? TimeZone);

    /// <summary>The patron's transactions, newest first; only outstanding charges when <paramref name="outstandingChargesOnly"/>.</summary>
    public static async Task<IReadOnlyList<PolarisTransaction>> ListAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, long patronId, bool outstandingChargesOnly, Currency currency,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT l.account_line_id, l.item_id, l.debit_type_code, l.credit_type_code, l.amount_minor, l.amount_outstanding_minor,
                   l.posted_at, l.description, COALESCE(dt.description, ct.description) AS type_description,
                   lib.name AS library_name, lib.time_zone
            FROM account_lines l
            LEFT JOIN debit_types dt ON dt.code = l.debit_type_code
            LEFT JOIN credit_types ct ON ct.code = l.credit_type_code
            LEFT JOIN libraries lib ON lib.library_id = l.library_id
            WHERE l.patron_id = @patronId
              {(outstandingChargesOnly ? "AND l.debit_type_code IS NOT NULL AND l.amount_outstanding_minor > 0" : "")}
            ORDER BY l.posted_at DESC, l.account_line_id DESC
            """, new { patronId }, transaction, cancellationToken: cancellationToken));
        return rows.Select(row => From(row, currency)).ToList();
    }

    static PolarisTransaction From(Row row, Currency currency)
    {
        var (code, type) = Classify(row.DebitTypeCode, row.CreditTypeCode);
        return new PolarisTransaction(
            row.ItemId ?? 0, row.AccountLineId, code, null, null, LocalTime(row.PostedAt, row.TimeZone), type,
            row.TypeDescription ?? row.DebitTypeCode ?? row.CreditTypeCode ?? "", "", null,
            FourDecimals(Math.Abs(row.AmountMinor), currency), FourDecimals(Math.Abs(row.AmountOutstandingMinor), currency),
            row.LibraryName, null, row.Description, null, false);
    }

    /// <summary>Polaris' PatronAccountTxnCode for a Fiscus line.</summary>
    static (int Code, string Type) Classify(string? debitType, string? creditType) => (debitType, creditType) switch
    {
        (LineTypes.Payout, _) => (9, "Refund"),
        (not null, _) => (1, "Charge"),
        (_, LineTypes.Payment or LineTypes.Purchase) => (2, "Payment"),
        (_, LineTypes.Refund) => (9, "Refund"),
        (_, LineTypes.WriteOff or LineTypes.Forgiven or LineTypes.Cancellation or LineTypes.Discount) => (6, "Waive"),
        _ => (8, "Credit"),
    };

    static string LocalTime(DateTime postedAt, string? timeZone)
    {
        var utc = DateTime.SpecifyKind(postedAt, DateTimeKind.Utc);
        var local = timeZone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone)
            ? TimeZoneInfo.ConvertTimeFromUtc(utc, zone)
            : utc;
        return local.ToString("yyyy-MM-dd'T'HH:mm:ss.FFF", CultureInfo.InvariantCulture);
    }

    /// <summary>Polaris money is money(19,4): 6 becomes 6.0000.</summary>
    static decimal FourDecimals(long amountMinor, Currency currency) =>
        decimal.Round(currency.ToMajor(amountMinor), 4) + 0.0000m;
}
