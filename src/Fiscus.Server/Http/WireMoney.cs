using System.Globalization;
using Fiscus.Ledger;
using Fiscus.Ledger.Money;

namespace Fiscus.Server.Http;

/// <summary>
/// Amounts at the wire boundary: JSON numbers in major units, converted exactly to minor units. More
/// decimals than the currency has, or an amount out of bounds, is a validation error naming the field;
/// nothing is ever rounded.
/// </summary>
public static class WireMoney
{
    public enum Sign
    {
        /// <summary>Greater than zero.</summary>
        Positive,
        /// <summary>Zero or more.</summary>
        NonNegative,
        /// <summary>Any sign (a count that came out below zero).</summary>
        Any,
    }

    /// <returns>The amount in minor units, or null when absent or invalid (the reason is added to <paramref name="validation"/>).</returns>
    public static long? ToMinor(Validation validation, string field, decimal? amount, Currency currency, Sign sign, bool required)
    {
        if (amount is not { } value)
        {
            if (required)
            {
                validation.Add(field, $"{field} is required");
            }
            return null;
        }
        if (!currency.TryToMinor(value, out var minor))
        {
            validation.Add(field, currency.Exponent == 0
                ? $"{field} must be a whole number of {currency.Code}"
                : $"{field} has more than {currency.Exponent} decimals, which {currency.Code} does not have");
            return null;
        }
        var max = AmountLimits.MaxMinor(currency);
        if (sign == Sign.Positive && minor <= 0)
        {
            validation.Add(field, $"{field} must be greater than 0");
            return null;
        }
        if (sign == Sign.NonNegative && minor < 0)
        {
            validation.Add(field, $"{field} must not be negative");
            return null;
        }
        if (Math.Abs(minor) > max)
        {
            validation.Add(field, string.Create(CultureInfo.InvariantCulture, $"{field} must be at most {currency.ToMajor(max)}"));
            return null;
        }
        return minor;
    }
}
