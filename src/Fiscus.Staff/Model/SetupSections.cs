namespace Fiscus.Staff.Model;

/// <summary>One screen of Setup and the scope that opens it (the server checks the same scope on every call it makes).</summary>
public sealed record SetupSection(string Path, string Title, string Scope, string Summary);

/// <summary>
/// The Setup screens. An admin holds every scope here; a manager holds reference:write only, so sees the three type screens;
/// a cashier sees none (and no Setup link).
/// </summary>
public static class SetupSections
{
    public static readonly SetupSection Users =
        new("setup/users", "Users", "users:write", "Staff who sign in: their role, home library and password.");

    public static readonly SetupSection Clients =
        new("setup/clients", "API clients", "clients:write", "Kiosks, payment gateways and integrations: scopes, binding and secret.");

    public static readonly SetupSection Registers =
        new("setup/registers", "Registers", "registers:write", "Cash registers: name, library, starting float, the library's default.");

    public static readonly SetupSection Libraries =
        new("setup/libraries", "Libraries", "libraries:write", "Libraries and the time zone their business day runs in.");

    public static readonly SetupSection DebitTypes =
        new("setup/debit-types", "Debit types", "reference:write", "What patrons are charged for and what the counter sells, with prices.");

    public static readonly SetupSection CreditTypes =
        new("setup/credit-types", "Credit types", "reference:write", "Kinds of credit on an account: payments, write-offs and your own.");

    public static readonly SetupSection PaymentTypes =
        new("setup/payment-types", "Payment types", "reference:write", "How money is paid, and whether it is cash counted in a drawer.");

    public static readonly IReadOnlyList<SetupSection> All = [Users, Clients, Registers, Libraries, DebitTypes, CreditTypes, PaymentTypes];

    /// <summary>The sections the caller's scopes open, in menu order.</summary>
    public static IReadOnlyList<SetupSection> Open(Func<string, bool> can) => All.Where(s => can(s.Scope)).ToList();
}
