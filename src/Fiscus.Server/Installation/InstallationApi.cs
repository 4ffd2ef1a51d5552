using Fiscus.Server.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fiscus.Server.Installation;

public sealed record CurrencyDto(string Code, int Exponent);

public sealed record DenominationDto(decimal Value, string Kind);

/// <summary>What every client needs to show money: the installation's currency and the cash it counts in.</summary>
public sealed record InstallationDto(CurrencyDto Currency, IReadOnlyList<DenominationDto> Denominations);

/// <summary>
/// <c>GET /api/v1/installation</c>: installation-wide facts a client shows money with (the staff app reads it after
/// signing in). Any signed-in caller may read it; there is nothing in it about patrons or money moved.
/// </summary>
public static class InstallationApi
{
    public static RouteHandlerBuilder MapInstallation(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/v1/installation", (FiscusOptions options) => Get(options))
            .RequireAuthorization()
            .WithTags("Installation")
            .WithName("getInstallation")
            .WithSummary("The installation's currency (ISO 4217 code and exponent) and the notes and coins cash is counted in");

    static Ok<InstallationDto> Get(FiscusOptions options) => TypedResults.Ok(new InstallationDto(
        new CurrencyDto(options.Currency.Code, options.Currency.Exponent),
        options.CashDenominations.Select(d => new DenominationDto(options.Currency.ToMajor(d.ValueMinor), d.Kind)).ToList()));
}
