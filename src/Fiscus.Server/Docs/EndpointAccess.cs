using Fiscus.Server.Auth;
using Microsoft.AspNetCore.Authorization;

namespace Fiscus.Server.Docs;

/// <summary>
/// Who may call an endpoint, read from the authorization metadata its route group and its own
/// <c>RequireAuthorization</c>/<c>AllowAnonymous</c> put there: the scope policies of <see cref="ScopeAuthorizationExtensions"/>
/// (all of them must hold, as the authorization middleware combines them), the staff-only policy, or just "signed in".
/// The OpenAPI document is written from this, so it cannot drift from what the server enforces.
/// </summary>
public sealed record EndpointAccess(bool Anonymous, IReadOnlyList<string> Scopes, bool StaffOnly)
{
    public static EndpointAccess Of(IReadOnlyList<object> metadata)
    {
        // As the authorization middleware reads them: any IAllowAnonymous skips every policy, and an endpoint with no
        // IAuthorizeData at all has none (Fiscus sets no fallback policy).
        var authorize = metadata.OfType<IAuthorizeData>().ToList();
        if (metadata.OfType<IAllowAnonymous>().Any() || authorize.Count == 0)
        {
            return new(true, [], false);
        }
        var policies = authorize.Select(a => a.Policy).OfType<string>().ToList();
        var scopes = policies.Where(Ledger.Access.Scopes.All.Contains).Distinct(StringComparer.Ordinal).ToList();
        return new(false, scopes, policies.Contains(ScopeAuthorizationExtensions.StaffPolicy, StringComparer.Ordinal));
    }

    /// <summary>Whether a client bound to a register or library is refused whatever it asks (installation-wide scopes).</summary>
    public bool RefusesBoundClients => Scopes.Any(Ledger.Access.Scopes.InstallationWide.Contains);

    /// <summary>
    /// Only a person can call it: the staff-only policy, or a scope no API client may hold (<see cref="Ledger.Access.Scopes.StaffOnly"/>),
    /// so OAuth2 client credentials are no way in.
    /// </summary>
    public bool PersonOnly => StaffOnly || Scopes.Any(Ledger.Access.Scopes.StaffOnly.Contains);

    /// <summary>The sentence the operation's description carries about it.</summary>
    public string Describe()
    {
        if (Anonymous)
        {
            return "**Authorization:** none; no credentials are needed.";
        }
        var who = PersonOnly
            ? $"a staff member{(Scopes.Count > 0 ? " whose role has it" : "")}, signed in as themselves (bearer token from login, the " +
              "cookie or Basic); an API client " + (StaffOnly ? "is refused with 403 `staff_only`" : "can never be granted it")
            : "a staff member whose role has it, or an API client granted it";
        var text = Scopes.Count switch
        {
            0 when PersonOnly => $"**Authorization:** {who}.",
            0 => "**Authorization:** any signed-in caller (staff member or API client); no particular scope.",
            1 => $"**Required scope:** `{Scopes[0]}` — {who}.",
            _ => $"**Required scopes:** {string.Join(" and ", Scopes.Select(s => $"`{s}`"))} — {who}.",
        };
        if (RefusesBoundClients)
        {
            text += " A client bound to a register or a library is refused (403 `outside_binding`): this concerns what every library shares.";
        }
        return text;
    }
}
