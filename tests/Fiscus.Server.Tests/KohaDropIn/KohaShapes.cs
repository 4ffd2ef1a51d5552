using System.Globalization;

namespace Fiscus.Server.Tests.KohaDropIn;

/// <summary>
/// Koha's REST definitions for account lines (api/v1/swagger/definitions/account_line.yaml, debit.yaml, credit.yaml,
/// patron_balance.yaml), written down as what each property may hold. Every one says <c>additionalProperties: false</c>,
/// so an answer must carry exactly these keys (and <c>fiscus</c> only when the client asked for that embed).
/// </summary>
public static class KohaShapes
{
    /// <summary>What a property's JSON value may be, as the definitions type it.</summary>
    [Flags]
    public enum Kind
    {
        Integer = 1,
        Number = 2,
        String = 4,
        DateTime = 8,
        Null = 16,
        Object = 32,
    }

    const Kind Int = Kind.Integer;
    const Kind IntOrNull = Kind.Integer | Kind.Null;
    const Kind Num = Kind.Number;
    const Kind Text = Kind.String | Kind.Null;
    const Kind When = Kind.DateTime;

    public static readonly IReadOnlyDictionary<string, Kind> AccountLine = new Dictionary<string, Kind>
    {
        ["account_line_id"] = IntOrNull, ["amount"] = Num, ["amount_outstanding"] = Num, ["cash_register_id"] = IntOrNull,
        ["checkout_id"] = IntOrNull, ["old_checkout_id"] = IntOrNull, ["credit_number"] = Text, ["credit_type"] = Text, ["date"] = When,
        ["debit_type"] = Text, ["description"] = Text, ["interface"] = Text, ["internal_note"] = Text, ["item_id"] = IntOrNull,
        ["library_id"] = Text, ["patron_id"] = Int, ["payment_type"] = Text, ["payout_type"] = Text, ["status"] = Text,
        ["timestamp"] = When, ["user_id"] = IntOrNull,
    };

    public static readonly IReadOnlyDictionary<string, Kind> Debit = new Dictionary<string, Kind>
    {
        ["account_line_id"] = IntOrNull, ["amount"] = Num, ["amount_outstanding"] = Num, ["cash_register_id"] = IntOrNull,
        ["checkout_id"] = IntOrNull, ["date"] = When, ["description"] = Text, ["interface"] = Text, ["internal_note"] = Text,
        ["item_id"] = IntOrNull, ["library_id"] = Text, ["patron_id"] = Int, ["payout_type"] = Text, ["status"] = Text,
        ["timestamp"] = When, ["type"] = Text, ["user_id"] = IntOrNull,
    };

    public static readonly IReadOnlyDictionary<string, Kind> Credit = new Dictionary<string, Kind>
    {
        ["account_line_id"] = IntOrNull, ["amount"] = Num, ["amount_outstanding"] = Num, ["cash_register_id"] = IntOrNull,
        ["credit_number"] = Text, ["date"] = When, ["description"] = Text, ["interface"] = Text, ["internal_note"] = Text,
        ["library_id"] = Text, ["patron_id"] = Int, ["payment_type"] = Text, ["status"] = Text, ["timestamp"] = When, ["type"] = Text,
        ["user_id"] = IntOrNull,
    };

    /// <summary>What <c>x-koha-embed: fiscus</c> adds, as one object.</summary>
    public static readonly IReadOnlyDictionary<string, Kind> FiscusFacts = new Dictionary<string, Kind>
    {
        ["client_id"] = Text, ["external_id"] = Text, ["register_session_id"] = IntOrNull, ["quantity"] = IntOrNull,
        ["related_account_line_id"] = IntOrNull, ["posted_at"] = When,
    };

    /// <summary>Asserts <paramref name="node"/> is an object with exactly <paramref name="shape"/>'s keys, each of its kind.</summary>
    public static void AssertShape(JsonNode? node, IReadOnlyDictionary<string, Kind> shape, string what, bool embedded = false,
        bool patronless = false)
    {
        var line = Assert.IsType<JsonObject>(node);
        var expected = shape.Keys.Concat(embedded ? ["fiscus"] : []).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(line.Select(p => p.Key).Order(StringComparer.Ordinal)),
            $"{what}: keys {string.Join(",", line.Select(p => p.Key).Order(StringComparer.Ordinal))}, expected {string.Join(",", expected)}");
        foreach (var (key, kind) in shape)
        {
            var allowed = patronless && key == "patron_id" ? kind | Kind.Null : kind;
            Assert.True(Is(line[key], allowed), $"{what}: {key} = {line[key]?.ToJsonString() ?? "null"} is not {allowed}");
        }
        if (embedded)
        {
            AssertShape(line["fiscus"], FiscusFacts, $"{what}.fiscus");
        }
    }

    public static void AssertPatronBalance(JsonNode? node, bool embedded = false)
    {
        var balance = Assert.IsType<JsonObject>(node);
        Assert.Equal(["balance", "outstanding_credits", "outstanding_debits"], balance.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(Is(balance["balance"], Kind.Number));
        foreach (var side in new[] { "outstanding_credits", "outstanding_debits" })
        {
            var part = Assert.IsType<JsonObject>(balance[side]);
            Assert.Equal(["lines", "total"], part.Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.True(Is(part["total"], Kind.Number));
            foreach (var line in part["lines"]!.AsArray())
            {
                AssertShape(line, AccountLine, $"{side} line", embedded);
            }
        }
    }

    static bool Is(JsonNode? value, Kind kind)
    {
        if (value is null)
        {
            return kind.HasFlag(Kind.Null);
        }
        if (value is JsonObject)
        {
            return kind.HasFlag(Kind.Object);
        }
        var element = value.AsValue().GetValue<System.Text.Json.JsonElement>();
        return element.ValueKind switch
        {
            System.Text.Json.JsonValueKind.Number => kind.HasFlag(Kind.Number) || (kind.HasFlag(Kind.Integer) && element.TryGetInt64(out _)
                && !element.GetRawText().Contains('.', StringComparison.Ordinal)),
            System.Text.Json.JsonValueKind.String => kind.HasFlag(Kind.String) || (kind.HasFlag(Kind.DateTime)
                && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _)
                && element.GetString()!.Contains('T', StringComparison.Ordinal)),
            _ => false,
        };
    }
}
