using Fiscus.Ledger.Audit;
using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Fiscus.Server.Auth;

public sealed record LoginRequest(string Username, string Password);

public sealed record LoginResponse(string AccessToken, string TokenType, int ExpiresIn, DateTime ExpiresAt, WhoAmIDto User);

/// <summary>The authenticated caller, as <c>GET /api/v1/auth/me</c> shows it.</summary>
public sealed record WhoAmIDto(
    string Kind, long? UserId, string? ClientId, Guid Uuid, string Name, string? Role, string[] Scopes, string? LibraryId,
    int? CashRegisterId);

/// <summary>
/// Staff sign-in: <c>POST /api/v1/auth/login</c> returns a bearer token and sets it as the HttpOnly
/// <c>access_token</c> cookie (what the POS shift API's curl examples send); logout revokes it.
/// </summary>
public static class AuthApi
{
    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/auth").WithTags("Authentication");
        group.MapPost("/login", LoginAsync).AllowAnonymous().WithMetadata(SetsSessionCookie.Instance)
            .WithName("login").WithSummary("Sign a staff user in; returns a token and sets the access_token cookie");
        group.MapPost("/logout", LogoutAsync).RequireAuthorization()
            .WithName("logout").WithSummary("Revoke the current token and clear the cookie");
        group.MapGet("/me", WhoAmIAsync).RequireAuthorization()
            .WithName("whoAmI").WithSummary("Who the current credentials belong to, and what they may do");
        return group;
    }

    static async Task<Results<Ok<LoginResponse>, ProblemHttpResult, SignInRefusal>> LoginAsync(
        LoginRequest request, HttpContext http, SignIns signIns, NpgsqlDataSource db, TimeProvider time, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        var signIn = await signIns.LoginAsync(http, request.Username, request.Password, cancellationToken);
        if (signIn.Refusal is { } refusal)
        {
            return refusal;
        }
        if (signIn.Value is not { } user)
        {
            return TypedResults.Problem(ApiProblems.Create(401, "invalid_credentials", "Wrong username or password."));
        }
        var caller = SignIns.CallerOf(user);
        var issued = await Transactions.RunAsync(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var token = await Tokens.IssueAsync(connection, transaction, user.UserId, null, options.SessionSeconds, now, cancellationToken);
            await signIns.RecordLoginAsync(http, caller, connection, transaction, now, cancellationToken);
            return token;
        }, cancellationToken);
        http.Response.Cookies.Append(FiscusAuthentication.CookieName, issued.AccessToken, new CookieOptions
        {
            HttpOnly = true,
            // Strict: a cookie-authenticated write can only come from a page Fiscus itself served.
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            Expires = issued.ExpiresAt,
        });
        return TypedResults.Ok(new LoginResponse(issued.AccessToken, "Bearer", issued.ExpiresInSeconds, issued.ExpiresAt.UtcDateTime, WhoAmI(caller, null)));
    }

    static async Task<NoContent> LogoutAsync(Caller caller, HttpContext http, Tokens tokens, NpgsqlDataSource db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (caller.TokenId is { } tokenId)
        {
            await tokens.RevokeAsync(tokenId, cancellationToken);
        }
        await Transactions.RunAsync(db, (connection, transaction) => AuditLog.WriteAsync(connection, transaction,
            AuditActors.From(caller, http), time.GetUtcNow(), "auth.logout", caller.Kind == CallerKind.User ? "staff_user" : "api_client",
            caller.Principal, null, cancellationToken), cancellationToken);
        http.Response.Cookies.Delete(FiscusAuthentication.CookieName, new CookieOptions { Path = "/" });
        return TypedResults.NoContent();
    }

    static Ok<WhoAmIDto> WhoAmIAsync(Caller caller) => TypedResults.Ok(WhoAmI(caller, caller.ClientId));

    static WhoAmIDto WhoAmI(Caller caller, string? clientId) => new(
        caller.Kind == CallerKind.User ? "user" : "client", caller.UserId, clientId, caller.Uuid, caller.Name, caller.Role,
        caller.Scopes.Order(StringComparer.Ordinal).ToArray(), caller.LibraryId, caller.CashRegisterId);
}
