using Fiscus.Ledger.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fiscus.Server.Auth;

/// <summary>One scope: what it allows, which roles hold it, and who may be granted it.</summary>
/// <param name="Roles">The roles that hold it, lowest first.</param>
/// <param name="StaffOnly">Never granted to an API client (users:write, clients:write, shifts:write).</param>
/// <param name="InstallationWide">Changes what every library shares, or reads the audit log: a client bound to a register or library cannot hold it.</param>
public sealed record ScopeDto(string Scope, string Allows, string[] Roles, bool StaffOnly, bool InstallationWide);

/// <summary>
/// <c>GET /api/v1/scopes</c>: the scope catalogue, so that a client administration screen (the staff app's Setup) offers
/// exactly the scopes the server knows, with their meaning and the rules on who may hold them, from the one place that
/// defines them (<see cref="Scopes.Catalogue"/>) rather than a copy. Any signed-in caller may read it: the README says
/// the same.
/// </summary>
public static class ScopesApi
{
    public static RouteHandlerBuilder MapScopes(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/v1/scopes", List)
            .RequireAuthorization()
            .WithTags("Authentication")
            .WithName("listScopes")
            .WithSummary("Every scope: what it allows, the roles that hold it, whether a client may be granted it (and when bound)");

    static Ok<ScopeDto[]> List() => TypedResults.Ok(Scopes.Catalogue.Select(entry => new ScopeDto(
        entry.Scope,
        entry.Allows,
        Auth.Roles.All.Reverse().Where(role => Auth.Roles.ScopesOf(role).Contains(entry.Scope)).ToArray(),
        Scopes.StaffOnly.Contains(entry.Scope),
        Scopes.InstallationWide.Contains(entry.Scope))).ToArray());
}
