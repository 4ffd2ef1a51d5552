using Fiscus.Ledger;

namespace Fiscus.Server.Http;

/// <summary>
/// The query parameters a native endpoint (a report, the audit log) reads, declared once as metadata; any other is a 400
/// <c>unknown_parameter</c> naming it and the accepted ones, because a misspelt filter must not answer as if it had been
/// applied. (Koha-style lists declare a <see cref="KohaList"/> instead and answer in Koha's shape.)
/// </summary>
public sealed record AcceptedQuery(string What, IReadOnlyList<string> Names)
{
    /// <summary>The first parameter of the request the endpoint does not read, if any (names compare ignoring case, as binding does).</summary>
    public string? Unknown(IQueryCollection query) =>
        query.Keys.FirstOrDefault(key => !Names.Contains(key, StringComparer.OrdinalIgnoreCase));

    public Failure Refuse(string unknown) => Failure.Invalid("unknown_parameter", unknown,
        $"'{KohaText.Clip(unknown)}' is not a parameter of {What}; it takes {string.Join(", ", Names)}.");
}

public static class AcceptedQueryExtensions
{
    public static RouteHandlerBuilder AcceptsQuery(this RouteHandlerBuilder builder, string what, params string[] names)
    {
        var accepted = new AcceptedQuery(what, names);
        return builder.WithMetadata(accepted).AddEndpointFilter(async (context, next) =>
            accepted.Unknown(context.HttpContext.Request.Query) is { } unknown ? ApiProblems.From(accepted.Refuse(unknown)) : await next(context));
    }
}
