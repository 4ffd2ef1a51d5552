using System.Collections.Frozen;
using System.Text;

namespace Fiscus.Server.Sip2;

/// <summary>
/// One SIP2 request as it arrived: a two-digit command id, the command's fixed-width fields (in order, no ids), the
/// variable fields (<c>XXvalue|</c>, any order, some repeatable) and, when the kiosk has error detection on, the
/// sequence number (<c>AY</c>) and checksum (<c>AZ</c>) that end it.
/// </summary>
public sealed class Sip2Message
{
    /// <summary>How many characters of fixed fields each request the server reads has, after the command id.</summary>
    public static readonly FrozenDictionary<string, int> FixedLengths = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["93"] = 2,       // UID algorithm, PWD algorithm
        ["99"] = 8,       // status code, max print width 3, protocol version 4
        ["23"] = 21,      // language 3, transaction date 18
        ["63"] = 31,      // language 3, transaction date 18, summary 10
        ["37"] = 25,      // transaction date 18, fee type 2, payment type 2, currency type 3
        ["35"] = 18,      // transaction date
        ["97"] = 0,
        ["11"] = 38,      // checkout: SC renewal policy, no block, transaction date, nb due date
        ["09"] = 37,      // checkin: no block, transaction date, return date
        ["01"] = 19,      // block patron: card retained, transaction date
        ["29"] = 38,      // renew: third party allowed, no block, transaction date, nb due date
        ["65"] = 18,      // renew all: transaction date
        ["17"] = 18,      // item information: transaction date
        ["19"] = 18,      // item status update: transaction date
        ["25"] = 18,      // patron enable: transaction date
        ["15"] = 19,      // hold: hold mode, transaction date
    }.ToFrozenDictionary(StringComparer.Ordinal);

    Sip2Message(string command, string fixedFields, IReadOnlyList<KeyValuePair<string, string>> fields, char? sequence, bool errorDetection)
    {
        Command = command;
        Fixed = fixedFields;
        Fields = fields;
        Sequence = sequence;
        ErrorDetection = errorDetection;
    }

    public string Command { get; }

    /// <summary>The fixed-width fields as sent; shorter than the command's length when the message was cut short.</summary>
    public string Fixed { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>The <c>AY</c> digit, echoed in the answer.</summary>
    public char? Sequence { get; }

    /// <summary>The request carried a checksum (and it was right): the answer carries one too.</summary>
    public bool ErrorDetection { get; }

    /// <summary>Whether the fixed part is as long as the command's fixed fields.</summary>
    public bool IsComplete => !FixedLengths.TryGetValue(Command, out var length) || Fixed.Length == length;

    /// <summary>The first value of a field, or null when it is absent.</summary>
    public string? this[string id] => Fields.FirstOrDefault(f => f.Key == id) is { Key: not null } field ? field.Value : null;

    /// <summary>A fixed field by position and width; empty when the message was cut short before it.</summary>
    public string FixedAt(int start, int length) => start + length <= Fixed.Length ? Fixed.Substring(start, length) : "";

    /// <summary>
    /// Reads a message (without its CR) whose checksum, if any, was already verified. Unknown field ids are kept (and
    /// ignored by the handlers), as the spec asks; a last field without its <c>|</c> is accepted, as kiosks send it.
    /// </summary>
    /// <param name="text">The message decoded, without the error detection suffix.</param>
    public static Sip2Message? Parse(string text, char? sequence, bool errorDetection)
    {
        if (text.Length < 2 || !char.IsAsciiDigit(text[0]) || !char.IsAsciiDigit(text[1]))
        {
            return null;
        }
        var command = text[..2];
        var fixedLength = FixedLengths.GetValueOrDefault(command);
        var fixedEnd = Math.Min(text.Length, 2 + fixedLength);
        var fixedFields = text[2..fixedEnd];
        var fields = new List<KeyValuePair<string, string>>();
        if (fixedEnd == 2 + fixedLength)
        {
            foreach (var piece in text[fixedEnd..].Split('|'))
            {
                if (piece.Length >= 2)
                {
                    fields.Add(new(piece[..2], piece[2..]));
                }
            }
        }
        return new Sip2Message(command, fixedFields, fields, sequence, errorDetection);
    }
}

/// <summary>Builds one SIP2 response: the command id and fixed fields, then <c>XXvalue|</c> fields.</summary>
public sealed class Sip2Response
{
    /// <summary>The longest value a variable field carries (the spec's 255).</summary>
    public const int MaxFieldLength = 255;

    readonly StringBuilder text = new();

    public Sip2Response(string command) => text.Append(command);

    /// <summary>Fixed-width fields, in the spec's order.</summary>
    public Sip2Response Fixed(string value)
    {
        text.Append(value);
        return this;
    }

    /// <summary>
    /// A variable field. The value cannot carry the delimiter, CR or other control characters (a kiosk would read them
    /// as the end of the field or message), so they become spaces; it is cut at 255 characters.
    /// </summary>
    public Sip2Response Field(string id, string? value)
    {
        if (value is null)
        {
            return this;
        }
        text.Append(id);
        var length = 0;
        foreach (var c in value)
        {
            if (length == MaxFieldLength)
            {
                break;
            }
            text.Append(c == '|' || char.IsControl(c) ? ' ' : c);
            length++;
        }
        text.Append('|');
        return this;
    }

    public override string ToString() => text.ToString();
}
