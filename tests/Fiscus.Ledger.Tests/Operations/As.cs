using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// The callers rows run commands as: the row's staff, with their role's scopes (as Fiscus.Server's Roles grants them), and API
/// clients bound to a register or a library.
/// </summary>
public static class As
{
    /// <summary>A cashier's scopes: payments, charges and sales, never money out.</summary>
    public static readonly string[] CashierScopes =
        [Scopes.AccountsRead, Scopes.AccountsWrite, Scopes.PaymentsWrite, Scopes.SalesWrite, Scopes.ShiftsWrite, Scopes.RegistersRead, Scopes.ReferenceRead];

    /// <summary>A manager's: a cashier's, and voids, refunds, write-offs, payouts and cash-ups.</summary>
    public static readonly string[] ManagerScopes =
        [.. CashierScopes, Scopes.PatronsWrite, Scopes.RefundsWrite, Scopes.CashupsWrite, Scopes.ReportsRead, Scopes.ReferenceWrite];

    static readonly string[] KioskScopes = [Scopes.AccountsWrite, Scopes.PaymentsWrite, Scopes.SalesWrite];

    static readonly string[] BackOfficeScopes = [.. KioskScopes, Scopes.RefundsWrite, Scopes.CashupsWrite];

    public static readonly Actor Cashier = w => w.Staff(w.CashierUserId, CashierScopes);

    public static readonly Actor Manager = w => w.Staff(w.ManagerUserId, ManagerScopes);

    /// <summary>A self-service kiosk bound to the row's till: it takes payments and sells, and pays nothing out.</summary>
    public static readonly Actor KioskAtTill = w => w.Client(new Binding(OperationsDatabase.Main, w.Till), KioskScopes);

    /// <summary>A back-office client bound to the row's till, with refunds:write.</summary>
    public static readonly Actor BackOfficeAtTill = w => w.Client(new Binding(OperationsDatabase.Main, w.Till), BackOfficeScopes);

    /// <summary>A back-office client bound to the row's other register of MAIN, with refunds:write.</summary>
    public static readonly Actor BackOfficeAtOther = w => w.Client(new Binding(OperationsDatabase.Main, w.OtherTill), BackOfficeScopes);

    /// <summary>A back-office client bound to library MAIN (any of its registers), with refunds:write.</summary>
    public static readonly Actor BackOfficeOfMain = w => w.Client(new Binding(OperationsDatabase.Main, null), BackOfficeScopes);

    /// <summary>A back-office client bound to the other library, with refunds:write: the row's patron is not its library's.</summary>
    public static readonly Actor BackOfficeElsewhere = w => w.Client(new Binding(OperationsDatabase.Elsewhere, null), BackOfficeScopes);
}
