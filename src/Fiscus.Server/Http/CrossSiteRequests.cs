using Fiscus.Server.Auth;

namespace Fiscus.Server.Http;

/// <summary>
/// Refuses cross-site request forgery: an unsafe request (anything but GET, HEAD, OPTIONS, TRACE) that a browser
/// sent from another site with the <c>access_token</c> cookie, which the browser attaches on its own. SameSite=Strict
/// on the cookie is not enough: a sibling subdomain is the same site, older browsers ignore it, and endpoints
/// without a body (disable a user, rotate a secret, start a cash-up) accept the form posts and
/// <c>no-cors</c> fetches any page can make. Only cookie-authenticated requests are checked: a bearer token or
/// Basic credentials are sent by code that holds them, never added by a browser.
/// </summary>
/// <remarks>
/// The check is Fetch Metadata first: browsers say where a request comes from in <c>Sec-Fetch-Site</c>, and only
/// <c>same-origin</c> (a page Fiscus served) or <c>none</c> (the user's own navigation) pass. Browsers that do not
/// send it still send <c>Origin</c> on unsafe requests, which must then be this server's own origin (scheme, host and
/// port as the request sees itself, after a trusted proxy's X-Forwarded-Proto and -Host); <c>Origin: null</c>
/// (sandboxed frames, some redirects) is refused. A request with neither header does not come from a browser (the
/// POS shift examples send the cookie with curl) and passes. ASP.NET Core 10 has no such check built in (its
/// antiforgery needs a token in every form, which API clients do not send); .NET 11 adds one based on the same
/// headers, which could replace this middleware.
/// </remarks>
public sealed class CrossSiteRequests(RequestDelegate next)
{
    public const string Code = "cross_site_request";

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) ||
            HttpMethods.IsTrace(request.Method))
        {
            return next(context);
        }
        var byCookie = context.User.Identity is { IsAuthenticated: true, AuthenticationType: FiscusAuthentication.CookieMethod };
        var setsCookie = context.GetEndpoint()?.Metadata.GetMetadata<SetsSessionCookie>() is not null;
        if ((byCookie || setsCookie) && IsCrossSite(request))
        {
            return ErrorShapes.For(context).WriteAsync(context, StatusCodes.Status403Forbidden, Code,
                "Cross-site request refused: a request that signs in or is signed in with the access_token cookie must come " +
                "from a page of this server. Programs send the token as 'Authorization: Bearer' instead.", null);
        }
        return next(context);
    }

    static bool IsCrossSite(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0)
        {
            return !(fetchSite.Equals("same-origin", StringComparison.OrdinalIgnoreCase) || fetchSite.Equals("none", StringComparison.OrdinalIgnoreCase));
        }
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !IsOwnOrigin(origin, request);
    }

    /// <summary>Whether <paramref name="origin"/> (<c>scheme://host[:port]</c>) is the origin this request was sent to.</summary>
    static bool IsOwnOrigin(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var presented) || presented.PathAndQuery != "/" ||
            !Uri.TryCreate($"{request.Scheme}://{request.Host.Value}", UriKind.Absolute, out var own))
        {
            return false;
        }
        return Uri.Compare(presented, own, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
    }
}

/// <summary>Endpoint metadata: this endpoint sets the session cookie (login), so a cross-site request to it is refused too.</summary>
public sealed class SetsSessionCookie
{
    public static readonly SetsSessionCookie Instance = new();
}
