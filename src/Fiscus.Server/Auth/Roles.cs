using System.Collections.Frozen;
using Fiscus.Ledger.Access;

namespace Fiscus.Server.Auth;

/// <summary>
/// The role ladder: a cashier takes payments and sales and reads accounts and registers; a manager adds
/// cash-up, voids and refunds, reports, reference data and the audit log (to see what their staff did); an admin
/// adds users, clients, libraries and registers, and the metrics.
/// </summary>
public static class Roles
{
    public const string Cashier = "cashier";
    public const string Manager = "manager";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Admin, Manager, Cashier];

    static readonly string[] CashierScopes =
    [
        Scopes.AccountsRead, Scopes.AccountsWrite, Scopes.PaymentsWrite, Scopes.SalesWrite, Scopes.ShiftsWrite,
        Scopes.RegistersRead, Scopes.ReferenceRead,
    ];

    static readonly string[] ManagerScopes =
    [
        .. CashierScopes,
        Scopes.PatronsWrite, Scopes.RefundsWrite, Scopes.CashupsWrite, Scopes.ReportsRead, Scopes.ReferenceWrite, Scopes.AuditRead,
    ];

    static readonly string[] AdminScopes =
    [
        .. ManagerScopes,
        Scopes.RegistersWrite, Scopes.LibrariesWrite, Scopes.UsersWrite, Scopes.ClientsWrite, Scopes.MetricsRead,
    ];

    static readonly FrozenDictionary<string, FrozenSet<string>> ScopesByRole = new Dictionary<string, FrozenSet<string>>
    {
        [Cashier] = CashierScopes.ToFrozenSet(StringComparer.Ordinal),
        [Manager] = ManagerScopes.ToFrozenSet(StringComparer.Ordinal),
        [Admin] = AdminScopes.ToFrozenSet(StringComparer.Ordinal),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static bool IsRole(string? role) => role is not null && ScopesByRole.ContainsKey(role);

    public static FrozenSet<string> ScopesOf(string role) => ScopesByRole[role];
}
