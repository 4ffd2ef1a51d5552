namespace Fiscus.Ledger.Accounts;

/// <summary>
/// One ledger line. A debit (<see cref="DebitTypeCode"/> set) has a positive amount: what is owed. A credit
/// (<see cref="CreditTypeCode"/> set) has a negative amount: money received, written off or credited.
/// <see cref="AmountOutstandingMinor"/> moves toward zero as offsets apply; nothing else ever changes.
/// </summary>
public sealed record AccountLine
{
    public long AccountLineId { get; init; }
    public long? PatronId { get; init; }
    public string? DebitTypeCode { get; init; }
    public string? CreditTypeCode { get; init; }
    public long AmountMinor { get; init; }
    public long AmountOutstandingMinor { get; init; }
    public string? PaymentType { get; init; }
    public int? CashRegisterId { get; init; }
    public string? LibraryId { get; init; }
    public long? ItemId { get; init; }
    public long? UserId { get; init; }
    public long? ApiClientId { get; init; }
    public required string Interface { get; init; }
    public string? Status { get; init; }
    public string? Description { get; init; }
    public string? InternalNote { get; init; }
    public string? ExternalId { get; init; }
    public long? RelatedAccountLineId { get; init; }
    public long? RegisterSessionId { get; init; }
    public int? Quantity { get; init; }
    public DateTime PostedAt { get; init; }

    public bool IsDebit => DebitTypeCode is not null;

    public bool IsCredit => CreditTypeCode is not null;

    public const string Columns =
        "account_line_id, patron_id, debit_type_code, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, " +
        "cash_register_id, library_id, item_id, user_id, api_client_id, interface, status, description, internal_note, " +
        "external_id, related_account_line_id, register_session_id, quantity, posted_at";
}

/// <summary>An application of a credit to a debit, or the creation of a line; see the 0002 migration for the signs.</summary>
public sealed record AccountOffset(long AccountOffsetId, long? CreditId, long? DebitId, string Type, long AmountMinor, DateTime CreatedAt)
{
    public const string Columns = "account_offset_id, credit_id, debit_id, type, amount_minor, created_at";
}

/// <summary>Offset types.</summary>
public static class OffsetTypes
{
    public const string Create = "CREATE";
    public const string Apply = "APPLY";
    public const string Void = "VOID";
}

/// <summary>Line statuses Fiscus sets (Koha's vocabulary).</summary>
public static class LineStatuses
{
    public const string Void = "VOID";
    public const string Cancelled = "CANCELLED";
    public const string Applied = "APPLIED";
    public const string Paid = "PAID";
    public const string Refunded = "REFUNDED";
}
