using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fiscus.Ledger.Audit;

/// <summary>
/// Writes the strings of audit details so that PostgreSQL's jsonb accepts them whatever a client sent. jsonb refuses
/// the escape <c>\u0000</c> (and unpaired surrogates), which a username such as <c>"ann\u0000"</c> would otherwise put
/// in an <c>auth.login_failed</c> row and so turn a failed sign-in into a 500 with nothing recorded. Such characters
/// are recorded as the text of their escape instead (<c>ann\u0000</c>, six visible characters after <c>ann</c>).
/// </summary>
public sealed class JsonbSafeStrings : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(Escape(value));

    public static string Escape(string value)
    {
        StringBuilder? escaped = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                escaped?.Append(c).Append(value[i + 1]);
                i++;
            }
            else if (c == '\0' || char.IsSurrogate(c))
            {
                escaped ??= new StringBuilder(value.Length + 16).Append(value, 0, i);
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                escaped?.Append(c);
            }
        }
        return escaped?.ToString() ?? value;
    }
}
