using Fiscus.Server.Auth;
using Fiscus.Server.StaffApp;

namespace Fiscus.Server.Http;

/// <summary>
/// The headers every answer carries, whatever wrote it (an endpoint, an error, the docs' static files):
/// no MIME sniffing, no Referer leaving Fiscus (URLs can hold patron and account ids), no framing (so no
/// clickjacking of the staff app), a Content-Security-Policy for what the answer is, and <c>no-store</c> on
/// anything a credential came with or an auth endpoint answered, so no shared or browser cache keeps
/// account data or tokens. Strict-Transport-Security is ASP.NET Core's <c>UseHsts</c>, which sends it only
/// over HTTPS.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    /// <summary>API answers are data, never a document: nothing may load from them or frame them.</summary>
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>
    /// The Swagger UI under <see cref="DocsPath"/>: its page has no inline script or style (Swashbuckle serves
    /// its configuration as <c>index.js</c>), it loads only its own bundled files, shows its icons as
    /// <c>data:</c> images from its stylesheet and fetches the OpenAPI document (and "try it out") from Fiscus.
    /// The one inline style it renders is the <c>&lt;style&gt;</c> inside its SVG logo, allowed by its hash
    /// (<see cref="DocsLogoStyle"/>) rather than by <c>'unsafe-inline'</c>. Checked in Chromium: the page renders
    /// with no CSP violation.
    /// </summary>
    public const string DocsPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self' '" + DocsLogoStyleHash + "'; img-src 'self' data:; " +
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// What Swagger UI's top bar (<c>swagger-ui-standalone-preset.js</c> of Swashbuckle.AspNetCore.SwaggerUI 10.3.1)
    /// puts in its logo's <c>&lt;style&gt;</c>.
    /// </summary>
    public const string DocsLogoStyle = ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";

    /// <summary>The CSP hash of <see cref="DocsLogoStyle"/> (a test recomputes it and finds the text in the served preset).</summary>
    public const string DocsLogoStyleHash = "sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=";

    /// <summary>
    /// For the staff app (Blazor WebAssembly, served at <c>/</c>): every answer outside the API's roots. Blazor's runtime compiles
    /// .NET's WebAssembly, which needs <c>'wasm-unsafe-eval'</c> (and not <c>'unsafe-eval'</c>); everything else
    /// is the app's own files and calls to this API. Should its <c>index.html</c> keep an inline script, add that
    /// script's hash to script-src rather than <c>'unsafe-inline'</c>. No <c>upgrade-insecure-requests</c>:
    /// the zero-setup install is plain HTTP on 127.0.0.1, and HSTS does that job where TLS is in front.
    /// </summary>
    public const string StaffAppPolicy =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static readonly PathString DocsPath = "/api/v1/docs";

    /// <summary>Sign-in, sign-out, who-am-I and token answers are never cached, whoever asks.</summary>
    static readonly PathString[] AuthPaths = ["/api/v1/auth", "/api/v1/oauth"];

    public Task InvokeAsync(HttpContext context)
    {
        // Set when the answer starts, so error pages, the exception handler's output and static files get them too.
        context.Response.OnStarting(static state =>
        {
            Apply((HttpContext)state);
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        var path = context.Request.Path;
        var api = StaffAppHosting.IsApiPath(path);
        headers.ContentSecurityPolicy = path.StartsWithSegments(DocsPath) ? DocsPolicy : api ? ApiPolicy : StaffAppPolicy;
        if ((api && CarriesCredentials(context.Request)) || AuthPaths.Any(p => path.StartsWithSegments(p)))
        {
            headers.CacheControl = "no-store";
        }
        else if (!api && context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
        {
            // The app's index.html names the fingerprinted files of this build: always ask whether it changed.
            headers.CacheControl = "no-cache";
        }
    }

    /// <summary>
    /// Any credential, accepted or not: an authenticated answer holds someone's data, and a refused one should
    /// not be replayed from a cache either.
    /// </summary>
    static bool CarriesCredentials(HttpRequest request) =>
        request.Headers.Authorization.Count > 0 ||
        request.Headers.ContainsKey(FiscusAuthentication.OkapiTokenHeader) ||
        request.Cookies.ContainsKey(FiscusAuthentication.CookieName);
}
