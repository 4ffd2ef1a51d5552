using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Audit;

namespace Fiscus.Ledger.Commands;

/// <summary>
/// Who runs a command, whatever carried it: the ledger's view (user or client, interface, binding, scopes), which
/// the money rules check, and the audit log's (name, address, request id), which is recorded beside the money.
/// </summary>
public sealed record CommandActor(LedgerActor Ledger, AuditActor Audit)
{
    /// <summary>The actor's own space for idempotency keys and external ids (<c>user:4</c>, <c>client:2</c>).</summary>
    public string Principal => Ledger.Principal;
}
