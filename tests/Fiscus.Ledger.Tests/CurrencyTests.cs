using System.Globalization;
using Fiscus.Ledger.Money;

namespace Fiscus.Ledger.Tests;

public class CurrencyTests
{
    [Theory]
    [InlineData("USD", 2)]
    [InlineData("usd", 2)]
    [InlineData("EUR", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KWD", 3)]
    [InlineData("CLF", 4)]
    public void Exponent_comes_from_the_ISO_code(string code, int exponent)
    {
        Assert.True(Currency.TryFromCode(code, out var currency));
        Assert.Equal(exponent, currency.Exponent);
        Assert.Equal(code.ToUpperInvariant(), currency.Code);
    }

    [Theory]
    [InlineData("ABC")]
    [InlineData("XAU")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("US")]
    public void Unknown_codes_are_refused(string? code) => Assert.False(Currency.TryFromCode(code, out _));

    [Theory]
    [InlineData("USD", 1050, "10.50")]
    [InlineData("USD", -1, "-0.01")]
    [InlineData("USD", 0, "0.00")]
    [InlineData("JPY", 500, "500")]
    [InlineData("KWD", 1234, "1.234")]
    public void Minor_units_become_major_units_with_the_currency_scale(string code, long minor, string wire)
    {
        Currency.TryFromCode(code, out var currency);
        Assert.Equal(wire, currency!.ToMajor(minor).ToString(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("USD", "10.5", true, 1050)]
    [InlineData("USD", "10.50", true, 1050)]
    [InlineData("USD", "10.500", true, 1050)]
    [InlineData("USD", "10.505", false, 0)]
    [InlineData("USD", "-0.01", true, -1)]
    [InlineData("JPY", "10", true, 10)]
    [InlineData("JPY", "10.5", false, 0)]
    [InlineData("KWD", "0.001", true, 1)]
    [InlineData("USD", "79228162514264337593543950335", false, 0)]
    public void Major_units_convert_exactly_or_not_at_all(string code, string major, bool converts, long minor)
    {
        Currency.TryFromCode(code, out var currency);
        Assert.Equal(converts, currency!.TryToMinor(decimal.Parse(major, CultureInfo.InvariantCulture), out var result));
        Assert.Equal(minor, result);
    }
}
