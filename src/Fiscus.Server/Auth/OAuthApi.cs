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
/// As RFC 6749 §2.3.1 asks of a server, the client may instead authenticate by HTTP Basic
/// (<c>base64(urlencode(client_id):urlencode(client_secret))</c>) with only <c>grant_type</c> in the body; there a wrong
/// secret is the RFC's 401 <c>invalid_client</c> with <c>WWW-Authenticate: Basic</c>, and both ways at once is 400
/// <c>invalid_request</c> (§2.3: one method per request). Either way the secret goes through the same throttle and audit
/// (<see cref="SignIns.ClientAsync"/>).
/// </summary>
public static class OAuthApi
{
    /// <summary>Marks the token endpoint, whose <c>Authorization: Basic</c> is a client's id and secret, not a staff member's.</summary>
    public sealed class ClientAuthentication
    {
        public static readonly ClientAuthentication Instance = new();
    }

    public const string FormFieldsMessage =
        "Send grant_type, client_id and client_secret as form fields (Content-Type: application/x-www-form-urlencoded), " +
        "or grant_type as a form field with the client id and secret by HTTP Basic; a JSON body is not an OAuth2 token request.";

    public static RouteGroupBuilder MapOAuth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/oauth").WithTags("Authentication");
        // No Accepts metadata: with it, routing would answer a JSON body with a bare 415 before the endpoint could say
        // what to send instead. The form is described to OpenAPI by TokenDocs.
        group.MapPost("/token", TokenAsync).AllowAnonymous()
            .WithMetadata(ClientAuthentication.Instance)
            .WithName("tokenOAuth").WithSummary("Exchange API client credentials for a bearer token")
            .AddOpenApiOperationTransformer(Docs.TokenDocs.TransformAsync);
        return group;
    }

    static async Task<Results<Ok<TokenResponse>, BadRequest<OAuthError>, JsonHttpResult<OAuthError>, SignInRefusal>> TokenAsync(
        HttpContext http, SignIns signIns, NpgsqlDataSource db, TimeProvider time, FiscusOptions options,
        CancellationToken cancellationToken)
    {
        // Read by hand: a token request is a form post from a machine, not a browser form with an antiforgery token.
        if (!http.Request.HasFormContentType)
        {
            return TypedResults.BadRequest(new OAuthError("invalid_request", FormFieldsMessage));
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
        var basic = ClientBasic.Read(http.Request);
        if (basic.Malformed is { } malformed)
        {
            return TypedResults.BadRequest(new OAuthError("invalid_request", malformed));
        }
        var clientId = form["client_id"].ToString();
        var secret = form["client_secret"].ToString();
        if (basic.Credentials is { } credentials)
        {
            // A client_id in the body beside Basic is allowed (§3.2.1) when it is the same client; a secret is a second method.
            if (form.ContainsKey("client_secret") || (form.ContainsKey("client_id") && clientId != credentials.ClientId))
            {
                return TypedResults.BadRequest(new OAuthError("invalid_request",
                    "Authenticate the client one way only: HTTP Basic or the client_id and client_secret form fields, not both (RFC 6749 §2.3)."));
            }
            (clientId, secret) = credentials;
        }
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
            if (basic.Credentials is not null)
            {
                http.Response.Headers.WWWAuthenticate = ClientBasic.Challenge;
                return TypedResults.Json(new OAuthError("invalid_client", "Unknown client, wrong secret or disabled client."),
                    statusCode: StatusCodes.Status401Unauthorized);
            }
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
