using System.Net;
using System.Text;

namespace Fiscus.Server.Auth;

/// <summary>
/// An API client's id and secret sent by HTTP Basic to the token endpoint (RFC 6749 §2.3.1): each part is
/// form-urlencoded before they are joined with a colon and base64-encoded, so a colon or a non-ASCII character in either
/// survives. Fiscus's own ids and secrets are hex and base64url, which urlencoding leaves as they are, so a client that
/// forgets to encode still works.
/// </summary>
public static class ClientBasic
{
    public const string Challenge = "Basic realm=\"Fiscus\", charset=\"UTF-8\"";

    public readonly record struct Credentials(string ClientId, string Secret);

    /// <summary>The credentials, a reason they cannot be read, or neither when no Basic header was sent.</summary>
    public readonly record struct Result(Credentials? Credentials, string? Malformed);

    static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static Result Read(HttpRequest request)
    {
        var headers = request.Headers.Authorization;
        var value = headers.ToString();
        // Another scheme (a stale Bearer header, say) authenticates no client here and was never refused: ignored.
        if (!value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return default;
        }
        if (headers.Count > 1)
        {
            return new(null, "Send one Authorization header.");
        }
        string decoded;
        try
        {
            decoded = StrictUtf8.GetString(Convert.FromBase64String(value["Basic ".Length..].Trim()));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return new(null, "The Basic credentials are not base64 of UTF-8 text.");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return new(null, "The Basic credentials must be client_id:client_secret (each form-urlencoded).");
        }
        return new(new Credentials(WebUtility.UrlDecode(decoded[..colon]), WebUtility.UrlDecode(decoded[(colon + 1)..])), null);
    }
}
