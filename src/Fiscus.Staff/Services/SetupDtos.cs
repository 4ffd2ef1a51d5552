using System.Text.Json.Serialization;

namespace Fiscus.Staff.Services;

// The Setup screens' view of the API's wire shapes. Request records carry exactly the documented fields (the server refuses
// unknown ones); optional fields are nullable and left out when null.

public sealed record StaffUser(long UserId, string Username, string Role, string? LibraryId, bool Disabled);

/// <summary><c>POST /users</c>: no password, and the API generates one and returns it once.</summary>
public sealed record NewUser(string Username, string Role, string? Password, string? LibraryId);

/// <summary>The answer to <c>POST /users</c>; <see cref="Password"/> only when the API generated it.</summary>
public sealed record CreatedUser(long UserId, string Username, string Role, string? LibraryId, bool Disabled, string? Password);

public sealed record UserUpdate(string Role, string? LibraryId);

public sealed record PasswordReset(long UserId, string Username, string Password);

/// <summary>An entry of <c>GET /api/v1/scopes</c>.</summary>
public sealed record ScopeInfo(string Scope, string Allows, string[] Roles, bool StaffOnly, bool InstallationWide);

/// <summary>An API client; <see cref="ClientSecret"/> only in the answer that created or rotated it.</summary>
public sealed record ApiClientInfo(
    string ClientId, string Name, string[] Scopes, int? CashRegisterId, string? LibraryId, bool Disabled, DateTime SecretRotatedAt,
    string? ClientSecret);

public sealed record ClientRequest(string Name, string[] Scopes, int? CashRegisterId, string? LibraryId);

/// <summary><c>POST</c> and <c>PUT /cash_registers</c> take the same fields.</summary>
public sealed record RegisterRequest(string Name, string LibraryId, string Description, decimal StartingFloat, bool LibraryDefault);

/// <summary><c>POST /libraries</c>: no time zone, and the installation's default is used.</summary>
public sealed record NewLibrary(string LibraryId, string Name, string? TimeZone);

public sealed record LibraryUpdate(string Name, string TimeZone);

public sealed record DebitTypeDetails(
    string Code, string Description, decimal? DefaultAmount, bool CanBeSold, bool CanBeInvoiced, bool RestrictsCheckouts, bool IsSystem,
    bool Archived);

public sealed record NewDebitType(
    string Code, string Description, decimal? DefaultAmount, bool CanBeSold, bool CanBeInvoiced, bool RestrictsCheckouts);

/// <summary><c>default_amount: 0</c> clears the default amount.</summary>
public sealed record DebitTypeUpdate(string Description, decimal DefaultAmount, bool CanBeSold, bool CanBeInvoiced, bool RestrictsCheckouts);

public sealed record CreditTypeDetails(string Code, string Description, bool CanBeAddedManually, bool IsSystem, bool Archived);

public sealed record NewCreditType(string Code, string Description, bool CanBeAddedManually);

public sealed record CreditTypeUpdate(string Description, bool CanBeAddedManually);

public sealed record PaymentTypeDetails(string Code, string Description, bool CountsAsCash, bool AllowedRefund, bool IsSystem, bool Archived);

public sealed record NewPaymentType(string Code, string Description, bool CountsAsCash, bool AllowedRefund);

/// <summary><c>counts_as_cash</c> left out (null) keeps it: changing it needs refunds:write as well.</summary>
public sealed record PaymentTypeUpdate(string Description, bool? CountsAsCash, bool AllowedRefund);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StaffUser))]
[JsonSerializable(typeof(StaffUser[]))]
[JsonSerializable(typeof(NewUser))]
[JsonSerializable(typeof(CreatedUser))]
[JsonSerializable(typeof(UserUpdate))]
[JsonSerializable(typeof(PasswordReset))]
[JsonSerializable(typeof(ScopeInfo[]))]
[JsonSerializable(typeof(ApiClientInfo))]
[JsonSerializable(typeof(ApiClientInfo[]))]
[JsonSerializable(typeof(ClientRequest))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(CashRegister))]
[JsonSerializable(typeof(CashRegister[]))]
[JsonSerializable(typeof(NewLibrary))]
[JsonSerializable(typeof(LibraryUpdate))]
[JsonSerializable(typeof(Library))]
[JsonSerializable(typeof(Library[]))]
[JsonSerializable(typeof(DebitTypeDetails))]
[JsonSerializable(typeof(DebitTypeDetails[]))]
[JsonSerializable(typeof(NewDebitType))]
[JsonSerializable(typeof(DebitTypeUpdate))]
[JsonSerializable(typeof(CreditTypeDetails))]
[JsonSerializable(typeof(CreditTypeDetails[]))]
[JsonSerializable(typeof(NewCreditType))]
[JsonSerializable(typeof(CreditTypeUpdate))]
[JsonSerializable(typeof(PaymentTypeDetails))]
[JsonSerializable(typeof(PaymentTypeDetails[]))]
[JsonSerializable(typeof(NewPaymentType))]
[JsonSerializable(typeof(PaymentTypeUpdate))]
public sealed partial class SetupWire : JsonSerializerContext;
