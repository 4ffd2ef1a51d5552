using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Fiscus.Server.Dialects.Folio.Cql;
using Fiscus.Server.Http;

namespace Fiscus.Server.Dialects.Folio;

/// <summary>
/// A FOLIO collection GET's parameters, as RMB's traits declare them: <c>query</c> (CQL; none means every record),
/// <c>offset</c> (default 0) and <c>limit</c> (default 10), both 0 to 2147483647, <c>lang</c> (two letters),
/// <c>totalRecords</c>. Anything malformed is a 400 naming the parameter (and for CQL, the column).
/// </summary>
public sealed partial record FolioListQuery(CqlSqlQuery Cql, int Offset, int Limit)
{
    public static bool TryParse(IQueryCollection query, IReadOnlyList<CqlField> fields, string serverChoice, string tiebreak,
        [NotNullWhen(true)] out FolioListQuery? list, [NotNullWhen(false)] out IResult? refusal)
    {
        list = null;
        if (Malformed(query) is { } malformed)
        {
            refusal = ErrorShapes.Result(400, "malformed_parameter", malformed);
            return false;
        }
        try
        {
            var cql = CqlSql.Translate(string.IsNullOrWhiteSpace(query["query"]) ? "cql.allRecords=1" : query["query"].ToString(), fields, serverChoice,
                tiebreak);
            list = new FolioListQuery(cql, Number(query["offset"], 0), Number(query["limit"], 10));
            refusal = null;
            return true;
        }
        catch (CqlException e)
        {
            refusal = ErrorShapes.Result(400, "malformed_query", $"malformed parameter 'query', syntax error at column {e.Column}: {e.Message}");
            return false;
        }
    }

    static string? Malformed(IQueryCollection query)
    {
        foreach (var name in new[] { "offset", "limit" })
        {
            if (query[name].Count > 1 || (query[name].Count == 1 && !int.TryParse(query[name], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                return $"malformed parameter '{name}', must be an integer from 0 to {int.MaxValue}";
            }
        }
        if (query["lang"].Count > 0 && !Lang().IsMatch(query["lang"].ToString()))
        {
            return "malformed parameter 'lang', must be two letters";
        }
        if (query["totalRecords"].Count > 0 && query["totalRecords"].ToString() is not ("exact" or "estimated" or "none" or "auto"))
        {
            return "malformed parameter 'totalRecords', must be exact, estimated, none or auto";
        }
        if (query["query"].Count > 1)
        {
            return "malformed parameter 'query', give it once";
        }
        if (query["query"].ToString().Contains('\0', StringComparison.Ordinal))
        {
            return "malformed parameter 'query', it holds a NUL character";
        }
        return null;
    }

    static int Number(string? value, int fallback) =>
        string.IsNullOrEmpty(value) ? fallback : int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);

    // \z, not $ (which also matches before a final newline).
    [GeneratedRegex(@"^[a-zA-Z]{2}\z")]
    private static partial Regex Lang();
}
