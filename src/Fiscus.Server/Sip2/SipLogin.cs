using System.Collections.Frozen;
using Fiscus.Ledger.Access;

namespace Fiscus.Server.Sip2;

/// <summary>What a SIP login's <c>patron_password</c> asks of the patron's PIN (AD).</summary>
public static class PatronPasswordPolicy
{
    /// <summary>Every patron must give a PIN that matches; a patron without one cannot pay or be looked up as valid.</summary>
    public const string Required = "required";

    /// <summary>A patron who has a PIN must give it; one who has none needs none.</summary>
    public const string IfSet = "if-set";

    /// <summary>AD is not checked (the kiosk authenticates patrons by other means).</summary>
    public const string Ignored = "ignored";

    public static readonly string[] All = [Required, IfSet, Ignored];
}

/// <summary>A Fee Paid for more than the patron owes: refused (38N), or the excess kept as the patron's credit.</summary>
public static class OverpaymentPolicy
{
    public const string Refuse = "refuse";
    public const string Credit = "credit";

    public static readonly string[] All = [Refuse, Credit];
}

/// <summary>
/// A SIP login as a connection uses it once signed in: its settings, and the service API client the ledger records as
/// the writer of the kiosk's money (bound to the login's library and register).
/// </summary>
public sealed record SipLogin
{
    /// <summary>The scopes a kiosk's login holds: read a patron's account, take a payment.</summary>
    public static readonly FrozenSet<string> Scopes = new[] { Ledger.Access.Scopes.AccountsRead, Ledger.Access.Scopes.PaymentsWrite }
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>SIP2 payment type -> Fiscus payment type, for a login created without a mapping.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultPaymentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["00"] = "SIP00",
        ["01"] = "CARD",
        ["02"] = "CARD",
    };

    public const string DefaultFineItemFormat = "{id} {amount} {type} {description}";

    public long SipLoginId { get; init; }
    public required string Login { get; init; }
    public required string PasswordHash { get; init; }
    public long ApiClientId { get; init; }
    public required string ClientId { get; init; }
    public required string LibraryId { get; init; }
    public int CashRegisterId { get; init; }
    public required string PatronPassword { get; init; }
    public required string Overpayment { get; init; }
    public required string FineItemFormat { get; init; }
    public DateTime? DisabledAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    public DateTime PasswordChangedAt { get; init; }

    /// <summary>SIP2 payment type (two digits) -> Fiscus payment type code.</summary>
    public IReadOnlyDictionary<string, string> PaymentTypes { get; init; } = DefaultPaymentTypes;

    /// <summary>Where the kiosk's money may go: its register, and its library's patrons.</summary>
    public Binding Binding => new(LibraryId, CashRegisterId);

    /// <summary>
    /// The columns of <see cref="SipLogin"/> from <c>sip_logins s JOIN api_clients c USING (api_client_id)</c> (the payment
    /// types are read apart).
    /// </summary>
    public const string Columns =
        "s.sip_login_id, s.login, s.password_hash, s.api_client_id, c.client_id, c.library_id, c.cash_register_id, s.patron_password, " +
        "s.overpayment, s.fine_item_format, c.disabled_at, s.created_at, s.updated_at, s.password_changed_at";

    public const string From = "FROM sip_logins s JOIN api_clients c USING (api_client_id)";
}
