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

public static class ScopeAuthorizationExtensions
{
    /// <summary>One policy per scope, named after it: <c>.RequireAuthorization(Scopes.RegistersRead)</c>.</summary>
    public static AuthorizationBuilder AddScopePolicies(this AuthorizationBuilder builder)
    {
        foreach (var scope in Scopes.All)
        {
            builder.AddPolicy(scope, policy => policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)));
        }
        return builder;
    }
}
