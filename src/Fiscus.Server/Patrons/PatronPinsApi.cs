using Fiscus.Ledger.Access;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Fiscus.Server.Patrons;

public sealed record PatronPinRequest(string Pin);

/// <summary>
/// <c>/api/v1/patrons/{patron_id}/pin</c>: the PIN a patron gives at a self-service kiosk (SIP2's patron password). It can
/// be set and cleared, never read: no answer carries it or its hash.
/// </summary>
public static class PatronPinsApi
{
    public static RouteGroupBuilder MapPatronPins(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/patrons").WithTags("Patrons").RequireAuthorization(Scopes.PatronsWrite);
        group.MapPut("/{patron_id:long}/pin", SetAsync).WithName("setPatronPin")
            .WithSummary("Set a patron's PIN for self-service kiosks (4 to 64 characters, no '|' or control characters)");
        group.MapDelete("/{patron_id:long}/pin", ClearAsync).WithName("clearPatronPin").WithSummary("Remove a patron's PIN");
        return group;
    }

    static async Task<Results<NoContent, ProblemHttpResult>> SetAsync(
        [FromRoute(Name = "patron_id")] long patronId, PatronPinRequest request, Caller caller, HttpContext http, PatronPins pins,
        CancellationToken cancellationToken) =>
        Answer(await pins.SetAsync(patronId, request.Pin, caller.Binding, AuditActors.From(caller, http), cancellationToken));

    static async Task<Results<NoContent, ProblemHttpResult>> ClearAsync(
        [FromRoute(Name = "patron_id")] long patronId, Caller caller, HttpContext http, PatronPins pins, CancellationToken cancellationToken) =>
        Answer(await pins.SetAsync(patronId, null, caller.Binding, AuditActors.From(caller, http), cancellationToken));

    static Results<NoContent, ProblemHttpResult> Answer(Ledger.Outcome<long> outcome) =>
        outcome.Succeeded ? TypedResults.NoContent() : ApiProblems.From(outcome.Failure!);
}
