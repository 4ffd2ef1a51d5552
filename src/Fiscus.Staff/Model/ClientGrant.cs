using Fiscus.Staff.Services;

namespace Fiscus.Staff.Model;

public enum ClientBinding
{
    None,
    Library,
    Register,
}

/// <summary>
/// What an API client is to be granted, under the server's rules (from the scope catalogue, <c>GET /api/v1/scopes</c>):
/// staff-only scopes are never offered, and a client bound to a library or a register cannot hold an installation-wide
/// scope (its binding could not confine what it changed). Choosing a binding drops those scopes and says which; the server
/// refuses the same things, this only keeps the admin from sending what will be refused.
/// </summary>
public sealed class ClientGrant(IReadOnlyList<ScopeInfo> catalogue)
{
    readonly SortedSet<string> scopes = new(StringComparer.Ordinal);

    public const string BoundReason =
        "It reaches every library (it changes what they share, or reads the audit log of all of them), so a client bound to a library or a register cannot hold it.";

    public const string StaffOnlyReason = "Only staff users hold it; no API client can be granted it.";

    /// <summary>The scopes a client may hold at all, in the catalogue's order.</summary>
    public IReadOnlyList<ScopeInfo> Offered { get; } = catalogue.Where(s => !s.StaffOnly).ToList();

    /// <summary>The scopes only staff hold (shown, not offered).</summary>
    public IReadOnlyList<ScopeInfo> StaffOnly { get; } = catalogue.Where(s => s.StaffOnly).ToList();

    public ClientBinding Binding { get; private set; }

    public string? LibraryId { get; set; }

    public int? RegisterId { get; set; }

    public bool Bound => Binding != ClientBinding.None;

    public IReadOnlyCollection<string> Scopes => scopes;

    public bool Holds(string scope) => scopes.Contains(scope);

    /// <summary>Why this scope cannot be ticked now, or null when it can.</summary>
    public string? WhyNot(ScopeInfo scope) => scope.StaffOnly ? StaffOnlyReason : Bound && scope.InstallationWide ? BoundReason : null;

    /// <summary>Ticks or unticks a scope; false (and nothing changes) when it cannot be granted.</summary>
    public bool Set(string scope, bool granted)
    {
        if (!granted)
        {
            scopes.Remove(scope);
            return true;
        }
        if (Offered.FirstOrDefault(s => s.Scope == scope) is not { } known || WhyNot(known) is not null)
        {
            return false;
        }
        scopes.Add(scope);
        return true;
    }

    /// <summary>Binds the client (or unbinds it); returns the scopes that binding took away.</summary>
    public IReadOnlyList<string> Bind(ClientBinding binding)
    {
        Binding = binding;
        if (!Bound)
        {
            return [];
        }
        var dropped = scopes.Where(s => Offered.Any(o => o.Scope == s && o.InstallationWide)).ToList();
        foreach (var scope in dropped)
        {
            scopes.Remove(scope);
        }
        return dropped;
    }

    /// <summary>Takes an existing client's grant (for editing it).</summary>
    public void Load(ApiClientInfo client)
    {
        scopes.Clear();
        LibraryId = client.CashRegisterId is null ? client.LibraryId : null;
        RegisterId = client.CashRegisterId;
        Binding = client.CashRegisterId is not null ? ClientBinding.Register : client.LibraryId is not null ? ClientBinding.Library : ClientBinding.None;
        foreach (var scope in client.Scopes)
        {
            scopes.Add(scope);
        }
    }

    /// <summary>What is missing before this can be sent, per wire field; empty when nothing is.</summary>
    public Dictionary<string, string> Problems()
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (scopes.Count == 0)
        {
            problems["scopes"] = "Tick at least one scope.";
        }
        if (Binding == ClientBinding.Library && string.IsNullOrEmpty(LibraryId))
        {
            problems["library_id"] = "Choose the library it is bound to.";
        }
        if (Binding == ClientBinding.Register && RegisterId is null)
        {
            problems["cash_register_id"] = "Choose the register it is bound to.";
        }
        return problems;
    }

    /// <summary>The request body: a register binding names the register only (its library follows from it).</summary>
    public ClientRequest ToRequest(string name) => new(
        name.Trim(), [.. scopes],
        Binding == ClientBinding.Register ? RegisterId : null,
        Binding == ClientBinding.Library ? LibraryId : null);
}
