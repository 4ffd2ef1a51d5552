using Dapper;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Npgsql;

namespace Fiscus.Server.Accounts;

/// <summary>
/// An account line on Fiscus's native routes (a register session's lines), every fact in one flat shape: amounts in
/// major units, credits negative. <c>client_id</c> names the API client that wrote it (null for staff); <c>date</c> is
/// when it was posted. The Koha routes answer Koha's own shapes instead (<see cref="KohaLineRow"/>).
/// </summary>
public sealed record AccountLineDto(
    long AccountLineId,
    long? PatronId,
    string? DebitType,
    string? CreditType,
    decimal Amount,
    decimal AmountOutstanding,
    string? Description,
    string? InternalNote,
    string? PaymentType,
    int? CashRegisterId,
    string? LibraryId,
    long? ItemId,
    int? Quantity,
    long? UserId,
    string? ClientId,
    string Interface,
    string? Status,
    DateTime Date,
    string? ExternalId,
    long? RelatedAccountLineId,
    long? RegisterSessionId)
{
    sealed record Row
    {
        public required AccountLine Line { get; init; }
        public string? ClientId { get; init; }
    }

    const string Select = $"""
        SELECT l.account_line_id, l.patron_id, l.debit_type_code, l.credit_type_code, l.amount_minor, l.amount_outstanding_minor,
               l.payment_type, l.cash_register_id, l.library_id, l.item_id, l.user_id, l.api_client_id, l.interface, l.status,
               l.description, l.internal_note, l.external_id, l.related_account_line_id, l.register_session_id, l.quantity, l.posted_at,
               c.client_id
        FROM account_lines l LEFT JOIN api_clients c ON c.api_client_id = l.api_client_id
        """;

    public static AccountLineDto From(AccountLine line, string? clientId, Currency currency) => new(
        line.AccountLineId, line.PatronId, line.DebitTypeCode, line.CreditTypeCode, currency.ToMajor(line.AmountMinor),
        currency.ToMajor(line.AmountOutstandingMinor), line.Description, line.InternalNote, line.PaymentType, line.CashRegisterId,
        line.LibraryId, line.ItemId, line.Quantity, line.UserId, clientId, line.Interface, line.Status, line.PostedAt, line.ExternalId,
        line.RelatedAccountLineId, line.RegisterSessionId);

    /// <summary>Lines matching a condition on <c>l</c> (the account_lines alias), ordered as given.</summary>
    public static Task<IReadOnlyList<AccountLineDto>> WhereAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string condition, string orderBy, object parameters,
        Currency currency, CancellationToken cancellationToken) =>
        QueryAsync(connection, transaction, $"{Select} WHERE {condition} ORDER BY {orderBy}", parameters, currency, cancellationToken);

    static async Task<IReadOnlyList<AccountLineDto>> QueryAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, object parameters, Currency currency,
        CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<AccountLine, string?, AccountLineDto>(new CommandDefinition(
                sql, parameters, transaction, cancellationToken: cancellationToken),
            (line, clientId) => From(line, clientId, currency), splitOn: "client_id");
        return rows.AsList();
    }
}

/// <summary>An offset on the wire: APPLY amounts are negative (what the credit took off the debit).</summary>
public sealed record AccountOffsetDto(long AccountOffsetId, long? CreditId, long? DebitId, string Type, decimal Amount, DateTime CreatedAt)
{
    public static AccountOffsetDto From(AccountOffset offset, Currency currency) => new(
        offset.AccountOffsetId, offset.CreditId, offset.DebitId, offset.Type, currency.ToMajor(offset.AmountMinor), offset.CreatedAt);
}
