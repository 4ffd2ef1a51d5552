using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Fiscus.Ledger.Money;

/// <summary>
/// The installation's currency: an ISO 4217 code and its exponent (the number of minor-unit digits).
/// Every amount Fiscus stores is a <see cref="long"/> count of this currency's minor unit.
/// </summary>
public sealed record Currency
{
    Currency(string code, int exponent)
    {
        Code = code;
        Exponent = exponent;
        MinorPerMajor = Pow10(exponent);
    }

    /// <summary>ISO 4217 alphabetic code, upper case (e.g. <c>USD</c>).</summary>
    public string Code { get; }

    /// <summary>Digits after the decimal point (USD 2, JPY 0, KWD 3).</summary>
    public int Exponent { get; }

    /// <summary>Minor units in one major unit (100 for USD).</summary>
    public long MinorPerMajor { get; }

    public static Currency Usd { get; } = new("USD", 2);

    /// <summary>Looks a code up in ISO 4217 (active currencies and funds).</summary>
    public static bool TryFromCode(string? code, [NotNullWhen(true)] out Currency? currency)
    {
        currency = null;
        if (code is null || !Iso4217Exponents.TryGetValue(code.Trim().ToUpperInvariant(), out var exponent))
        {
            return false;
        }
        currency = new Currency(code.Trim().ToUpperInvariant(), exponent);
        return true;
    }

    /// <summary>
    /// A wire amount in major units for this many minor units, carrying exactly <see cref="Exponent"/> decimals
    /// so that it serializes as <c>10.50</c>, never <c>10.5</c> or <c>10.500000</c>.
    /// </summary>
    public decimal ToMajor(long amountMinor)
    {
        var magnitude = amountMinor == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(amountMinor);
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, amountMinor < 0, (byte)Exponent);
    }

    /// <summary>
    /// Converts a wire amount in major units to minor units. Fails (never rounds) when the amount has more
    /// decimals than the currency or does not fit in a <see cref="long"/>.
    /// </summary>
    public bool TryToMinor(decimal amountMajor, out long amountMinor)
    {
        amountMinor = 0;
        decimal scaled;
        try
        {
            scaled = amountMajor * MinorPerMajor;
        }
        catch (OverflowException)
        {
            return false;
        }
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue || scaled < long.MinValue)
        {
            return false;
        }
        amountMinor = decimal.ToInt64(scaled);
        return true;
    }

    public override string ToString() => Code;

    static long Pow10(int exponent)
    {
        long result = 1;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }
        return result;
    }

    // ISO 4217 list one (current currencies and funds) with their minor-unit digits.
    // Codes without minor units in the standard (XAU, XDR, XXX, ...) are not money Fiscus can hold.
    static readonly FrozenDictionary<string, int> Iso4217Exponents = BuildTable();

    static FrozenDictionary<string, int> BuildTable()
    {
        const string two =
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE " +
            "CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL " +
            "HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR " +
            "MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP " +
            "SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER " +
            "ZAR ZMW ZWG ZWL";
        const string zero = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
        const string three = "BHD IQD JOD KWD LYD OMR TND";
        const string four = "CLF UYW";
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (codes, exponent) in new[] { (two, 2), (zero, 0), (three, 3), (four, 4) })
        {
            foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                table.Add(code, exponent);
            }
        }
        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
