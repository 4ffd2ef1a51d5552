using Fiscus.Ledger.Audit;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Fiscus.Server.Auth;

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

/// <summary>An OAuth2 error body: <c>{"error": "..."}</c> as Koha answers, with an optional description.</summary>
public sealed record OAuthError(
    string Error,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? ErrorDescription = null);

/// <summary>
/// <c>POST /api/v1/oauth/token</c>, Koha's contract: form fields <c>grant_type=client_credentials</c>,
/// <c>client_id</c> and <c>client_secret</c> give <c>{access_token, token_type: "Bearer", expires_in: 3600}</c>.
/// Other grant types are 400 <c>{"error": "Unimplemented grant type"}</c>; bad credentials are 403.
/// </summary>
public static class OAuthApi
{
    public static RouteGroupBuilder MapOAuth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/oauth").WithTags("Authentication");
        group.MapPost("/token", TokenAsync).AllowAnonymous()
            .Accepts<IFormCollection>("application/x-www-form-urlencoded")
            .WithName("tokenOAuth").WithSummary("Exchange API client credentials for a bearer token");
        return group;
    }

    static async Task<Results<Ok<TokenResponse>, BadRequest<OAuthError>, JsonHttpResult<OAuthError>, SignInRefusal>> TokenAsync(
        HttpContext http, SignIns signIns, NpgsqlDataSource db, TimeProvider time, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        // Read by hand: a token request is a form post from a machine, not a browser form with an antiforgery token.
        if (!http.Request.HasFormContentType)
        {
            return TypedResults.BadRequest(new OAuthError("invalid_request", "Send the fields as application/x-www-form-urlencoded."));
        }
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            // Characters a form cannot hold, too many or too long fields, a charset .NET refuses (UTF-7).
            return TypedResults.BadRequest(new OAuthError("invalid_request", $"The form cannot be read: {e.Message}"));
        }
        if (form["grant_type"].ToString() != "client_credentials")
        {
            return TypedResults.BadRequest(new OAuthError("Unimplemented grant type"));
        }
        var clientId = form["client_id"].ToString();
        var secret = form["client_secret"].ToString();
        if (clientId.Length == 0 || secret.Length == 0)
        {
            return TypedResults.BadRequest(new OAuthError("invalid_request", "client_id and client_secret are required."));
        }
        var signIn = await signIns.ClientAsync(http, clientId, secret, cancellationToken);
        if (signIn.Refusal is { } refusal)
        {
            return refusal;
        }
        if (signIn.Value is not { } client)
        {
            return TypedResults.Json(new OAuthError("unauthorized_client", "Unknown client, wrong secret or disabled client."),
                statusCode: StatusCodes.Status403Forbidden);
        }
        var issued = await Transactions.RunAsync(db, async (connection, transaction) =>
        {
            var now = time.GetUtcNow();
            var token = await Tokens.IssueAsync(connection, transaction, null, client.ApiClientId, options.ClientTokenSeconds, now,
                cancellationToken);
            await AuditLog.WriteAsync(connection, transaction,
                new AuditActor($"client:{client.ApiClientId} ({client.Name})", null, client.ApiClientId,
                    http.Connection.RemoteIpAddress?.ToString(), http.TraceIdentifier),
                now, "auth.token", "api_client", client.ClientId, null, cancellationToken);
            return token;
        }, cancellationToken);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new TokenResponse(issued.AccessToken, "Bearer", issued.ExpiresInSeconds));
    }
}
