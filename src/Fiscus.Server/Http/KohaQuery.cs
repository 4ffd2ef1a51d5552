using System.Text.Json;
using Dapper;
using Fiscus.Ledger.Money;
using Fiscus.Server.Configuration;
using Npgsql;

namespace Fiscus.Server.Http;

/// <summary>
/// Koha's list conventions on one request, for the endpoint's declared <see cref="KohaList"/>: <c>q</c> (JSON, repeatable,
/// also in the <c>x-koha-query</c> header; several are all applied), the field filter parameters with <c>_match</c>
/// (contains, exact, starts_with, ends_with; wildcards in the value are literal), <c>_order_by</c> (<c>+field,-field</c>,
/// repeatable, <c>me.field</c> accepted) and <c>_page</c>/<c>_per_page</c>. Binding refuses unknown parameters and a bad
/// <c>_match</c> or filter value at once (Koha validates those before its controller runs); <c>q</c> and <c>_order_by</c>
/// are translated when the page is read, after the handler has found the list's parent (a missing patron or register is
/// a 404 first, as in Koha, whose controller looks it up before searching).
/// </summary>
public sealed class KohaQuery
{
    public const string QueryHeader = "x-koha-query";
    public const int MaxQueries = 10;
    public const int MaxQueryLength = 8000;
    public const int MaxOrderTerms = 10;

    static readonly string[] MatchNames = ["contains", "exact", "starts_with", "ends_with"];

    readonly Currency currency;
    readonly IReadOnlyList<string> queries;
    readonly IReadOnlyList<string> orderBy;
    readonly IReadOnlyList<(KohaFilter Filter, string Value)> filters;
    readonly KohaMatch? match;

    KohaQuery(KohaList list, Paging paging, Currency currency, IReadOnlyList<string> queries, IReadOnlyList<string> orderBy,
        IReadOnlyList<(KohaFilter, string)> filters, KohaMatch? match)
    {
        List = list;
        Paging = paging;
        this.currency = currency;
        this.queries = queries;
        this.orderBy = orderBy;
        this.filters = filters;
        this.match = match;
    }

    public KohaList List { get; }

    public Paging Paging { get; }

    /// <summary>The value of a field filter parameter the request gave (its handler may need it, e.g. to check a binding).</summary>
    public string? Filter(string name) => filters.FirstOrDefault(f => f.Filter.Name == name).Value;

    public static ValueTask<KohaQuery> BindAsync(HttpContext context)
    {
        var list = context.GetEndpoint()?.Metadata.GetMetadata<KohaList>()
            ?? throw new InvalidOperationException($"{context.Request.Path} takes a KohaQuery but declares no list: add .WithKohaList(...).");
        KohaList.RefuseUnknownParameters(context);
        var paging = Paging.Read(context);
        var query = context.Request.Query;
        KohaMatch? match = null;
        if (query["_match"].ToString() is { Length: > 0 } matchName)
        {
            var index = Array.IndexOf(MatchNames, matchName);
            match = index >= 0 ? (KohaMatch)index : throw new KohaInvalidQueryException("/_match", $"Not in enum list: {string.Join(", ", MatchNames)}.",
                $"_match must be one of {string.Join(", ", MatchNames)}, not '{KohaText.Clip(matchName)}'.");
        }
        var filters = new List<(KohaFilter, string)>();
        foreach (var filter in list.Filters)
        {
            var values = query[filter.Name];
            if (values.Count > 1)
            {
                throw new KohaInvalidQueryException($"/{filter.Name}", "Too many values.",
                    $"{filter.Name} was given {values.Count} times; give it once (q's -in finds any of several values).");
            }
            if (values.ToString() is { Length: > 0 } value)
            {
                filters.Add((filter, value));
            }
        }
        var queries = query["q"].Concat(context.Request.Headers[QueryHeader]).Where(q => !string.IsNullOrEmpty(q)).Select(q => q!).ToList();
        if (queries.Count > MaxQueries || queries.Any(q => q.Length > MaxQueryLength))
        {
            throw new KohaInvalidQueryException("/q", "Malformed query string",
                $"Send at most {MaxQueries} q parameters of at most {MaxQueryLength} characters each.");
        }
        var currency = context.RequestServices.GetRequiredService<FiscusOptions>().Currency;
        var orderBy = query["_order_by"].Where(o => !string.IsNullOrEmpty(o)).Select(o => o!).ToList();
        var bound = new KohaQuery(list, paging, currency, queries, orderBy, filters, match);
        bound.CheckFilters();
        return ValueTask.FromResult(bound);
    }

    /// <summary>
    /// Reads one page: <paramref name="where"/> is the list's own condition (its parent, what the caller may see; "TRUE" for
    /// none), to which the request's q and filters are added. Writes X-Total-Count, X-Base-Total-Count (the rows before the
    /// request's filters, for Koha's tables) and Link.
    /// </summary>
    /// <param name="from">The FROM clause, its aliases those the list's fields use (e.g. <c>FROM account_lines l</c>).</param>
    public async Task<(IReadOnlyList<T> Rows, long Total)> PageAsync<T>(
        NpgsqlDataSource db, string select, string from, string where, object? parameters, HttpContext http, CancellationToken cancellationToken)
    {
        var arguments = new DynamicParameters(parameters);
        var (filter, order) = Compile(arguments);
        var page = await PagedQuery.RunAsync<T>(db, select, from, where, filter, order, arguments, Paging, cancellationToken);
        Paging.WriteHeaders(http, page.Total, page.BaseTotal);
        return (page.Rows, page.Total);
    }

    /// <summary>The request's filter (q and the field filter parameters, "TRUE" for none) and its total order, as SQL over the list's fields.</summary>
    internal (string Filter, string OrderBy) Compile(DynamicParameters parameters)
    {
        var translator = new KohaQueryTranslator(List, currency, parameters, "kq");
        var conditions = new List<string>();
        foreach (var text in queries)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = KohaQueryTranslator.MaxDepth * 2 });
            }
            catch (JsonException e) when (e.Message.Contains("maximum configured depth", StringComparison.Ordinal))
            {
                throw new KohaInvalidQueryException("/q", "Malformed query string", "q nests too deep; flatten it (-and and -or take arrays of any length).");
            }
            catch (JsonException)
            {
                throw new KohaInvalidQueryException("/q", "Malformed query string",
                    $"q is not valid JSON (URL-encode it): e.g. q={{\"amount\":{{\">\":5}}}}. The {List.Resource} fields q can name: {List.FieldNames}.");
            }
            using (document)
            {
                RefuseLoneSurrogates(document.RootElement);
                conditions.Add(translator.Where(document.RootElement));
            }
        }
        foreach (var (filter, value) in filters)
        {
            conditions.Add(FilterCondition(translator, filter, value));
        }
        var where = conditions.Count switch
        {
            0 => "TRUE",
            1 => conditions[0],
            _ => string.Join(" AND ", conditions),
        };
        return (where, Order());
    }

    /// <summary>
    /// JSON may escape half of a UTF-16 surrogate pair (<c>"\ud800"</c>), which is no text: reading such a name or string
    /// throws. Every name and string of q is read once here, so that it is Koha's 400 rather than an exception later.
    /// </summary>
    static void RefuseLoneSurrogates(JsonElement element)
    {
        try
        {
            Visit(element);
        }
        catch (InvalidOperationException)
        {
            throw new KohaInvalidQueryException("/q", "Malformed query string",
                "q holds a lone UTF-16 surrogate escape (such as \\ud800), which is no text; escape whole characters only.");
        }

        static void Visit(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        Visit(property.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Visit(item);
                    }
                    break;
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
            }
        }
    }

    /// <summary>Typed filter values are checked while binding: a wrong one is Koha's OpenAPI 400, before the handler runs.</summary>
    void CheckFilters()
    {
        var scratch = new KohaQueryTranslator(List, currency, new DynamicParameters(), "check");
        foreach (var (filter, value) in filters)
        {
            FilterCondition(scratch, filter, value);
        }
    }

    string FilterCondition(KohaQueryTranslator translator, KohaFilter filter, string value)
    {
        var field = List.Field(filter.Name)!;
        switch (field.Type)
        {
            case KohaFieldType.Code or KohaFieldType.Text:
                var mode = match ?? filter.DefaultMatch;
                if (value.Length > KohaQueryTranslator.MaxTextLength || value.Contains('\0', StringComparison.Ordinal))
                {
                    throw new KohaInvalidQueryException($"/{filter.Name}", "String is too long.",
                        $"{filter.Name} is text of at most {KohaQueryTranslator.MaxTextLength} characters, without NUL characters.");
                }
                if (mode == KohaMatch.Exact)
                {
                    var exact = translator.Add(value);
                    return field.Type == KohaFieldType.Text ? $"(lower({field.Sql}) = lower({exact}))" : $"({field.Sql} = {exact})";
                }
                // The value is taken literally: its % and _ are not wildcards (q's -like takes a pattern).
                var literal = value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
                    .Replace("_", @"\_", StringComparison.Ordinal);
                var pattern = translator.Add(mode switch
                {
                    KohaMatch.StartsWith => literal + "%",
                    KohaMatch.EndsWith => "%" + literal,
                    _ => "%" + literal + "%",
                });
                return $"(lower({field.Sql}) LIKE lower({pattern}))";
            default:
                object typed;
                try
                {
                    typed = translator.Value(field, JsonSerializer.SerializeToElement(value));
                }
                catch (KohaInvalidQueryException)
                {
                    var expected = field.Type switch
                    {
                        KohaFieldType.Flag => "boolean",
                        KohaFieldType.Integer => "integer",
                        KohaFieldType.Money => "number",
                        _ => "date-time",
                    };
                    throw new KohaInvalidQueryException($"/{filter.Name}", $"Expected {expected} - got string.",
                        $"{filter.Name} must be {KohaQueryTranslator.Noun(field.Type)}, not '{KohaText.Clip(value)}'.");
                }
                return $"({field.Sql} = {translator.Add(typed)})";
        }
    }

    /// <summary>
    /// <c>_order_by</c> over the list's fields (<c>+</c> or a leading space ascending, <c>-</c> descending; a URL's unescaped
    /// <c>+</c> arrives as a space), else the list's default order; always ending with the primary key so the order is total.
    /// NULLs sort first ascending and last descending, as on Koha's MySQL.
    /// </summary>
    string Order()
    {
        var terms = new List<string>();
        foreach (var atom in orderBy.SelectMany(o => o.Split(',')))
        {
            if (atom.Trim().Length == 0)
            {
                continue;
            }
            var descending = atom.StartsWith('-');
            var name = atom[0] is '-' or '+' or ' ' ? atom[1..].Trim() : atom.Trim();
            name = name.StartsWith("me.", StringComparison.Ordinal) ? name[3..] : name;
            var field = List.Field(name);
            if (field is null)
            {
                var nearest = KohaText.Nearest(name, List.Fields.Select(f => f.Name));
                throw new KohaInvalidQueryException("/_order_by", $"Invalid field in _order_by: {KohaText.Clip(name)}",
                    $"_order_by names '{KohaText.Clip(name)}', which is not a field of {List.Resource}{(nearest is null ? "" : $"; did you mean '{nearest}'")}. " +
                    $"Order by: {List.FieldNames} (+field ascending, -field descending, comma-separated).");
            }
            if (terms.Count == MaxOrderTerms)
            {
                throw new KohaInvalidQueryException("/_order_by", "Too many values.", $"_order_by takes at most {MaxOrderTerms} fields.");
            }
            var column = field.Type == KohaFieldType.Text ? $"lower({field.Sql})" : field.Sql;
            terms.Add(descending ? $"{column} DESC NULLS LAST" : $"{column} ASC NULLS FIRST");
        }
        if (terms.Count == 0)
        {
            terms.Add(List.DefaultOrder);
        }
        if (!terms[^1].StartsWith(List.Key, StringComparison.Ordinal))
        {
            terms.Add(List.Key);
        }
        return string.Join(", ", terms);
    }
}
