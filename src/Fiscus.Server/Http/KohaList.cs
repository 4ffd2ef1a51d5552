namespace Fiscus.Server.Http;

/// <summary>How a queryable field's values are read from a query and compared in SQL.</summary>
public enum KohaFieldType
{
    /// <summary>A whole number (ids): a JSON number or a string of digits.</summary>
    Integer,

    /// <summary>An amount in major units on the wire (<c>5.25</c>), compared in minor units; more decimals than the currency has is refused.</summary>
    Money,

    /// <summary>A code or identifier (a type code, a card number, a library id): equality is exact, LIKE ignores case.</summary>
    Code,

    /// <summary>Free text (a name, a description): every comparison ignores case, as Koha's does on MySQL's default collation.</summary>
    Text,

    /// <summary><c>true</c>/<c>false</c> (also <c>1</c>/<c>0</c>, as Koha's MySQL booleans are numbers).</summary>
    Flag,

    /// <summary>A UTC instant: ISO 8601 (<c>2026-03-01T09:00:00Z</c>, or a date for its midnight UTC; no offset means UTC).</summary>
    Timestamp,
}

/// <summary>One field a list can be queried and ordered by: its name in Koha's definition and the SQL it stands for (a constant of ours).</summary>
public sealed record KohaField(string Name, string Sql, KohaFieldType Type);

/// <summary>Koha's <c>_match</c>: how a field filter parameter (<c>?surname=oko</c>) compares.</summary>
public enum KohaMatch
{
    Contains,
    Exact,
    StartsWith,
    EndsWith,
}

/// <summary>
/// A field filter parameter (<c>?surname=oko</c>): the field it filters and how it matches when the request has no
/// <c>_match</c>. Koha's default is <c>contains</c>; a list keeps the default it always had where clients rely on it
/// (a card number is looked up exactly, a surname by its start).
/// </summary>
public sealed record KohaFilter(string Name, KohaMatch DefaultMatch = KohaMatch.Contains);

/// <summary>
/// A Koha-style list's query contract, declared once per endpoint as metadata (<see cref="KohaListExtensions.WithKohaList{TBuilder}"/>):
/// the fields <c>q</c> and <c>_order_by</c> may name (Koha's API names mapped to SQL), the field filter parameters, the default
/// order and the primary key that completes every order so pages neither skip nor repeat rows. Every query parameter it does
/// not list is refused, as Koha refuses one its OpenAPI definition does not declare. The OpenAPI document can list
/// <see cref="Parameters"/> from here.
/// </summary>
public sealed class KohaList
{
    /// <summary>Koha's reserved list parameters, accepted by every queryable list.</summary>
    public static readonly IReadOnlyList<string> QueryParameters = ["q", "_match", "_order_by", "_page", "_per_page"];

    /// <summary>A list that is only paged (<c>_page</c>, <c>_per_page</c>): no fields to query or order by.</summary>
    public static readonly KohaList PagingOnly = new("item", [], "", "") { Queryable = false };

    /// <param name="resource">What one row is, for messages ("debit", "cash register").</param>
    /// <param name="fields">The fields <c>q</c> and <c>_order_by</c> may name.</param>
    /// <param name="defaultOrder">SQL order when <c>_order_by</c> is absent (e.g. newest first).</param>
    /// <param name="key">The primary key's SQL: the last, tie-breaking, order term.</param>
    public KohaList(string resource, IReadOnlyList<KohaField> fields, string defaultOrder, string key, params KohaFilter[] filters)
    {
        Resource = resource;
        Fields = fields;
        DefaultOrder = defaultOrder;
        Key = key;
        Filters = filters;
        foreach (var filter in filters)
        {
            if (Field(filter.Name) is null)
            {
                throw new ArgumentException($"Filter '{filter.Name}' of the {resource} list names no field of it.", nameof(filters));
            }
        }
    }

    public string Resource { get; }

    public IReadOnlyList<KohaField> Fields { get; }

    public string DefaultOrder { get; }

    public string Key { get; }

    public IReadOnlyList<KohaFilter> Filters { get; }

    /// <summary>False for a list that is only paged: <c>q</c>, <c>_match</c> and <c>_order_by</c> are unknown parameters there.</summary>
    public bool Queryable { get; private init; } = true;

    /// <summary>Every query parameter the list accepts, in the order the OpenAPI document should show them.</summary>
    public IReadOnlyList<string> Parameters =>
        [.. Queryable ? QueryParameters : ["_page", "_per_page"], .. Filters.Select(f => f.Name)];

    public KohaField? Field(string name) => Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    public string FieldNames => string.Join(", ", Fields.Select(f => f.Name));

    /// <summary>
    /// Refuses a request naming a query parameter the endpoint's list does not accept (Koha answers 400 with
    /// <c>[{"path": "/query/NAME", "message": "Malformed query string"}]</c> before its controller runs, so before any 404),
    /// and <c>_per_page=0</c>, which Koha's same check answers in the same list as <c>Invalid value: 0</c>.
    /// Endpoints without a declared list are left alone.
    /// </summary>
    internal static void RefuseUnknownParameters(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<KohaList>() is not { } list)
        {
            return;
        }
        var accepted = list.Parameters;
        var unknown = context.Request.Query.Keys.Where(name => !accepted.Contains(name, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var noRows = context.Request.Query.TryGetValue("_per_page", out var perPage) && perPage.Count == 1 &&
            int.TryParse(perPage[0], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var asked) && asked == 0;
        if (unknown.Count > 0 || noRows)
        {
            throw new KohaUnknownQueryParametersException(unknown, accepted, noRows);
        }
    }
}

public static class KohaListExtensions
{
    /// <summary>Declares the endpoint's list contract; its <see cref="KohaQuery"/> or <see cref="Paging"/> parameter enforces it.</summary>
    public static TBuilder WithKohaList<TBuilder>(this TBuilder builder, KohaList list) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(list);
}

/// <summary>
/// Query parameters a list does not accept (and <c>_per_page=0</c>). Answered as Koha's REST layer answers them
/// (Koha::REST::V1::Auth's query validation; cashups.t asserts the whole body): 400 with a bare JSON array, one
/// <c>{path, message}</c> per parameter.
/// </summary>
public sealed class KohaUnknownQueryParametersException(IReadOnlyList<string> names, IReadOnlyList<string> accepted, bool noRows = false)
    : Exception(names.Count == 0 ? $"_per_page must be from 1 to {Paging.MaxPerPage} (or -1)."
        : $"Unknown query parameter{(names.Count == 1 ? "" : "s")} {string.Join(", ", names.Select(n => $"'{KohaText.Clip(n)}'"))}; " +
          $"this list accepts {string.Join(", ", accepted)}.")
{
    public const string KohaMessage = "Malformed query string";

    /// <summary>Koha's entries, in its order: each unknown parameter, then <c>_per_page</c> if it asked for no rows.</summary>
    public IReadOnlyList<(string Path, string Message)> Errors { get; } =
        [.. names.Select(name => ($"/query/{name}", KohaMessage)), .. noRows ? [("/query/_per_page", "Invalid value: 0")] : Array.Empty<(string, string)>()];
}

static class KohaText
{
    /// <summary>A client's text quoted back in a message: at most 40 characters.</summary>
    public static string Clip(string text) => text.Length > 40 ? text[..40] + "…" : text;

    /// <summary>The known name closest to a misspelt one (at most a third of its letters off), for "did you mean".</summary>
    public static string? Nearest(string name, IEnumerable<string> known)
    {
        var best = known.Select(k => (Name: k, Distance: Distance(name.ToLowerInvariant(), k.ToLowerInvariant())))
            .OrderBy(c => c.Distance).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(1, best.Name.Length / 3) ? best.Name : null;
    }

    static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue;
        }
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
