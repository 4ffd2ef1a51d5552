using System.Text.Json.Serialization;
using Fiscus.Staff.Model;

namespace Fiscus.Staff.Services;

// The app's own view of the API's wire shapes (snake_case JSON, amounts in major units). Only what the screens use.

public sealed record Me(
    string Kind, long? UserId, string? ClientId, string Name, string? Role, string[] Scopes, string? LibraryId, int? CashRegisterId);

public sealed record LoginRequest(string Username, string Password);

public sealed record LoginAnswer(Me User);

public sealed record CurrencyInfo(string Code, int Exponent);

public sealed record DenominationInfo(decimal Value, string Kind);

public sealed record Installation(CurrencyInfo Currency, DenominationInfo[] Denominations);

public sealed record Library(string LibraryId, string Name, string TimeZone);

public sealed record CashRegister(
    int CashRegisterId, string Name, string Description, string LibraryId, decimal StartingFloat, bool Archived, bool LibraryDefault);

public sealed record DebitType(
    string Code, string Description, decimal? DefaultAmount, bool CanBeSold, bool IsSystem, bool Archived);

public sealed record PaymentType(string Code, string Description, bool CountsAsCash, bool AllowedRefund, bool IsSystem, bool Archived);

public sealed record Patron(long PatronId, string Cardnumber, string? Firstname, string Surname, string LibraryId)
{
    public string Label => Firstname is { Length: > 0 } first ? $"{Surname}, {first} ({Cardnumber})" : $"{Surname} ({Cardnumber})";
}

public sealed record SaleItem(string DebitType, decimal Price, int Quantity, string? Description);

public sealed record SaleRequest(string PaymentType, SaleItem[] Items, decimal? AmountTendered, long? PatronId);

/// <summary>
/// A line as any route answers it: Koha's account_line (<c>debit_type</c>/<c>credit_type</c>), debit or credit (<c>type</c>,
/// and <c>payout_type</c> on a debit), with Fiscus's own facts under <c>fiscus</c> (asked for with x-koha-embed), or a
/// register session's native line (those facts at the top). Credits are negative.
/// </summary>
public sealed record AccountLine(
    long AccountLineId, long? PatronId, string? DebitType, string? CreditType, decimal Amount, decimal AmountOutstanding,
    string? Description, string? PaymentType, int? CashRegisterId, long? UserId, string? Status, DateTime Date,
    string? InternalNote = null, string? LibraryId = null, string? Type = null, string? PayoutType = null, LineFacts? Fiscus = null,
    int? Quantity = null, string? ClientId = null, long? RegisterSessionId = null)
{
    /// <summary>A debit owes (positive), a credit pays (negative), whatever shape named its type.</summary>
    public bool IsDebit => DebitType is not null || (CreditType is null && Amount > 0);

    public bool IsCredit => !IsDebit;

    /// <summary>The debit or credit type's code.</summary>
    public string? TypeCode => DebitType ?? CreditType ?? Type;

    public string? DebitTypeCode => IsDebit ? TypeCode : null;

    public string? CreditTypeCode => IsCredit ? TypeCode : null;

    public int? Count => Fiscus?.Quantity ?? Quantity;

    public string? Client => Fiscus?.ClientId ?? ClientId;

    public long? Session => Fiscus?.RegisterSessionId ?? RegisterSessionId;
}

/// <summary>What <c>x-koha-embed: fiscus</c> adds to a line.</summary>
public sealed record LineFacts(
    string? ClientId, string? ExternalId, long? RegisterSessionId, int? Quantity, long? RelatedAccountLineId, DateTime PostedAt);

public sealed record Sale(
    long SaleId, int CashRegisterId, long? PatronId, string PaymentType, decimal Total, decimal? AmountTendered, decimal? ChangeGiven,
    DateTime Date, AccountLine Credit, AccountLine[] Debits);

public sealed record SaleSummary(
    long SaleId, int CashRegisterId, long? PatronId, string PaymentType, decimal Total, decimal? AmountTendered, decimal? ChangeGiven,
    DateTime Date, long CreditId, long? RegisterSessionId, long? UserId, string? ClientId);

public sealed record IncomeGroup(string DebitTypeCode, TypeDescription DebitType, long Count, decimal Total);

public sealed record TypeDescription(string? Description);

public sealed record PaymentTypeTotal(
    string PaymentType, string Description, bool CountsAsCash, long IncomeCount, decimal Income, long PayoutCount, decimal Payouts,
    long PaidInCount, decimal PaidIn, long PaidOutCount, decimal PaidOut, decimal Total, decimal DrawerTotal);

public sealed record CountTotal(long Count, decimal Total);

public sealed record Reconciliation(string PaymentType, decimal Expected, decimal Counted, decimal Difference, string? Note, long? AccountLineId);

public sealed record Summary(
    DateTime FromDate, DateTime? ToDate, decimal Float, long LineCount, IncomeGroup[] IncomeGrouped, decimal IncomeTotal,
    decimal PayoutTotal, decimal Total, PaymentTypeTotal[] TotalGrouped, CountTotal Payouts, CountTotal Refunds, CountTotal PaidIn,
    CountTotal PaidOut, decimal ExpectedCashInDrawer, decimal Bankable, Reconciliation[] Reconciliations);

public sealed record RegisterSession(int CashRegisterId, long RegisterSessionId, string Status, Summary Summary, AccountLine[] Lines);

public sealed record ReconciliationRequest(string PaymentType, decimal Counted, string? Note);

public sealed record CashupRequest(ReconciliationRequest[] Reconciliations, string? Note);

/// <summary>
/// A cash-up in Koha's shape: <c>manager</c>, <c>summary</c> and <c>fiscus</c> are embeds, present only when asked for with
/// <c>x-koha-embed</c> (<see cref="FiscusApi.GetEmbeddedAsync{T}"/>); the answer to a cash-up (POST) carries all three.
/// </summary>
public sealed record Cashup(
    long CashupId, int CashRegisterId, long ManagerId, decimal Amount, DateTime Timestamp, CashupManager? Manager, Summary? Summary,
    CashupFacts? Fiscus);

/// <summary>Who counted: a staff user, or (<c>kind</c> <c>api_client</c>) an API client, named by the client's name.</summary>
public sealed record CashupManager(long UserId, string Username, string Name, string Kind);

/// <summary>A cash-up's facts beyond Koha's definition (<c>x-koha-embed: fiscus</c>).</summary>
public sealed record CashupFacts(
    string? ClientId, long RegisterSessionId, string Status, DateTime StartedAt, DateTime? CompletedAt, string? Note, Reconciliation[] Reconciliations);

public sealed record AccountTotal(decimal Total, AccountLine[] Lines);

/// <summary>A patron's account: balance, outstanding debits and credits (oldest first).</summary>
public sealed record Account(decimal Balance, AccountTotal OutstandingDebits, AccountTotal OutstandingCredits);

public sealed record AccountOffset(long AccountOffsetId, long? CreditId, long? DebitId, string Type, decimal Amount, DateTime CreatedAt);

/// <summary>A payment on a patron's account: applied to the listed debits in that order, the rest to the oldest; any more stays as credit.</summary>
public sealed record CreditRequest(decimal Amount, string PaymentType, int? CashRegisterId, long[] AccountLinesIds, string? Note);

public sealed record NoteRequest(string? Note);

public sealed record WriteOffRequest(decimal? Amount, string? Note);

public sealed record RefundRequest(decimal? Amount, string? PayoutType, int? CashRegisterId, string? Note);

public sealed record AccountAction(AccountLine Line, AccountLine[] Created, AccountLine[] Changed, AccountOffset[] Offsets, decimal Balance);

/// <summary>Refund (part of) a sold item from the register: a REFUND credit against it and a PAYOUT from the drawer.</summary>
public sealed record PosRefundRequest(long AccountLineId, decimal? Amount, string? PayoutType, string Note);

public sealed record PosRefund(AccountLine Refund, AccountLine Payout, AccountLine Item);

/// <summary>A problem+json answer: the stable code, the message, and the message per field when the API gave them.</summary>
public sealed record Problem(string? Code, string? Error, string? Detail, string? Title, Dictionary<string, string[]>? Errors);

/// <summary>The basket as stored in the browser.</summary>
public sealed record StoredBasket(StoredBasketLine[] Lines, long? PatronId, string? PatronLabel);

public sealed record StoredBasketLine(string DebitType, string Description, long UnitPriceMinor, int Quantity, bool PriceEditable);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Me))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(LoginAnswer))]
[JsonSerializable(typeof(Installation))]
[JsonSerializable(typeof(Library[]))]
[JsonSerializable(typeof(CashRegister[]))]
[JsonSerializable(typeof(CashRegister))]
[JsonSerializable(typeof(DebitType[]))]
[JsonSerializable(typeof(PaymentType[]))]
[JsonSerializable(typeof(Patron[]))]
[JsonSerializable(typeof(Patron))]
[JsonSerializable(typeof(SaleRequest))]
[JsonSerializable(typeof(Sale))]
[JsonSerializable(typeof(SaleSummary[]))]
[JsonSerializable(typeof(RegisterSession))]
[JsonSerializable(typeof(CashupRequest))]
[JsonSerializable(typeof(Cashup))]
[JsonSerializable(typeof(Cashup[]))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(PendingWrite))]
[JsonSerializable(typeof(Account))]
[JsonSerializable(typeof(AccountLine[]))]
[JsonSerializable(typeof(AccountLine))]
[JsonSerializable(typeof(AccountOffset[]))]
[JsonSerializable(typeof(CreditRequest))]
[JsonSerializable(typeof(NoteRequest))]
[JsonSerializable(typeof(WriteOffRequest))]
[JsonSerializable(typeof(RefundRequest))]
[JsonSerializable(typeof(AccountAction))]
[JsonSerializable(typeof(PosRefundRequest))]
[JsonSerializable(typeof(PosRefund))]
[JsonSerializable(typeof(StoredBasket))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(object))]
public sealed partial class Wire : JsonSerializerContext;
