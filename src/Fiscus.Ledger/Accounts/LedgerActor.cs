using Fiscus.Ledger.Access;

namespace Fiscus.Ledger.Accounts;

/// <summary>
/// Who writes a ledger line, as the ledger records it and checks it: the staff user or the API client, the
/// interface it came through (<c>api</c>, <c>polaris</c>, <c>sip</c> ...), the library it works at, where it
/// is confined to (<see cref="Binding"/>) and the scopes it holds. The ledger asks for the scopes that depend
/// on what is asked (money out of a drawer, a credit that is not a payment), so a transport that forgot to
/// check them still cannot get past.
/// </summary>
public sealed record LedgerActor(
    long? UserId,
    long? ApiClientId,
    string Interface,
    string? LibraryId,
    Binding Binding,
    IReadOnlySet<string> Scopes)
{
    /// <summary>The caller's own reference space for external ids and idempotency (user:4, client:2).</summary>
    public string Principal => ApiClientId is { } client
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"client:{client}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"user:{UserId}");

    /// <summary>null when the actor holds <paramref name="scope"/>; otherwise a 403 saying what needs it.</summary>
    /// <param name="what">What the scope is needed for, as a sentence subject ("A PAYOUT debit pays money out of a drawer").</param>
    public Failure? Require(string scope, string what) =>
        Scopes.Contains(scope)
            ? null
            : Failure.Forbidden("forbidden", $"{what}: this needs the {scope} permission, which the caller does not have.");
}
