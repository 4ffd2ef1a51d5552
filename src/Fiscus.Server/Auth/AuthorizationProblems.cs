using Fiscus.Ledger.Access;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Fiscus.Server.Auth;

/// <summary>
/// Writes 401 and 403 as problem details that say what went wrong: which credential was refused, or which
/// scope the caller lacks.
/// </summary>
public sealed class AuthorizationProblems : IAuthorizationMiddlewareResultHandler
{
    readonly AuthorizationMiddlewareResultHandler fallback = new();

    public async Task HandleAsync(
        RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            if (context.Items[SignInRefusal.Item] is SignInRefusal refusal)
            {
                await refusal.ExecuteAsync(context);
                return;
            }
            var failure = context.Items[FiscusAuthentication.FailureItem] as string;
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"Fiscus\"";
            await WriteAsync(context, 401, "unauthorized", failure ?? "Authentication is required: send a Bearer token, Basic credentials or the access_token cookie.");
            return;
        }
        if (authorizeResult.Forbidden)
        {
            var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.ToArray() ?? [];
            var missing = failed.OfType<ScopeRequirement>().Select(r => r.Scope).ToArray();
            if (missing.Length == 0 && failed.OfType<StaffRequirement>().Any())
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await WriteAsync(context, 403, "staff_only", "Only a staff member, signed in as themselves, may do this; an API client cannot.");
                return;
            }
            if (missing.Length == 0 && failed.OfType<UnboundRequirement>().FirstOrDefault() is { } unbound &&
                Caller.FromPrincipal(context.User)?.Binding.CheckInstallationWide(Scopes.InstallationWideAct(unbound.Scope)) is { } outside)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await WriteAsync(context, 403, outside.Code, outside.Message);
                return;
            }
            var message = missing.Length > 0
                ? $"This needs the {string.Join(", ", missing)} permission, which the caller does not have."
                : "The caller may not do this.";
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await WriteAsync(context, 403, "forbidden", message);
            return;
        }
        await fallback.HandleAsync(next, context, policy, authorizeResult);
    }

    static Task WriteAsync(HttpContext context, int status, string code, string message) =>
        ErrorShapes.For(context).WriteAsync(context, status, code, message, null);
}
