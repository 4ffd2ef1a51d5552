using System.Globalization;
using Fiscus.Ledger;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Fiscus.Server.Dialects.Polaris;

/// <summary>
/// Polaris' pay body. Read the way Polaris reads it (Newtonsoft.Json): property names in any case, quoted
/// or not (the vendor's own example leaves them unquoted), unknown properties ignored; numbers are read as
/// decimals so no amount passes through a double.
/// </summary>
public sealed record DtoFineData(decimal TxnAmount, long[] MainTxnIDs, int PatronPaymentMethod, string? FreeTextNote)
{
    public const int MaxCharges = 1000;

    public static Outcome<DtoFineData> Parse(string body)
    {
        JToken? token;
        try
        {
            using var reader = new JsonTextReader(new StringReader(body))
            {
                FloatParseHandling = FloatParseHandling.Decimal,
                DateParseHandling = DateParseHandling.None,
                MaxDepth = 16,
            };
            token = body.Trim().Length == 0 ? null : JToken.ReadFrom(reader);
            if (token is not null && reader.Read())
            {
                return Invalid("body", "The request body holds more than one JSON value.");
            }
        }
        catch (JsonReaderException e)
        {
            return Invalid("body", string.Create(CultureInfo.InvariantCulture,
                $"The request body is not valid JSON (line {e.LineNumber}, position {e.LinePosition})."));
        }
        if (token is not JObject fields)
        {
            return Invalid("body", "Null object. Bad request: send a DtoFineData object.");
        }

        var amount = Property(fields, "TxnAmount");
        if (amount is null || amount.Type == JTokenType.Null)
        {
            return Invalid("TxnAmount", "TxnAmount is required.");
        }
        if (amount.Type is not (JTokenType.Integer or JTokenType.Float))
        {
            return Invalid("TxnAmount", "TxnAmount must be a number.");
        }
        if (!TryValue<decimal>(amount, out var txnAmount))
        {
            return Invalid("TxnAmount", "TxnAmount is out of range.");
        }

        var ids = Property(fields, "MainTxnIDs");
        if (ids is not JArray list || list.Count == 0)
        {
            return Invalid("MainTxnIDs", "MainTxnIDs must list the charge transaction ids to pay.");
        }
        if (list.Count > MaxCharges)
        {
            return Invalid("MainTxnIDs", string.Create(CultureInfo.InvariantCulture, $"MainTxnIDs may list at most {MaxCharges} charges."));
        }
        var chargeIds = new List<long>();
        foreach (var id in list)
        {
            if (id.Type != JTokenType.Integer || !TryValue<long>(id, out var chargeId) || chargeId <= 0)
            {
                return Invalid("MainTxnIDs", "MainTxnIDs must be positive whole numbers.");
            }
            chargeIds.Add(chargeId);
        }

        var method = Property(fields, "PatronPaymentMethod");
        if (method is null || method.Type != JTokenType.Integer)
        {
            return Invalid("PatronPaymentMethod", "PatronPaymentMethod is required: a payment method number such as 11 (cash).");
        }
        var note = Property(fields, "FreeTextNote");
        if (note is not null && note.Type is not (JTokenType.String or JTokenType.Null))
        {
            return Invalid("FreeTextNote", "FreeTextNote must be text.");
        }
        var noteText = note?.Type == JTokenType.String ? note.Value<string>() : null;
        if (noteText is { Length: > 1000 })
        {
            return Invalid("FreeTextNote", "FreeTextNote must be at most 1000 characters.");
        }
        if (!TryValue<int>(method, out var paymentMethod))
        {
            return Invalid("PatronPaymentMethod", "PatronPaymentMethod is out of range.");
        }
        return new DtoFineData(txnAmount, chargeIds.ToArray(), paymentMethod, noteText);
    }

    /// <summary>
    /// A number as <typeparamref name="T"/>, or false when it does not fit: Json.NET reads integers beyond 64 bits as
    /// BigInteger, which converts with an InvalidCastException rather than an OverflowException.
    /// </summary>
    static bool TryValue<T>(JToken token, out T value) where T : struct
    {
        try
        {
            value = token.Value<T>();
            return true;
        }
        catch (Exception e) when (e is OverflowException or InvalidCastException or FormatException)
        {
            value = default;
            return false;
        }
    }

    static JToken? Property(JObject fields, string name) =>
        fields.GetValue(name, StringComparison.OrdinalIgnoreCase);

    static Failure Invalid(string field, string message) => Failure.Invalid(field, message);
}
