using System.Collections.Frozen;

namespace Fiscus.Ledger.Access;

/// <summary>
/// Every permission in Fiscus is a scope. API clients are granted scopes directly; staff users get the
/// scopes of their role. Endpoints require scopes, never roles, so one rule serves both kinds of caller; and
/// the ledger checks the scopes that depend on what a request asks for (a PAYOUT debit, a credit that is not
/// a payment), so no transport can get past them.
/// </summary>
public static class Scopes
{
    public const string AccountsRead = "accounts:read";
    public const string AccountsWrite = "accounts:write";
    public const string PaymentsWrite = "payments:write";
    public const string SalesWrite = "sales:write";
    public const string ShiftsWrite = "shifts:write";
    public const string RegistersRead = "registers:read";
    public const string ReferenceRead = "reference:read";
    public const string PatronsWrite = "patrons:write";
    public const string RefundsWrite = "refunds:write";
    public const string CashupsWrite = "cashups:write";
    public const string ReportsRead = "reports:read";
    public const string ReferenceWrite = "reference:write";
    public const string RegistersWrite = "registers:write";
    public const string LibrariesWrite = "libraries:write";
    public const string UsersWrite = "users:write";
    public const string ClientsWrite = "clients:write";
    public const string AuditRead = "audit:read";
    public const string MetricsRead = "metrics:read";

    /// <summary>Each scope and what it allows, in the order the README documents them.</summary>
    public static readonly IReadOnlyList<(string Scope, string Allows)> Catalogue =
    [
        (AccountsRead, "read patrons and their accounts"),
        (AccountsWrite, "add debits (charges) to patron accounts"),
        (PaymentsWrite, "take payments (account payments, atomic intake, Polaris pay)"),
        (SalesWrite, "record point-of-sale sales"),
        (ShiftsWrite, "run one's own cashier shift: start, cash in and out, end (staff only)"),
        (RegistersRead, "read cash registers, their sessions and cash-ups"),
        (ReferenceRead, "read libraries, debit, credit and payment types, fee/fine owners (and FOLIO's /payments, /owners)"),
        (PatronsWrite, "create and update patrons"),
        (RefundsWrite, "void, cancel, write off and refund; pay money out of a drawer (payouts, shift cash out); add payment types"),
        (CashupsWrite, "cash up registers"),
        (ReportsRead, "read reports"),
        (ReferenceWrite, "manage debit, credit and payment types and fee/fine owners (and FOLIO's /payments)"),
        (RegistersWrite, "manage cash registers"),
        (LibrariesWrite, "manage libraries"),
        (UsersWrite, "manage staff users"),
        (ClientsWrite, "manage API clients"),
        (AuditRead, "read the audit log: who did what and when (voids, refunds, write-offs, cash-ups, sign-ins, setup changes)"),
        (MetricsRead, "scrape the operational metrics at /metrics (when FISCUS_METRICS is on): request rates, payments and sales, errors, the pool"),
    ];

    public static readonly FrozenSet<string> All = Catalogue.Select(c => c.Scope).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Scopes an API client can never hold: a leaked kiosk secret must not be able to mint users or clients, and a
    /// shift is a person's (it is opened and closed with their password).
    /// </summary>
    public static readonly FrozenSet<string> StaffOnly = new[] { UsersWrite, ClientsWrite, ShiftsWrite }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Adding a tender (a new payment type, or an archived one brought back) lets whoever takes payments clear debts
    /// in it, with no money Fiscus can count: a write-off in all but name. So it needs <c>refunds:write</c> as well,
    /// and nobody can mint a tender who could not already write debts off.
    /// </summary>
    public static readonly string[] AddPaymentType = [ReferenceWrite, RefundsWrite];

    /// <summary>
    /// Scopes over what every library shares: changing reference data, libraries and registers, or reading the audit
    /// log (one log of every library's acts and of the installation's users and clients, not divisible by library) or the
    /// metrics (the whole installation's figures). A client bound to a register or a library cannot use them: its binding
    /// could not confine what it changed or read.
    /// </summary>
    public static readonly FrozenSet<string> InstallationWide =
        new[] { ReferenceWrite, LibrariesWrite, RegistersWrite, AuditRead, MetricsRead }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>What holding an installation-wide scope does, for the refusals of a bound client: "change what reference:write manages".</summary>
    public static string InstallationWideAct(string scope) => scope switch
    {
        AuditRead => "read the audit log",
        MetricsRead => "read the installation's metrics",
        _ => $"change what {scope} manages",
    };
}
