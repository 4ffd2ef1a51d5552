using Fiscus.Ledger;
using Fiscus.Ledger.Money;
using Fiscus.Server.Http;

namespace Fiscus.Server.Accounts;

/// <summary>
/// <c>POST .../account/debits</c> (Koha's debit). <c>payout_type</c> and <c>cash_register_id</c> only for PAYOUT.
/// <c>user_id</c>, <c>interface</c>, <c>date</c> and <c>checkout_id</c> are what Koha lets a client state about the charge:
/// Fiscus checks them and keeps them in the audit trail (see <see cref="KohaStatements"/>); the line itself is written by
/// the caller, through the API, now.
/// </summary>
public sealed record AddDebitRequest(
    decimal Amount, string Type, string? Description = null, string? InternalNote = null, string? LibraryId = null,
    int? CashRegisterId = null, long? ItemId = null, string? PayoutType = null, long? UserId = null, string? Interface = null,
    string? Date = null, long? CheckoutId = null);

/// <summary><c>POST .../account/credits</c> (Koha's patron_account_credit, plus the register); <c>date</c> as on a debit.</summary>
public sealed record AddCreditRequest(
    decimal Amount, string? CreditType = null, string? PaymentType = null, int? CashRegisterId = null, long[]? AccountLinesIds = null,
    string? LibraryId = null, string? Description = null, string? Note = null, string? Date = null);

/// <summary>
/// <c>POST .../account/payments</c> (Koha bug 42785). <c>register_id</c> is the bug's name for the register;
/// <c>cash_register_id</c> is accepted too.
/// </summary>
public sealed record IntakeRequest(
    string DebitType, decimal Amount, string PaymentType, string? Description = null, int? RegisterId = null, int? CashRegisterId = null,
    string? LibraryId = null, string? Note = null, string? ExternalId = null);

public sealed record NoteRequest(string? Note = null);

public sealed record WriteOffRequest(decimal? Amount = null, string? Note = null);

public sealed record RefundRequest(decimal? Amount = null, string? PayoutType = null, int? CashRegisterId = null, string? Note = null);

/// <summary>Wire checks shared by the account requests: exact amounts, bounded texts.</summary>
internal static class AccountRequestChecks
{
    public const int MaxText = 1000;

    public static Validation Texts(this Validation validation, params (string Field, string? Value, int Max)[] texts)
    {
        foreach (var (field, value, max) in texts)
        {
            validation.Text(field, value, max, required: false);
        }
        return validation;
    }

    public static long? Amount(this Validation validation, decimal? amount, Currency currency, bool required = true) =>
        WireMoney.ToMinor(validation, "amount", amount, currency, WireMoney.Sign.Positive, required);

    public static Validation Positive(this Validation validation, string field, long? value)
    {
        if (value is <= 0)
        {
            validation.Add(field, $"{field} must be a positive whole number");
        }
        return validation;
    }

    public static Validation ExternalId(this Validation validation, string? externalId)
    {
        if (externalId is not null && (externalId.Length is 0 or > 255 || string.IsNullOrWhiteSpace(externalId)))
        {
            validation.Add("external_id", "external_id must be 1 to 255 characters");
        }
        return validation;
    }
}
