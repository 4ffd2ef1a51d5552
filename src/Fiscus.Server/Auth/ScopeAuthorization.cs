using Fiscus.Ledger.Access;
using Microsoft.AspNetCore.Authorization;

namespace Fiscus.Server.Auth;

/// <summary>Met when the caller holds the scope (directly, or through its role).</summary>
public sealed class ScopeRequirement(string scope) : IAuthorizationRequirement
{
    public string Scope { get; } = scope;
}

public sealed class ScopeRequirementHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.User.HasClaim(Caller.ScopeClaim, requirement.Scope))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// Met when the caller is bound to no register or library: what the scope changes is shared by every library
/// (<see cref="Scopes.InstallationWide"/>), so no binding could confine it.
/// </summary>
public sealed class UnboundRequirement(string scope) : IAuthorizationRequirement
{
    public string Scope { get; } = scope;
}

public sealed class UnboundRequirementHandler : AuthorizationHandler<UnboundRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, UnboundRequirement requirement)
    {
        if (Caller.FromPrincipal(context.User) is { Binding.IsBound: false })
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>Met when a staff member, not an API client, is signed in: some acts need a person (and their password).</summary>
public sealed class StaffRequirement : IAuthorizationRequirement;

public sealed class StaffRequirementHandler : AuthorizationHandler<StaffRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, StaffRequirement requirement)
    {
        if (Caller.FromPrincipal(context.User) is { Kind: CallerKind.User })
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

public static class ScopeAuthorizationExtensions
{
    /// <summary>The policy of endpoints only a staff member may use, whatever scopes a client holds.</summary>
    public const string StaffPolicy = "staff";

    /// <summary>One policy per scope, named after it: <c>.RequireAuthorization(Scopes.RegistersRead)</c>.</summary>
    public static AuthorizationBuilder AddScopePolicies(this AuthorizationBuilder builder)
    {
        foreach (var scope in Scopes.All)
        {
            builder.AddPolicy(scope, policy =>
            {
                policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope));
                if (Scopes.InstallationWide.Contains(scope))
                {
                    policy.AddRequirements(new UnboundRequirement(scope));
                }
            });
        }
        builder.AddPolicy(StaffPolicy, policy => policy.RequireAuthenticatedUser().AddRequirements(new StaffRequirement()));
        return builder;
    }
}
