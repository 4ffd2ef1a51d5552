using System.Globalization;

namespace Fiscus.Staff.Model;

/// <summary>
/// The installation's currency: amounts are counted in its minor unit (<see cref="Exponent"/> decimals) as
/// <c>long</c>, exactly as the ledger keeps them. The API speaks major units as JSON numbers; they arrive as
/// <c>decimal</c> and are turned into minor units at once, so the app never does float arithmetic on money.
/// </summary>
public sealed record Currency(string Code, int Exponent)
{
    public static readonly Currency Usd = new("USD", 2);

    /// <summary>Largest amount the API accepts (1,000,000.00 in major units).</summary>
    public long MaxMinor => 1_000_000 * Factor;

    long Factor => Exponent switch { 0 => 1, 1 => 10, 2 => 100, 3 => 1000, _ => (long)Math.Pow(10, Exponent) };

    public long ToMinor(decimal major) => decimal.ToInt64(decimal.Round(major * Factor, 0, MidpointRounding.ToEven));

    public decimal ToMajor(long minor) => (decimal)minor / Factor;

    /// <summary>The amount as the wire wants it: a number with exactly this currency's decimals.</summary>
    public decimal Wire(long minor) => decimal.Round(ToMajor(minor), Exponent);

    /// <summary>"12.50" (no symbol): for input fields and receipts.</summary>
    public string Plain(long minor) => ToMajor(minor).ToString("F" + Exponent, CultureInfo.InvariantCulture);

    /// <summary>"$12.50", "-€3.00", "12.500 KWD": for screens.</summary>
    public string Format(long minor)
    {
        var sign = minor < 0 ? "-" : "";
        var digits = ToMajor(Math.Abs(minor)).ToString("N" + Exponent, CultureInfo.InvariantCulture);
        return Symbol is { } symbol ? $"{sign}{symbol}{digits}" : $"{sign}{digits} {Code}";
    }

    string? Symbol => Code switch
    {
        "USD" or "CAD" or "AUD" or "NZD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => null,
    };

    /// <summary>
    /// Reads what a clerk typed ("12", "12.5", "12.50", "1,234.50"). A negative amount, more decimals than the
    /// currency has, or an amount over the API's bound is refused with the reason; nothing is rounded silently.
    /// </summary>
    public bool TryParse(string? text, out long minor, out string? error)
    {
        minor = 0;
        error = null;
        var trimmed = (text ?? "").Trim();
        if (Symbol is { } symbol && trimmed.StartsWith(symbol, StringComparison.Ordinal))
        {
            trimmed = trimmed[symbol.Length..].Trim();
        }
        if (trimmed.Length == 0)
        {
            error = "Enter an amount.";
            return false;
        }
        if (!decimal.TryParse(trimmed, NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands, CultureInfo.InvariantCulture,
                out var major))
        {
            error = $"'{text}' is not an amount.";
            return false;
        }
        if (major.Scale > Exponent && decimal.Round(major, Exponent) != major)
        {
            error = Exponent == 0 ? $"{Code} has no decimals." : $"{Code} has {Exponent} decimals at most.";
            return false;
        }
        if (major > ToMajor(MaxMinor))
        {
            error = $"At most {Format(MaxMinor)}.";
            return false;
        }
        minor = ToMinor(major);
        return true;
    }
}
