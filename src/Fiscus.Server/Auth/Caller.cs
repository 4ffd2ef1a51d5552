using System.Globalization;
using System.Security.Claims;
using Fiscus.Ledger.Access;

namespace Fiscus.Server.Auth;

public enum CallerKind
{
    User,
    Client,
}

/// <summary>
/// Who is making the request: a staff user or an API client, with the scopes it holds and the register or
/// library it is bound to. Handlers take it as a parameter; it is read from the authenticated principal.
/// </summary>
public sealed record Caller(
    CallerKind Kind,
    long Id,
    Guid Uuid,
    string Name,
    string? Role,
    IReadOnlySet<string> Scopes,
    string? LibraryId,
    int? CashRegisterId,
    long? TokenId,
    string? ClientId = null)
{
    const string KindClaim = "fiscus:kind";
    const string IdClaim = "fiscus:id";
    const string UuidClaim = "fiscus:uuid";
    const string LibraryClaim = "fiscus:library_id";
    const string RegisterClaim = "fiscus:cash_register_id";
    const string TokenClaim = "fiscus:token_id";
    const string ClientIdClaim = "fiscus:client_id";
    public const string ScopeClaim = "scope";

    public long? UserId => Kind == CallerKind.User ? Id : null;

    public long? ApiClientId => Kind == CallerKind.Client ? Id : null;

    /// <summary>A stable name for the principal, e.g. <c>user:4</c> or <c>client:2</c> (idempotency scope, audit).</summary>
    public string Principal => string.Create(CultureInfo.InvariantCulture, $"{(Kind == CallerKind.User ? "user" : "client")}:{Id}");

    /// <summary>How the audit log names the actor: <c>user:4 (jdoe)</c>.</summary>
    public string Actor => $"{Principal} ({Name})";

    public bool HasScope(string scope) => Scopes.Contains(scope);

    /// <summary>
    /// Where the caller may act. Staff users are not bound (their <see cref="LibraryId"/> is a home library, a
    /// default, not a limit); a client's register or library binding confines everything it reads and writes.
    /// </summary>
    public Binding Binding => Kind == CallerKind.Client ? new Binding(LibraryId, CashRegisterId) : Binding.None;

    public ClaimsPrincipal ToPrincipal(string authenticationType)
    {
        var claims = new List<Claim>
        {
            new(KindClaim, Kind == CallerKind.User ? "user" : "client"),
            new(IdClaim, Id.ToString(CultureInfo.InvariantCulture)),
            new(UuidClaim, Uuid.ToString()),
            new(ClaimTypes.NameIdentifier, Principal),
            new(ClaimTypes.Name, Name),
        };
        if (Role is not null)
        {
            claims.Add(new Claim(ClaimTypes.Role, Role));
        }
        claims.AddRange(Scopes.Select(s => new Claim(ScopeClaim, s)));
        if (LibraryId is not null)
        {
            claims.Add(new Claim(LibraryClaim, LibraryId));
        }
        if (CashRegisterId is { } register)
        {
            claims.Add(new Claim(RegisterClaim, register.ToString(CultureInfo.InvariantCulture)));
        }
        if (TokenId is { } token)
        {
            claims.Add(new Claim(TokenClaim, token.ToString(CultureInfo.InvariantCulture)));
        }
        if (ClientId is not null)
        {
            claims.Add(new Claim(ClientIdClaim, ClientId));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static Caller? FromPrincipal(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true || principal.FindFirstValue(KindClaim) is not { } kind)
        {
            return null;
        }
        return new Caller(
            kind == "user" ? CallerKind.User : CallerKind.Client,
            long.Parse(principal.FindFirstValue(IdClaim)!, CultureInfo.InvariantCulture),
            Guid.Parse(principal.FindFirstValue(UuidClaim)!),
            principal.FindFirstValue(ClaimTypes.Name)!,
            principal.FindFirstValue(ClaimTypes.Role),
            principal.FindAll(ScopeClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            principal.FindFirstValue(LibraryClaim),
            principal.FindFirstValue(RegisterClaim) is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : null,
            principal.FindFirstValue(TokenClaim) is { } t ? long.Parse(t, CultureInfo.InvariantCulture) : null,
            principal.FindFirstValue(ClientIdClaim));
    }

    /// <summary>Minimal-API binding: endpoints that take a <see cref="Caller"/> require authentication.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<Caller?>(FromPrincipal(context.User) ?? throw new InvalidOperationException(
            "Caller bound on an endpoint that allows anonymous access; require authorization on its group."));
}
