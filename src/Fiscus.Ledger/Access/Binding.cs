using System.Globalization;

namespace Fiscus.Ledger.Access;

/// <summary>
/// Where a caller may act. Staff users are not bound (a cashier may work at any branch). An API client may be
/// bound to one library — it then reads and writes only that library's patrons, accounts, registers,
/// shifts and reports — or to one register, which binds it to that register's library as well and, among
/// registers, to that one alone. This is the one rule every read and write asks, with one answer when it says
/// no: 403 <see cref="RefusalCode"/>.
/// </summary>
/// <param name="LibraryId">The library the caller is confined to (for a register binding: the register's library).</param>
/// <param name="CashRegisterId">The register the caller is confined to, if any.</param>
public sealed record Binding(string? LibraryId, int? CashRegisterId)
{
    /// <summary>The stable machine code of every refusal of an act outside a binding.</summary>
    public const string RefusalCode = "outside_binding";

    public static readonly Binding None = new(null, null);

    public bool IsBound => LibraryId is not null || CashRegisterId is not null;

    public bool PermitsLibrary(string libraryId) =>
        LibraryId is null || string.Equals(LibraryId, libraryId, StringComparison.Ordinal);

    public bool PermitsRegister(int cashRegisterId, string registerLibraryId) =>
        (CashRegisterId is null || CashRegisterId == cashRegisterId) && PermitsLibrary(registerLibraryId);

    /// <summary>null when the register is within the binding; otherwise the refusal.</summary>
    public Failure? CheckRegister(int cashRegisterId, string registerLibraryId) =>
        PermitsRegister(cashRegisterId, registerLibraryId)
            ? null
            : Refuse(Invariant($"may not use cash register {cashRegisterId}"));

    public Failure? CheckLibrary(string libraryId) =>
        PermitsLibrary(libraryId) ? null : Refuse($"may not act for library '{libraryId}'");

    /// <remarks>The refusal does not say where the patron belongs: a bound client learns nothing of other libraries' patrons.</remarks>
    public Failure? CheckPatron(long patronId, string patronLibraryId) =>
        PermitsLibrary(patronLibraryId) ? null : Refuse(Invariant($"may not see or change patron {patronId}"));

    /// <summary>
    /// Refuses an act on what every library shares (changing reference data, libraries, registers; reading the audit log).
    /// </summary>
    /// <param name="act">What the caller may not do, e.g. "change what reference:write manages" (<see cref="Scopes.InstallationWideAct"/>).</param>
    public Failure? CheckInstallationWide(string act) =>
        IsBound ? Refuse($"may not {act}, which every library shares") : null;

    /// <summary>"register 2" or "library LIBY", as the refusals name the binding.</summary>
    public string Describe() => CashRegisterId is { } register
        ? Invariant($"register {register} (library '{LibraryId}')")
        : $"library '{LibraryId}'";

    Failure Refuse(string what) => Failure.Forbidden(RefusalCode, $"This client is bound to {Describe()} and {what}.");

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
