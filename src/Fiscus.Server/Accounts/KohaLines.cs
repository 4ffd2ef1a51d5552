using System.Text.Json.Serialization;
using Dapper;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Fiscus.Server.Http;
using Npgsql;

namespace Fiscus.Server.Accounts;

/// <summary>
/// A line in one of Koha's shapes (<c>account_line</c>, <c>debit</c>, <c>credit</c>). Koha's definitions say
/// <c>additionalProperties: false</c>, so each shape carries exactly Koha's properties, plus <c>fiscus</c> only when the
/// client asked for it with <c>x-koha-embed: fiscus</c>. A list that mixes debits and credits (what an action changed)
/// writes each as its own kind.
/// </summary>
[JsonDerivedType(typeof(KohaDebit))]
[JsonDerivedType(typeof(KohaCredit))]
[JsonDerivedType(typeof(KohaAccountLine))]
public abstract record KohaLine;

/// <summary>
/// What Fiscus knows of a line beyond Koha's definition, under <c>x-koha-embed: fiscus</c>: the API client that wrote
/// it, the caller's own reference, the register session it is journaled to, how many of the item a sale sold, the line
/// it answers (the credit a VOID voids, the payment a REFUND refunds ...), and the interface Fiscus wrote it through
/// (the Koha shapes say <c>interface</c> too; here it is repeated beside the writer).
/// </summary>
public sealed record FiscusLineFacts(
    string? ClientId, string? ExternalId, long? RegisterSessionId, int? Quantity, long? RelatedAccountLineId, DateTime PostedAt);

/// <summary>Koha's <c>account_line</c>: both kinds in one shape (<c>debit_type</c> or <c>credit_type</c>).</summary>
public sealed record KohaAccountLine(
    long AccountLineId, decimal Amount, decimal AmountOutstanding, int? CashRegisterId, long? CheckoutId, long? OldCheckoutId,
    string? CreditNumber, string? CreditType, DateTime Date, string? DebitType, string? Description, string? Interface,
    string? InternalNote, long? ItemId, string? LibraryId, long? PatronId, string? PaymentType, string? PayoutType, string? Status,
    DateTime Timestamp, long? UserId) : KohaLine
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FiscusLineFacts? Fiscus { get; init; }
}

/// <summary>Koha's <c>debit</c>: the type is <c>type</c>; a PAYOUT says how it was paid out in <c>payout_type</c>.</summary>
public sealed record KohaDebit(
    long AccountLineId, decimal Amount, decimal AmountOutstanding, int? CashRegisterId, long? CheckoutId, DateTime Date,
    string? Description, string? Interface, string? InternalNote, long? ItemId, string? LibraryId, long? PatronId, string? PayoutType,
    string? Status, DateTime Timestamp, string? Type, long? UserId) : KohaLine
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FiscusLineFacts? Fiscus { get; init; }
}

/// <summary>Koha's <c>credit</c>: the type is <c>type</c>; the amount is negative, as Koha's own API answers it.</summary>
public sealed record KohaCredit(
    long AccountLineId, decimal Amount, decimal AmountOutstanding, int? CashRegisterId, string? CreditNumber, DateTime Date,
    string? Description, string? Interface, string? InternalNote, string? LibraryId, long? PatronId, string? PaymentType, string? Status,
    DateTime Timestamp, string? Type, long? UserId) : KohaLine
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FiscusLineFacts? Fiscus { get; init; }
}

/// <summary>
/// One line as read for the Koha shapes: the ledger row, the client that wrote it, and <see cref="Timestamp"/>, Koha's
/// "latest line update". Fiscus never updates a line's facts; what changes is its outstanding amount and status, and only
/// an offset changes them, so the timestamp is the newest of the line's posting and the offsets applied to it.
/// </summary>
public sealed record KohaLineRow(AccountLine Line, string? ClientId, DateTime Timestamp)
{
    const string Select = $"""
        SELECT l.account_line_id, l.patron_id, l.debit_type_code, l.credit_type_code, l.amount_minor, l.amount_outstanding_minor,
               l.payment_type, l.cash_register_id, l.library_id, l.item_id, {KohaLists.LineUserIdSql} AS user_id, l.api_client_id,
               l.interface, l.status, l.description, l.internal_note, l.external_id, l.related_account_line_id, l.register_session_id,
               l.quantity, l.posted_at, c.client_id, {KohaLists.LineTimestampSql} AS timestamp
        FROM account_lines l LEFT JOIN api_clients c ON c.api_client_id = l.api_client_id
        """;

    /// <summary>Lines by id, in the order asked, as they stand in this transaction.</summary>
    public static async Task<IReadOnlyList<KohaLineRow>> LoadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(connection, transaction, $"{Select} WHERE l.account_line_id = ANY(@ids)", new { ids = ids.ToArray() },
            cancellationToken);
        var byId = rows.ToDictionary(r => r.Line.AccountLineId);
        return ids.Distinct().Select(id => byId[id]).ToList();
    }

    /// <summary>Lines matching a condition on <c>l</c> (the account_lines alias), ordered as given.</summary>
    public static Task<IReadOnlyList<KohaLineRow>> WhereAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string condition, string orderBy, object parameters,
        CancellationToken cancellationToken) =>
        QueryAsync(connection, transaction, $"{Select} WHERE {condition} ORDER BY {orderBy}", parameters, cancellationToken);

    static async Task<IReadOnlyList<KohaLineRow>> QueryAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, object parameters, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<AccountLine, string?, DateTime, KohaLineRow>(new CommandDefinition(
                sql, parameters, transaction, cancellationToken: cancellationToken),
            (line, clientId, timestamp) => new KohaLineRow(line, clientId, DateTime.SpecifyKind(timestamp, DateTimeKind.Utc)),
            splitOn: "client_id,timestamp");
        return rows.AsList();
    }

    FiscusLineFacts? Facts(KohaEmbed embed) => embed.Has(KohaLines.FiscusEmbed)
        ? new FiscusLineFacts(ClientId, Line.ExternalId, Line.RegisterSessionId, Line.Quantity, Line.RelatedAccountLineId, Line.PostedAt)
        : null;

    public KohaAccountLine ToAccountLine(Currency currency, KohaEmbed embed) => new(
        Line.AccountLineId, currency.ToMajor(Line.AmountMinor), currency.ToMajor(Line.AmountOutstandingMinor), Line.CashRegisterId,
        CheckoutId: null, OldCheckoutId: null, CreditNumber: null, Line.CreditTypeCode, Line.PostedAt, Line.DebitTypeCode, Line.Description,
        Line.Interface, Line.InternalNote, Line.ItemId, Line.LibraryId, Line.PatronId,
        PaymentType: Line.IsCredit ? Line.PaymentType : null, PayoutType: Line.IsDebit ? Line.PaymentType : null,
        Line.Status, Timestamp, Line.UserId) { Fiscus = Facts(embed) };

    public KohaDebit ToDebit(Currency currency, KohaEmbed embed) => new(
        Line.AccountLineId, currency.ToMajor(Line.AmountMinor), currency.ToMajor(Line.AmountOutstandingMinor), Line.CashRegisterId,
        CheckoutId: null, Line.PostedAt, Line.Description, Line.Interface, Line.InternalNote, Line.ItemId, Line.LibraryId, Line.PatronId,
        PayoutType: Line.PaymentType, Line.Status, Timestamp, Line.DebitTypeCode, Line.UserId) { Fiscus = Facts(embed) };

    public KohaCredit ToCredit(Currency currency, KohaEmbed embed) => new(
        Line.AccountLineId, currency.ToMajor(Line.AmountMinor), currency.ToMajor(Line.AmountOutstandingMinor), Line.CashRegisterId,
        CreditNumber: null, Line.PostedAt, Line.Description, Line.Interface, Line.InternalNote, Line.LibraryId, Line.PatronId,
        Line.PaymentType, Line.Status, Timestamp, Line.CreditTypeCode, Line.UserId) { Fiscus = Facts(embed) };

    /// <summary>A debit as <c>debit</c>, a credit as <c>credit</c>.</summary>
    public KohaLine ToKind(Currency currency, KohaEmbed embed) => Line.IsDebit ? ToDebit(currency, embed) : ToCredit(currency, embed);
}

public static class KohaLines
{
    /// <summary>The embed that adds <see cref="FiscusLineFacts"/> to every line of a Koha-shaped answer.</summary>
    public const string FiscusEmbed = "fiscus";

    /// <summary>Lines written or read in this transaction, by id, as their own kind (<c>debit</c> or <c>credit</c>).</summary>
    public static async Task<IReadOnlyList<KohaLine>> KindsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<long> ids, Currency currency, KohaEmbed embed,
        CancellationToken cancellationToken) =>
        (await KohaLineRow.LoadAsync(connection, transaction, ids, cancellationToken)).Select(r => r.ToKind(currency, embed)).ToList();
}
