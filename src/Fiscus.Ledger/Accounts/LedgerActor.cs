namespace Fiscus.Ledger.Accounts;

/// <summary>
/// Who writes a ledger line, as the ledger records it: the staff user or the API client, the interface it
/// came through (<c>api</c>, <c>polaris</c>, <c>sip</c> ...), the library it works at, and the register or
/// library an API client is bound to (which limits where it may take money).
/// </summary>
public sealed record LedgerActor(
    long? UserId,
    long? ApiClientId,
    string Interface,
    string? LibraryId = null,
    int? BoundRegisterId = null,
    string? BoundLibraryId = null)
{
    /// <summary>The caller's own reference space for external ids and idempotency (user:4, client:2).</summary>
    public string Principal => ApiClientId is { } client
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"client:{client}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"user:{UserId}");
}
