using System.Text;
using System.Text.Encodings.Web;
using Fiscus.Server.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Fiscus.Server.Auth;

/// <summary>
/// One authentication scheme for every way a caller proves who it is: <c>Authorization: Bearer</c> (staff
/// login or client-credentials token), <c>Authorization: Basic</c> (staff username and password, as Koha's
/// RESTBasicAuth; can be switched off), FOLIO's <c>X-Okapi-Token</c> header (a Fiscus token) or the
/// <c>access_token</c> cookie set by login.
/// </summary>
public sealed class FiscusAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    Tokens tokens,
    SignIns signIns,
    FiscusOptions fiscus) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Fiscus";
    public const string CookieName = "access_token";
    public const string OkapiTokenHeader = "X-Okapi-Token";

    /// <summary>The principal's authentication type when the cookie signed it in (what the cross-site check looks for).</summary>
    public const string CookieMethod = "cookie";

    /// <summary>HttpContext item holding why the presented credentials were refused, for the 401 body.</summary>
    public const string FailureItem = "fiscus.authentication_failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var result = await AuthenticateCredentialsAsync();
        if (result.Failure is { } failure)
        {
            Context.Items[FailureItem] = failure.Message;
        }
        return result;
    }

    async Task<AuthenticateResult> AuthenticateCredentialsAsync()
    {
        // The token endpoint reads its Basic header as a client's id and secret: taken for a staff sign-in, it would be
        // a failed staff login (throttled and audited as one) for every client that authenticates the RFC's way.
        if (Context.GetEndpoint()?.Metadata.GetMetadata<OAuthApi.ClientAuthentication>() is not null)
        {
            return AuthenticateResult.NoResult();
        }
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return await FromTokenAsync(authorization["Bearer ".Length..].Trim(), "bearer");
            }
            if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                return fiscus.BasicAuth
                    ? await FromBasicAsync(authorization["Basic ".Length..].Trim())
                    : AuthenticateResult.Fail("HTTP Basic authentication is switched off on this server (FISCUS_BASIC_AUTH).");
            }
            return AuthenticateResult.Fail("Unsupported Authorization scheme; use Bearer or Basic.");
        }
        // FOLIO's clients send their token as Okapi's header.
        if (Request.Headers[OkapiTokenHeader].ToString() is { Length: > 0 } okapi)
        {
            return await FromTokenAsync(okapi.Trim(), "okapi");
        }
        if (Request.Cookies.TryGetValue(CookieName, out var cookie) && cookie.Length > 0)
        {
            return await FromTokenAsync(cookie, CookieMethod);
        }
        return AuthenticateResult.NoResult();
    }

    async Task<AuthenticateResult> FromTokenAsync(string token, string method)
    {
        var caller = await tokens.AuthenticateAsync(token, Context.RequestAborted);
        return caller is null
            ? AuthenticateResult.Fail("The access token is invalid, expired or revoked.")
            : Success(caller, method);
    }

    async Task<AuthenticateResult> FromBasicAsync(string encoded)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return AuthenticateResult.Fail("The Basic credentials are not valid base64.");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return AuthenticateResult.Fail("The Basic credentials must be username:password.");
        }
        // Throttled like every sign-in, and remembered so that an integration sending Basic on every request is not
        // hashed every time. A refusal (429, or 503 when hashing is saturated) is answered by AuthorizationProblems.
        var signIn = await signIns.BasicAsync(Context, decoded[..colon], decoded[(colon + 1)..], Context.RequestAborted);
        if (signIn.Refusal is { } refusal)
        {
            Context.Items[SignInRefusal.Item] = refusal;
            return AuthenticateResult.Fail(refusal.Message);
        }
        return signIn.Value is { } caller ? Success(caller, "basic") : AuthenticateResult.Fail("Wrong username or password.");
    }

    AuthenticateResult Success(Caller caller, string method) =>
        AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(method), SchemeName));
}
