using System.Globalization;
using System.Text.Json;
using Dapper;
using Fiscus.Ledger.Money;

namespace Fiscus.Server.Http;

/// <summary>
/// Translates Koha's <c>q</c> (the JSON form of SQL::Abstract that Koha clients send) into a SQL condition over a list's
/// whitelisted fields. Field names only ever become SQL through <see cref="KohaField.Sql"/>, a constant of ours; every
/// value becomes a parameter. The subset: <c>{"field": value}</c> (equality; <c>null</c> is IS NULL; an array is any of
/// them), operator objects (<c>=</c>, <c>!=</c>/<c>&lt;&gt;</c>, <c>&gt;</c>, <c>&lt;</c>, <c>&gt;=</c>, <c>&lt;=</c>,
/// <c>-in</c>, <c>-not_in</c>, <c>-like</c>, <c>-not_like</c>, <c>-between</c>, <c>-not_between</c>, with or without the
/// dash, several in one object meaning all of them), <c>-and</c>/<c>-or</c> (an array or an object), <c>-not</c>,
/// <c>-bool</c>/<c>-not_bool</c>, and a top-level array meaning any of its conditions. <c>me.field</c> is <c>field</c>.
/// </summary>
sealed class KohaQueryTranslator(KohaList list, Currency currency, DynamicParameters parameters, string parameterPrefix)
{
    /// <summary>Steps from q's root to a value (each object, key, operator and array counts): room for a dozen nested -and/-or.</summary>
    public const int MaxDepth = 32;
    public const int MaxConditions = 500;
    public const int MaxListValues = 1000;
    public const int MaxTextLength = 1000;

    static readonly string[] Operators =
        ["=", "!=", "<>", ">", "<", ">=", "<=", "-in", "-not_in", "-like", "-not_like", "-between", "-not_between"];

    int conditions;
    int added;

    /// <summary>A whole <c>q</c>: an object (all of its conditions) or an array (any of them).</summary>
    public string Where(JsonElement query) => query.ValueKind switch
    {
        JsonValueKind.Object or JsonValueKind.Array => Condition(query, 1),
        _ => throw Invalid("Malformed query string",
            $"q must be a JSON object such as {{\"amount\": {{\">\": 5}}}} (or an array of them, any of which matches), not {Kind(query)}."),
    };

    string Condition(JsonElement element, int depth)
    {
        Count(depth);
        return element.ValueKind switch
        {
            JsonValueKind.Object => All(element.EnumerateObject().Select(p => Entry(p.Name, p.Value, depth + 1))),
            JsonValueKind.Array => AnyOf(element.EnumerateArray().Select(e => Condition(e, depth + 1))),
            _ => throw Invalid("Malformed query string", $"A condition in q must be an object or an array, not {Kind(element)}."),
        };
    }

    /// <summary>One key of a condition object: a logical operator or a field.</summary>
    string Entry(string key, JsonElement value, int depth)
    {
        Count(depth);
        switch (key.ToLowerInvariant())
        {
            case "-and":
                return value.ValueKind == JsonValueKind.Array ? All(value.EnumerateArray().Select(e => Condition(e, depth + 1))) : Condition(value, depth + 1);
            case "-or":
                return value.ValueKind switch
                {
                    JsonValueKind.Array => AnyOf(value.EnumerateArray().Select(e => Condition(e, depth + 1))),
                    JsonValueKind.Object => AnyOf(value.EnumerateObject().Select(p => Entry(p.Name, p.Value, depth + 1))),
                    _ => throw Invalid($"Invalid operator in query: {key}", $"-or takes an array or an object of conditions, not {Kind(value)}."),
                };
            case "-not":
                return $"NOT ({Condition(value, depth + 1)})";
            case "-bool" or "-not_bool":
                var field = value.ValueKind == JsonValueKind.String ? Field(value.GetString()!) : null;
                if (field is not { Type: KohaFieldType.Flag })
                {
                    throw Invalid($"Invalid operator in query: {key}",
                        $"{key} takes the name of a true/false field of {list.Resource} ({BooleanFields()}), not {Describe(value)}.");
                }
                return key.Equals("-bool", StringComparison.OrdinalIgnoreCase) ? $"({field.Sql})" : $"(NOT {field.Sql})";
        }
        if (key.StartsWith('-'))
        {
            throw Invalid($"Invalid operator in query: {key}",
                $"'{KohaText.Clip(key)}' is not an operator q knows here: combine conditions with -and, -or, -not, -bool or -not_bool.");
        }
        return FieldCondition(Field(key) ?? throw UnknownField(key), value, depth + 1);
    }

    string FieldCondition(KohaField field, JsonElement value, int depth)
    {
        Count(depth);
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return $"({field.Sql} IS NULL)";
            case JsonValueKind.Array:
                var items = value.EnumerateArray().ToList();
                // SQL::Abstract's modifier: ["-and", {...}, {...}] means all of the following conditions on the field.
                if (items.Count > 0 && items[0].ValueKind == JsonValueKind.String && items[0].GetString() is "-and" or "-or")
                {
                    var parts = items.Skip(1).Select(item => FieldCondition(field, item, depth + 1));
                    return items[0].GetString() == "-and" ? All(parts) : Any(parts);
                }
                return Any(items.Select(item => FieldCondition(field, item, depth + 1)));
            case JsonValueKind.Object:
                return All(value.EnumerateObject().Select(p => Operator(field, p.Name, p.Value, depth + 1)));
            default:
                return Compare(field, "=", value);
        }
    }

    string Operator(KohaField field, string op, JsonElement operand, int depth)
    {
        Count(depth);
        // Koha clients write both "-like" and "like" (SQL::Abstract takes either, in any case, with spaces or underscores).
        var name = op.Trim().ToLowerInvariant().Replace(' ', '_');
        name = name.TrimStart('-') is { Length: > 0 } bare && char.IsLetter(bare[0]) ? "-" + bare : name;
        return name switch
        {
            "=" or "==" or "-eq" => Compare(field, "=", operand),
            "!=" or "<>" or "-ne" => Compare(field, "<>", operand),
            ">" or "<" or ">=" or "<=" => Compare(field, name, operand),
            "-in" => In(field, operand, negate: false),
            "-not_in" => In(field, operand, negate: true),
            "-like" => Like(field, operand, negate: false),
            "-not_like" => Like(field, operand, negate: true),
            "-between" => Between(field, operand, negate: false),
            "-not_between" => Between(field, operand, negate: true),
            _ => throw Invalid($"Invalid operator in query: {op}",
                $"'{KohaText.Clip(op)}' is not an operator q knows; on a field use one of {string.Join(", ", Operators)}."),
        };
    }

    string Compare(KohaField field, string op, JsonElement operand)
    {
        if (operand.ValueKind == JsonValueKind.Null)
        {
            return op switch
            {
                "=" => $"({field.Sql} IS NULL)",
                "<>" => $"({field.Sql} IS NOT NULL)",
                _ => throw Invalid($"Invalid value in query for {field.Name}", $"{field.Name} {op} null compares with nothing: use = or != with null."),
            };
        }
        if (operand.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
        {
            throw Invalid($"Invalid value in query for {field.Name}",
                $"{field.Name} {op} takes one value, not {Kind(operand)}; for a list of values use -in or -not_in.");
        }
        if (field.Type == KohaFieldType.Flag && op is not ("=" or "<>"))
        {
            throw Invalid($"Invalid operator in query: {op}", $"{field.Name} is true or false: compare it with = or !=.");
        }
        var parameter = Add(Value(field, operand));
        return field.Type == KohaFieldType.Text && op is "=" or "<>"
            ? $"(lower({field.Sql}) {op} lower({parameter}))"
            : $"({field.Sql} {op} {parameter})";
    }

    string In(KohaField field, JsonElement operand, bool negate)
    {
        if (operand.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"Invalid value in query for {field.Name}", $"{(negate ? "-not_in" : "-in")} on {field.Name} takes an array of values, not {Kind(operand)}.");
        }
        var values = operand.EnumerateArray().ToList();
        if (values.Count > MaxListValues)
        {
            throw Invalid($"Invalid value in query for {field.Name}", $"-in and -not_in take at most {MaxListValues} values.");
        }
        if (values.Count == 0)
        {
            return negate ? "TRUE" : "FALSE";
        }
        if (values.Any(v => v.ValueKind is JsonValueKind.Null or JsonValueKind.Array or JsonValueKind.Object))
        {
            throw Invalid($"Invalid value in query for {field.Name}",
                $"-in and -not_in on {field.Name} take plain values; for null use {{\"{field.Name}\": null}} or {{\"!=\": null}}.");
        }
        var converted = values.Select(v => Value(field, v)).ToList();
        object array = field.Type switch
        {
            KohaFieldType.Integer or KohaFieldType.Money => converted.Cast<long>().ToArray(),
            KohaFieldType.Flag => converted.Cast<bool>().ToArray(),
            KohaFieldType.Timestamp => converted.Cast<DateTime>().ToArray(),
            KohaFieldType.Text => converted.Cast<string>().Select(s => s.ToLowerInvariant()).ToArray(),
            _ => converted.Cast<string>().ToArray(),
        };
        var parameter = Add(array);
        var column = field.Type == KohaFieldType.Text ? $"lower({field.Sql})" : field.Sql;
        return negate ? $"(NOT ({column} = ANY({parameter})))" : $"({column} = ANY({parameter}))";
    }

    string Like(KohaField field, JsonElement operand, bool negate)
    {
        if (field.Type is not (KohaFieldType.Text or KohaFieldType.Code))
        {
            throw Invalid($"Invalid operator in query: {(negate ? "-not_like" : "-like")}",
                $"-like and -not_like compare text; {field.Name} is {Noun(field.Type)}: use =, <, >, <=, >= or -in.");
        }
        if (operand.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"Invalid value in query for {field.Name}", $"-like on {field.Name} takes a pattern string (% any text, _ one character), not {Kind(operand)}.");
        }
        var pattern = Text(field, operand.GetString()!);
        // A backslash escapes the next character (as in Koha's MySQL); one with nothing after it is no pattern.
        if ((pattern.Length - pattern.TrimEnd('\\').Length) % 2 == 1)
        {
            throw Invalid($"Invalid value in query for {field.Name}",
                $"The -like pattern for {field.Name} ends with a lone backslash, which escapes nothing: write \\\\ for a backslash.");
        }
        var parameter = Add(pattern);
        return $"({field.Sql} {(negate ? "NOT ILIKE" : "ILIKE")} {parameter})";
    }

    string Between(KohaField field, JsonElement operand, bool negate)
    {
        if (operand.ValueKind != JsonValueKind.Array || operand.GetArrayLength() != 2
            || operand.EnumerateArray().Any(v => v.ValueKind is JsonValueKind.Null or JsonValueKind.Array or JsonValueKind.Object))
        {
            throw Invalid($"Invalid value in query for {field.Name}", $"-between on {field.Name} takes two values, [low, high].");
        }
        var low = Add(Value(field, operand[0]));
        var high = Add(Value(field, operand[1]));
        return $"({field.Sql} {(negate ? "NOT BETWEEN" : "BETWEEN")} {low} AND {high})";
    }

    /// <summary>A query value as the field's SQL type: numbers, money in minor units, booleans, UTC instants, text.</summary>
    public object Value(KohaField field, JsonElement value)
    {
        var raw = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        switch (field.Type)
        {
            case KohaFieldType.Integer when Number(value, raw) is { } number && number == decimal.Truncate(number)
                && number is >= long.MinValue and <= long.MaxValue:
                return decimal.ToInt64(number);
            case KohaFieldType.Money when Number(value, raw) is { } major && currency.TryToMinor(major, out var minor):
                return minor;
            case KohaFieldType.Flag when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return value.GetBoolean();
            case KohaFieldType.Flag when raw is "1" or "0" or "true" or "false":
                return raw is "1" or "true";
            case KohaFieldType.Timestamp when value.ValueKind == JsonValueKind.String && Instant(raw) is { } instant:
                return instant;
            case KohaFieldType.Code or KohaFieldType.Text when value.ValueKind is JsonValueKind.String or JsonValueKind.Number:
                return Text(field, raw);
        }
        throw Invalid($"Invalid value in query for {field.Name}",
            $"{field.Name} is {Noun(field.Type)}; {Describe(value)} is not one.");
    }

    /// <summary>A JSON number, or a string holding one (Koha clients quote ids: <c>{"patron_id": "42"}</c>).</summary>
    static decimal? Number(JsonElement value, string raw) =>
        value.ValueKind is JsonValueKind.Number or JsonValueKind.String && raw.Length <= 40
        && decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    string Text(KohaField field, string text)
    {
        if (text.Length > MaxTextLength || text.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid($"Invalid value in query for {field.Name}",
                $"A value for {field.Name} is text of at most {MaxTextLength} characters, without NUL characters.");
        }
        return text;
    }

    /// <summary>ISO 8601, or a date for its midnight; an instant without an offset is UTC.</summary>
    internal static DateTime? Instant(string text) =>
        text.Length is >= 10 and <= 40 && char.IsAsciiDigit(text[0])
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at.UtcDateTime
            : null;

    /// <summary>Adds a value as a parameter and returns its placeholder.</summary>
    public string Add(object value)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{parameterPrefix}{added++}");
        parameters.Add(name, value);
        return "@" + name;
    }

    KohaField? Field(string name) => list.Field(name.StartsWith("me.", StringComparison.Ordinal) ? name[3..] : name);

    void Count(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Invalid("Malformed query string", "q nests too deep; flatten it (-and and -or take arrays of any length).");
        }
        if (++conditions > MaxConditions)
        {
            throw Invalid("Malformed query string", $"q holds more than {MaxConditions} conditions and operators; split the search.");
        }
    }

    Exception UnknownField(string name)
    {
        var nearest = KohaText.Nearest(name.StartsWith("me.", StringComparison.Ordinal) ? name[3..] : name, list.Fields.Select(f => f.Name));
        return Invalid($"Invalid field in query: {KohaText.Clip(name)}",
            $"'{KohaText.Clip(name)}' is not a field of {list.Resource}{(nearest is null ? "" : $"; did you mean '{nearest}'")}. " +
            $"q can name: {list.FieldNames}.");
    }

    string BooleanFields() => string.Join(", ", list.Fields.Where(f => f.Type == KohaFieldType.Flag).Select(f => f.Name)) is { Length: > 0 } names
        ? names : "it has none";

    static string All(IEnumerable<string> parts) => Join(parts, " AND ", "TRUE");

    /// <summary>Any of a field's values; none at all matches nothing (SQL::Abstract's <c>field => []</c>).</summary>
    static string Any(IEnumerable<string> parts) => Join(parts, " OR ", "FALSE");

    /// <summary>Any of the conditions; an empty list of conditions is no condition, as SQL::Abstract drops it (<c>q=[]</c> is everything).</summary>
    static string AnyOf(IEnumerable<string> parts) => Join(parts, " OR ", "TRUE");

    static string Join(IEnumerable<string> parts, string separator, string empty)
    {
        var list = parts.ToList();
        return list.Count switch
        {
            0 => empty,
            1 => list[0],
            _ => "(" + string.Join(separator, list) + ")",
        };
    }

    internal static string Noun(KohaFieldType type) => type switch
    {
        KohaFieldType.Integer => "a whole number",
        KohaFieldType.Money => "an amount in major units (5.25)",
        KohaFieldType.Flag => "true or false",
        KohaFieldType.Timestamp => "a UTC date-time in ISO 8601 (2026-03-01T09:00:00Z, or 2026-03-01)",
        _ => "text",
    };

    static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"\"{KohaText.Clip(value.GetString()!)}\"",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => KohaText.Clip(value.GetRawText()),
        _ => Kind(value),
    };

    static KohaInvalidQueryException Invalid(string kohaMessage, string detail) => new("/q", kohaMessage, detail);
}
