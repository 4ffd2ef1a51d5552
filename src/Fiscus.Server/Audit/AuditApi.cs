using System.Text.Json;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Reports;
using Fiscus.Server.Startup;

namespace Fiscus.Server.Audit;

/// <summary>An account line an audit entry names, in the ledger's sign (credits negative), amounts in major units.</summary>
public sealed record AuditLineDto(
    long AccountLineId, long? PatronId, string? DebitType, string? CreditType, decimal Amount, string? PaymentType, int? CashRegisterId,
    string? InternalNote);

/// <summary>
/// One audit entry. <c>actor</c> is as recorded (<c>user:4 (ann)</c>, <c>client:2 (Kiosk 1)</c>, <c>system</c>,
/// <c>cli (root)</c>, <c>anonymous</c>); <c>actor_name</c> is the username or client name to show. For an act on money,
/// <c>amount</c> is what it moved (positive: a refund's payout, a void, a write-off, a payment), with the patron, the
/// register and the note, and <c>lines</c> the account lines it names. <c>details</c> is what the act recorded.
/// </summary>
public sealed record AuditEntryDto(
    long AuditId, DateTime OccurredAt, string Action, string? Category, string Actor, string ActorName, long? UserId, string? Username,
    string? ClientId, string? ClientName, string? RemoteAddress, string? RequestId, string? Entity, string? EntityId, long? PatronId,
    int? CashRegisterId, decimal? Amount, string? Note, JsonElement? Details, IReadOnlyList<AuditLineDto> Lines);

/// <summary>
/// <c>GET /api/v1/audit</c> (<c>audit:read</c>: managers and admins): who did what and when — "every void and refund my
/// staff made" — filtered, newest first, paged, or as CSV. The log is one for every library and for the installation's
/// users and clients, so no binding could confine it: a client bound to a register or a library is refused (403
/// <c>outside_binding</c>), even holding the scope.
/// </summary>
public static class AuditApi
{
    /// <summary>The most entries one CSV holds; a wider window is refused rather than cut short.</summary>
    public const int MaxCsvEntries = 100_000;

    static readonly string[] OtherParameters = ["_page", "_per_page", "format"];

    public static RouteGroupBuilder MapAudit(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/audit").WithTags("Audit").RequireAuthorization(Scopes.AuditRead);
        group.MapGet("/", ListAsync).WithName("listAuditEntries")
            .WithSummary("The audit log, newest first, paged (JSON or text/csv): filter by from/to (or since/until, UTC), actor, action, category, entity")
            .WithDescription(
                "`from`/`since` and `to`/`until`: UTC ISO 8601 (2026-03-01T09:00:00Z, or a date for its midnight UTC), start included, end " +
                "excluded. `actor`: a username, an API client's client_id, a staff user's id, or user:4 / client:2. `action`: an action " +
                "(account.refund) or one word of one (refund: account.refund and pos.refund; cashup: every cashup.*). `category`: " +
                string.Join(", ", AuditCategories.All.Select(c => c.Name)) + ". `action` and `category` are repeatable or comma-separated. " +
                "`entity` and `entity_id`: what was acted on. Paged with `_page` and `_per_page` (X-Total-Count, Link); CSV " +
                $"(`Accept: text/csv` or `format=csv`) holds every matching entry, up to {MaxCsvEntries}.")
            .Produces<AuditEntryDto[]>(200).Produces(200, contentType: "text/csv").ProducesProblem(400).ProducesProblem(403)
            .AcceptsQuery("the audit log", [.. AuditFilter.Names, .. OtherParameters]);
        return group;
    }

    static async Task<IResult> ListAsync(HttpContext http, Paging paging, ReadDatabase read, FiscusOptions options, CancellationToken cancellationToken)
    {
        var db = read.DataSource;
        var query = http.Request.Query;
        var parsed = AuditFilter.Parse(name => query[name].Where(v => v is not null).Select(v => v!).ToArray());
        if (parsed.Failure is { } invalid)
        {
            return ApiProblems.From(invalid);
        }
        var filter = parsed.Value!;
        var currency = options.Currency;
        if (Csv.Wanted(http.Request))
        {
            var csv = AuditCsv.Header(new Csv(currency));
            var count = 0;
            await foreach (var batch in AuditTrail.BatchesAsync(db, filter, 1000, currency, cancellationToken))
            {
                if (batch.Failure is { } failure)
                {
                    return ApiProblems.From(failure);
                }
                count += batch.Value!.Length;
                if (count > MaxCsvEntries)
                {
                    return ApiProblems.From(Failure.Invalid("audit_too_large", "from",
                        $"More than {MaxCsvEntries} audit entries match: narrow the window (from, to) or the filters."));
                }
                foreach (var entry in batch.Value)
                {
                    AuditCsv.Row(csv, entry);
                }
            }
            return csv.ToResult($"audit{Stamp(filter.From, "-from-")}{Stamp(filter.To, "-to-")}.csv");
        }
        var page = await AuditTrail.PageAsync(db, filter, paging, currency, cancellationToken);
        if (page.Failure is { } refused)
        {
            return ApiProblems.From(refused);
        }
        var (entries, total) = page.Value;
        paging.WriteHeaders(http, total);
        return TypedResults.Ok(entries);
    }

    static string Stamp(DateTimeOffset? at, string prefix) =>
        at is { } time ? prefix + time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "";
}
