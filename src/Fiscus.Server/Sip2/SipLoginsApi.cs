using Fiscus.Ledger.Access;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Fiscus.Server.Sip2;

/// <summary>
/// Leave <c>password</c> out to have one generated and returned once; the settings left out take their defaults
/// (<c>patron_password</c> if-set, <c>overpayment</c> refuse, <c>payment_types</c> 00 SIP00, 01 and 02 CARD, and
/// <c>fine_item_format</c> "{id} {amount} {type} {description}").
/// </summary>
public sealed record CreateSipLoginRequest(
    string Login, string LibraryId, int CashRegisterId, string? Password = null, string? PatronPassword = null, string? Overpayment = null,
    Dictionary<string, string>? PaymentTypes = null, string? FineItemFormat = null);

/// <summary>PUT body: what is left out keeps its value; <c>payment_types</c>, when given, replaces the whole map; <c>login</c> may be echoed, not changed.</summary>
public sealed record UpdateSipLoginRequest(
    string? Login = null, string? LibraryId = null, int? CashRegisterId = null, string? PatronPassword = null, string? Overpayment = null,
    Dictionary<string, string>? PaymentTypes = null, string? FineItemFormat = null);

/// <summary>Leave <c>password</c> out (or send no body) to have one generated and returned once.</summary>
public sealed record SipLoginPasswordRequest(string? Password = null);

/// <summary>A SIP login on the wire; <c>client_id</c> is its service client's (the writer the ledger records). Never its password.</summary>
public sealed record SipLoginDto(
    string Login, string LibraryId, int CashRegisterId, string PatronPassword, string Overpayment, IReadOnlyDictionary<string, string> PaymentTypes,
    string FineItemFormat, string ClientId, bool Disabled, DateTime CreatedAt, DateTime UpdatedAt, DateTime PasswordChangedAt)
{
    public static SipLoginDto From(SipLogin login) => new(
        login.Login, login.LibraryId, login.CashRegisterId, login.PatronPassword, login.Overpayment, login.PaymentTypes, login.FineItemFormat,
        login.ClientId, login.DisabledAt is not null, login.CreatedAt, login.UpdatedAt, login.PasswordChangedAt);
}

/// <summary>The one answer that carries a SIP login's password: the one Fiscus generated, this once.</summary>
public sealed record SipLoginWithPasswordDto(
    string Login, string LibraryId, int CashRegisterId, string PatronPassword, string Overpayment, IReadOnlyDictionary<string, string> PaymentTypes,
    string FineItemFormat, string ClientId, bool Disabled, DateTime CreatedAt, DateTime UpdatedAt, DateTime PasswordChangedAt, string Password)
{
    public static SipLoginWithPasswordDto From(SipLogin login, string password) => new(
        login.Login, login.LibraryId, login.CashRegisterId, login.PatronPassword, login.Overpayment, login.PaymentTypes, login.FineItemFormat,
        login.ClientId, login.DisabledAt is not null, login.CreatedAt, login.UpdatedAt, login.PasswordChangedAt, password);
}

/// <summary>
/// <c>/api/v1/sip_logins</c> (admin): the credentials and settings self-service kiosks sign in to the SIP2 server with,
/// under the same rules as <c>fiscus sip-login ...</c>.
/// </summary>
public static class SipLoginsApi
{
    public static RouteGroupBuilder MapSipLogins(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/sip_logins").WithTags("SIP logins").RequireAuthorization(Scopes.ClientsWrite);
        group.MapGet("/", ListAsync).WithName("listSipLogins").WithSummary("List SIP logins").WithKohaList(KohaList.PagingOnly);
        group.MapGet("/{login}", GetAsync).WithName("getSipLogin").WithSummary("Get a SIP login");
        group.MapPost("/", CreateAsync).WithName("addSipLogin")
            .WithSummary("Add a SIP login for a kiosk (password left out: one is generated and returned once)");
        group.MapPut("/{login}", UpdateAsync).WithName("updateSipLogin")
            .WithSummary("Change a SIP login's register and library, patron password rule, overpayment rule, payment types or fine item format");
        group.MapPost("/{login}/disable", (string login, Caller caller, HttpContext http, SipLogins logins, CancellationToken ct) =>
                SetDisabledAsync(login, true, caller, http, logins, ct))
            .WithName("disableSipLogin").WithSummary("Disable a SIP login (its kiosk can neither sign in nor take money)");
        group.MapPost("/{login}/enable", (string login, Caller caller, HttpContext http, SipLogins logins, CancellationToken ct) =>
                SetDisabledAsync(login, false, caller, http, logins, ct))
            .WithName("enableSipLogin").WithSummary("Re-enable a disabled SIP login");
        group.MapPost("/{login}/password", SetPasswordAsync)
            .WithName("setSipLoginPassword").WithSummary("Set or generate (returned once) a SIP login's password");
        return group;
    }

    static async Task<Ok<SipLoginDto[]>> ListAsync(Paging paging, HttpContext http, SipLogins logins, CancellationToken cancellationToken) =>
        TypedResults.Ok(await paging.ServeAsync(http, logins.ListAsync, SipLoginDto.From, cancellationToken));

    static async Task<Results<Ok<SipLoginDto>, ProblemHttpResult>> GetAsync(string login, SipLogins logins, CancellationToken cancellationToken) =>
        await logins.FindAsync(login, cancellationToken) is { } found
            ? TypedResults.Ok(SipLoginDto.From(found))
            : ApiProblems.NotFound("sip_login_not_found", $"There is no SIP login '{login}'.");

    static async Task<Results<Created<SipLoginDto>, Created<SipLoginWithPasswordDto>, ProblemHttpResult>> CreateAsync(
        CreateSipLoginRequest request, Caller caller, HttpContext http, SipLogins logins, CancellationToken cancellationToken)
    {
        var outcome = await logins.CreateAsync(new SipLogins.NewSipLogin(request.Login, request.Password, request.LibraryId,
                request.CashRegisterId, request.PatronPassword, request.Overpayment, request.PaymentTypes, request.FineItemFormat),
            AuditActors.From(caller, http), cancellationToken);
        if (!outcome.Succeeded)
        {
            return ApiProblems.From(outcome.Failure!);
        }
        var (login, generated) = outcome.Value;
        var location = $"/api/v1/sip_logins/{Uri.EscapeDataString(login.Login)}";
        return generated is null
            ? TypedResults.Created(location, SipLoginDto.From(login))
            : TypedResults.Created(location, SipLoginWithPasswordDto.From(login, generated));
    }

    static async Task<Results<Ok<SipLoginDto>, ProblemHttpResult>> UpdateAsync(
        string login, UpdateSipLoginRequest request, Caller caller, HttpContext http, SipLogins logins, CancellationToken cancellationToken)
    {
        if (request.Login is { } echoed && !string.Equals(echoed, login, StringComparison.Ordinal))
        {
            return ApiProblems.From(Ledger.Failure.Invalid("login",
                "login cannot be changed (a kiosk's configuration names it); add a new SIP login and disable this one"));
        }
        var outcome = await logins.UpdateAsync(login, new SipLogins.SipLoginChanges(request.LibraryId, request.CashRegisterId,
                request.PatronPassword, request.Overpayment, request.PaymentTypes, request.FineItemFormat),
            AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(SipLoginDto.From(outcome.Value!)) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<SipLoginDto>, ProblemHttpResult>> SetDisabledAsync(
        string login, bool disabled, Caller caller, HttpContext http, SipLogins logins, CancellationToken cancellationToken)
    {
        var outcome = await logins.SetDisabledAsync(login, disabled, AuditActors.From(caller, http), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(SipLoginDto.From(outcome.Value!)) : ApiProblems.From(outcome.Failure!);
    }

    static async Task<Results<Ok<SipLoginDto>, Ok<SipLoginWithPasswordDto>, ProblemHttpResult>> SetPasswordAsync(
        string login, SipLoginPasswordRequest? request, Caller caller, HttpContext http, SipLogins logins, CancellationToken cancellationToken)
    {
        var outcome = await logins.SetPasswordAsync(login, request?.Password, AuditActors.From(caller, http), cancellationToken);
        if (!outcome.Succeeded)
        {
            return ApiProblems.From(outcome.Failure!);
        }
        return request?.Password is null
            ? TypedResults.Ok(SipLoginWithPasswordDto.From(outcome.Value.Login, outcome.Value.Password))
            : TypedResults.Ok(SipLoginDto.From(outcome.Value.Login));
    }
}
