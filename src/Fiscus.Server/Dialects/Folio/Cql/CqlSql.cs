using System.Globalization;
using System.Text;
using Dapper;

namespace Fiscus.Server.Dialects.Folio.Cql;

public enum CqlFieldType
{
    Text,
    Boolean,
    Uuid,
    DateTime,
}

/// <summary>A searchable CQL index (a JSON path such as <c>metadata.createdDate</c>) and the SQL column it reads.</summary>
public sealed record CqlField(string Index, string Column, CqlFieldType Type);

/// <summary>A CQL query as SQL: a WHERE condition and an ORDER BY list over whitelisted columns, every value a parameter.</summary>
public sealed record CqlSqlQuery(string Where, string OrderBy, DynamicParameters Parameters);

/// <summary>
/// Translates parsed CQL to parameterised PostgreSQL, as FOLIO's CQL2PgJSON does for its JSON records:
/// <list type="bullet">
/// <item><c>==</c> matches the whole value, <c>=</c> (<c>adj</c>) matches a word or phrase, <c>any</c>/<c>all</c>
/// any or all of the words, <c>&lt;&gt;</c> is not equal, <c>&lt; &gt; &lt;= &gt;=</c> compare;</item>
/// <item>strings ignore case and accents unless <c>/respectCase</c> or <c>/respectAccents</c>; <c>*</c> and <c>?</c>
/// are wildcards unless escaped with a backslash; <c>=</c> on a UUID is <c>==</c>;</item>
/// <item><c>cql.allRecords=1</c> and <c>index=*</c> match everything, <c>index=""</c> whatever has the field (CQLPG-61).</item>
/// </list>
/// Only column names from the field list and fixed operators are written into the SQL; every value is a parameter.
/// </summary>
public sealed class CqlSql
{
    readonly Dictionary<string, CqlField> fields;
    readonly CqlField serverChoice;
    readonly string tiebreak;
    readonly DynamicParameters parameters = new();
    int next;

    CqlSql(IEnumerable<CqlField> fields, string serverChoice, string tiebreak)
    {
        this.fields = fields.ToDictionary(f => f.Index, StringComparer.Ordinal);
        this.serverChoice = this.fields[serverChoice];
        this.tiebreak = tiebreak;
    }

    /// <param name="fields">The searchable indexes (case-sensitive, as FOLIO's JSON paths are).</param>
    /// <param name="serverChoice">The index a bare term searches.</param>
    /// <param name="tiebreak">A unique column appended to every ORDER BY, so pages never overlap.</param>
    public static CqlSqlQuery Translate(string query, IReadOnlyList<CqlField> fields, string serverChoice, string tiebreak)
    {
        var parsed = CqlParser.Parse(query);
        var translator = new CqlSql(fields, serverChoice, tiebreak);
        var where = translator.Condition(parsed.Where);
        var order = parsed.SortBy.Select(key => translator.SortExpression(key) + (key.Descending ? " DESC" : " ASC")).Append(tiebreak);
        return new CqlSqlQuery(where, string.Join(", ", order), translator.parameters);
    }

    string Condition(CqlNode node) => node switch
    {
        CqlBoolean { Operator: "and" } b => $"({Condition(b.Left)} AND {Condition(b.Right)})",
        CqlBoolean { Operator: "or" } b => $"({Condition(b.Left)} OR {Condition(b.Right)})",
        // As CQL2PgJSON: a record lacking the field is not excluded by "not" (NULL is not TRUE).
        CqlBoolean { Operator: "not" } b => $"({Condition(b.Left)} AND ({Condition(b.Right)}) IS NOT TRUE)",
        CqlSearch s => Search(s),
        _ => throw new CqlException("unsupported clause", 1),
    };

    string Search(CqlSearch search)
    {
        if (search.Index.Equals("cql.allRecords", StringComparison.OrdinalIgnoreCase))
        {
            return search.Relation is "=" or "==" && search.Term == "1"
                ? "TRUE"
                : throw new CqlException("cql.allRecords only takes =1", search.TermColumn);
        }
        var field = search.Index == "cql.serverChoice" ? serverChoice
            : fields.TryGetValue(search.Index, out var known) ? known
            : throw new CqlException($"unknown index '{search.Index}'; searchable: {string.Join(", ", fields.Keys.Order(StringComparer.Ordinal))}",
                search.IndexColumn);
        var (respectCase, respectAccents) = (false, false);
        foreach (var modifier in search.Modifiers)
        {
            switch (modifier.Name.ToLowerInvariant())
            {
                case "ignorecase":
                    respectCase = false;
                    break;
                case "respectcase":
                    respectCase = true;
                    break;
                case "ignoreaccents":
                    respectAccents = false;
                    break;
                case "respectaccents":
                    respectAccents = true;
                    break;
                case "masked" or "string":
                    break;
                default:
                    throw new CqlException($"unsupported modifier '{modifier.Name}'", modifier.Column);
            }
        }
        return field.Type switch
        {
            CqlFieldType.Text => TextSearch(field, search, respectCase, respectAccents),
            CqlFieldType.Boolean => BooleanSearch(field, search),
            CqlFieldType.Uuid => UuidSearch(field, search),
            _ => DateSearch(field, search),
        };
    }

    string TextSearch(CqlField field, CqlSearch search, bool respectCase, bool respectAccents)
    {
        var column = Fold(field.Column, respectCase, respectAccents);
        var term = CqlTerm.Read(search.Term);
        switch (search.Relation)
        {
            case "==" or "exact":
                return Whole(column, term, respectCase, respectAccents);
            case "<>":
                return $"NOT {Whole(column, term, respectCase, respectAccents)}";
            case "=" or "adj":
                if (term.MatchesAnything)
                {
                    return Anything(field, term);
                }
                return Words(column, term.Words, respectCase, respectAccents, phrase: true);
            case "any" or "all":
                var words = term.Words;
                if (words.Count == 0)
                {
                    return Anything(field, term);
                }
                return "(" + string.Join(search.Relation == "any" ? " OR " : " AND ",
                    words.Select(w => Words(column, [w], respectCase, respectAccents, phrase: false))) + ")";
            case "<" or ">" or "<=" or ">=":
                return $"{column} COLLATE \"C\" {search.Relation} {Fold(Parameter(term.Literal), respectCase, respectAccents)} COLLATE \"C\"";
            default:
                throw new CqlException($"unsupported relation '{search.Relation}'", search.IndexColumn);
        }
    }

    /// <summary><c>index=*</c> is every record; <c>index=""</c> every record that has the field.</summary>
    static string Anything(CqlField field, CqlTerm term) => term.IsEmpty ? $"{field.Column} IS NOT NULL" : "TRUE";

    string Whole(string column, CqlTerm term, bool respectCase, bool respectAccents) =>
        term.HasWildcards
            ? $"{column} LIKE {Fold(Parameter(term.LikePattern), respectCase, respectAccents)} ESCAPE '\\'"
            : $"{column} = {Fold(Parameter(term.Literal), respectCase, respectAccents)}";

    /// <summary>The words (or phrase) anywhere in the value, each a whole word, with right and left truncation by <c>*</c>.</summary>
    string Words(string column, IReadOnlyList<CqlTerm.Word> words, bool respectCase, bool respectAccents, bool phrase)
    {
        // Only lower-case regex syntax: the pattern is folded (lower-cased, accents stripped) as the value is.
        const string NonWord = "[^[:alnum:]_]";
        var regex = new StringBuilder("(^|").Append(NonWord).Append(')');
        regex.Append(string.Join(phrase ? NonWord + "+" : "", words.Select(w => w.Regex)));
        regex.Append("($|").Append(NonWord).Append(')');
        return $"{column} ~ {Fold(Parameter(regex.ToString()), respectCase, respectAccents)}";
    }

    string BooleanSearch(CqlField field, CqlSearch search)
    {
        if (CqlTerm.Read(search.Term) is { MatchesAnything: true } anything && search.Relation is "=" or "==")
        {
            return Anything(field, anything);
        }
        var value = CqlTerm.Read(search.Term).Literal.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw new CqlException($"'{search.Term}' is not true or false", search.TermColumn),
        };
        return search.Relation switch
        {
            "=" or "==" or "exact" => $"{field.Column} = {Parameter(value)}",
            "<>" => $"{field.Column} <> {Parameter(value)}",
            _ => throw new CqlException($"'{search.Relation}' does not apply to true/false", search.IndexColumn),
        };
    }

    string UuidSearch(CqlField field, CqlSearch search)
    {
        var term = CqlTerm.Read(search.Term);
        var text = $"{field.Column}::text";
        string match;
        if (term.MatchesAnything)
        {
            match = Anything(field, term);
        }
        else if (term.HasWildcards)
        {
            match = $"{text} LIKE lower({Parameter(term.LikePattern)}) ESCAPE '\\'";
        }
        else
        {
            // Not a UUID: nothing has it (as in FOLIO, where the comparison is textual).
            match = Guid.TryParseExact(term.Literal, "D", out var id) ? $"{field.Column} = {Parameter(id)}" : "FALSE";
        }
        return search.Relation switch
        {
            "=" or "==" or "exact" => match,
            "<>" => $"NOT ({match})",
            "<" or ">" or "<=" or ">=" => $"{text} {search.Relation} lower({Parameter(term.Literal)})",
            _ => throw new CqlException($"unsupported relation '{search.Relation}' for an id", search.IndexColumn),
        };
    }

    string DateSearch(CqlField field, CqlSearch search)
    {
        var term = CqlTerm.Read(search.Term);
        if (term.MatchesAnything && search.Relation is "=" or "==")
        {
            return Anything(field, term);
        }
        if (!DateTimeOffset.TryParse(term.Literal, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            throw new CqlException($"'{search.Term}' is not a date or date-time", search.TermColumn);
        }
        var op = search.Relation switch
        {
            "=" or "==" or "exact" => "=",
            "<>" or "<" or ">" or "<=" or ">=" => search.Relation,
            _ => throw new CqlException($"unsupported relation '{search.Relation}' for a date", search.IndexColumn),
        };
        // A date alone is the whole day.
        if (term.Literal.Length == 10 && op is "=" or "<>")
        {
            // The last day there is (9999-12-31) has no next day to stop before.
            var day = at.UtcDateTime.Date == DateTime.MaxValue.Date
                ? $"({field.Column} >= {Parameter(at)})"
                : $"({field.Column} >= {Parameter(at)} AND {field.Column} < {Parameter(at.AddDays(1))})";
            return op == "=" ? day : $"NOT {day}";
        }
        return $"{field.Column} {op} {Parameter(at)}";
    }

    string SortExpression(CqlSortKey key)
    {
        if (!fields.TryGetValue(key.Index, out var field))
        {
            throw new CqlException($"unknown sort index '{key.Index}'", key.Column);
        }
        return field.Type == CqlFieldType.Text ? $"fiscus_fold({field.Column}) COLLATE \"C\"" : field.Column;
    }

    static string Fold(string sql, bool respectCase, bool respectAccents) => (respectCase, respectAccents) switch
    {
        (false, false) => $"fiscus_fold({sql})",
        (true, false) => $"fiscus_unaccent({sql})",
        (false, true) => $"fiscus_lower({sql})",
        (true, true) => sql,
    };

    string Parameter(object value)
    {
        var name = "cql" + next++.ToString(CultureInfo.InvariantCulture);
        parameters.Add(name, value);
        return "@" + name;
    }
}

/// <summary>
/// A CQL search term: its literal text (escapes resolved), its words, and its masking — unescaped <c>*</c> (any
/// characters) and <c>?</c> (one character); <c>^</c> anchors are dropped (the word rules anchor already).
/// </summary>
sealed class CqlTerm
{
    public sealed record Word(string Regex);

    readonly List<(char Char, bool Escaped)> characters;

    CqlTerm(List<(char, bool)> characters) => this.characters = characters;

    public static CqlTerm Read(string raw)
    {
        var characters = new List<(char, bool)>();
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length)
            {
                characters.Add((raw[++i], true));
            }
            else if (raw[i] != '^')
            {
                characters.Add((raw[i], false));
            }
        }
        return new CqlTerm(characters);
    }

    public string Literal => new(characters.Select(c => c.Char).ToArray());

    public bool HasWildcards => characters.Any(c => !c.Escaped && c.Char is '*' or '?');

    /// <summary>Empty, or nothing but <c>*</c>: any value at all.</summary>
    public bool MatchesAnything => characters.All(c => !c.Escaped && c.Char == '*');

    public bool IsEmpty => characters.Count == 0;

    public string LikePattern
    {
        get
        {
            var pattern = new StringBuilder();
            foreach (var (c, escaped) in characters)
            {
                pattern.Append((c, escaped) switch
                {
                    ('*', false) => "%",
                    ('?', false) => "_",
                    ('%' or '_' or '\\', _) => "\\" + c,
                    _ => c.ToString(),
                });
            }
            return pattern.ToString();
        }
    }

    public IReadOnlyList<Word> Words
    {
        get
        {
            var words = new List<Word>();
            var current = new StringBuilder();
            var hasContent = false;
            void Flush()
            {
                if (hasContent)
                {
                    words.Add(new Word(current.ToString()));
                }
                current.Clear();
                hasContent = false;
            }
            foreach (var (c, escaped) in characters)
            {
                if (!escaped && c == '*')
                {
                    current.Append("[[:alnum:]_]*");
                    hasContent = true;
                }
                else if (!escaped && c == '?')
                {
                    current.Append("[[:alnum:]_]");
                    hasContent = true;
                }
                else if (char.IsLetterOrDigit(c) || c == '_')
                {
                    current.Append(c);
                    hasContent = true;
                }
                else
                {
                    // Punctuation and spaces separate words, as in FOLIO's word match.
                    Flush();
                }
            }
            Flush();
            return words;
        }
    }
}
