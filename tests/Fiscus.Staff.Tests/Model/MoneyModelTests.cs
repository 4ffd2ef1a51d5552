using Fiscus.Staff.Model;

namespace Fiscus.Staff.Tests.Model;

/// <summary>The app's money arithmetic: exact minor units, no rounding, refusals in words.</summary>
public sealed class MoneyModelTests
{
    static readonly Currency Usd = new("USD", 2);
    static readonly Currency Jpy = new("JPY", 0);
    static readonly Currency Kwd = new("KWD", 3);

    [Theory]
    [InlineData("USD", "12", true, 1200, null)]
    [InlineData("USD", "12.5", true, 1250, null)]
    [InlineData("USD", "$12.50", true, 1250, null)]
    [InlineData("USD", "1,234.56", true, 123456, null)]
    [InlineData("USD", " 0.10 ", true, 10, null)]
    [InlineData("USD", "0.105", false, 0, "USD has 2 decimals at most.")]
    [InlineData("USD", "-1", false, 0, "'-1' is not an amount.")]
    [InlineData("USD", "", false, 0, "Enter an amount.")]
    [InlineData("USD", "abc", false, 0, "'abc' is not an amount.")]
    [InlineData("USD", "1000000.01", false, 0, "At most $1,000,000.00.")]
    [InlineData("JPY", "500", true, 500, null)]
    [InlineData("JPY", "500.5", false, 0, "JPY has no decimals.")]
    [InlineData("KWD", "1.234", true, 1234, null)]
    public void Typed_amounts_become_exact_minor_units_or_a_reason(string code, string text, bool ok, long minor, string? error)
    {
        var currency = code switch { "JPY" => Jpy, "KWD" => Kwd, _ => Usd };
        Assert.Equal(ok, currency.TryParse(text, out var parsed, out var why));
        Assert.Equal(minor, parsed);
        Assert.Equal(error, why);
    }

    [Theory]
    [InlineData("USD", 123456, "$1,234.56", "1234.56")]
    [InlineData("USD", -5, "-$0.05", "-0.05")]
    [InlineData("JPY", 500, "¥500", "500")]
    [InlineData("KWD", 1234, "1.234 KWD", "1.234")]
    public void Amounts_show_with_the_currency_exponent(string code, long minor, string formatted, string plain)
    {
        var currency = code switch { "JPY" => Jpy, "KWD" => Kwd, _ => Usd };
        Assert.Equal(formatted, currency.Format(minor));
        Assert.Equal(plain, currency.Plain(minor));
        Assert.Equal(minor, currency.ToMinor(currency.Wire(minor)));
    }

    [Fact]
    public void A_basket_sums_its_lines_and_a_second_tap_adds_to_the_quantity()
    {
        var basket = new Basket();
        var copy = basket.Add("COPY", "Photocopy", 15, true);
        basket.Add("COPY", "Photocopy", 15, true);
        basket.Add("PRINT", "Printing", 10, true);
        basket.Add("COPY", "Photocopy", 20, true); // a copy at another price is its own line
        Assert.Equal(3, basket.Lines.Count);
        Assert.Equal(2, copy.Quantity);
        Assert.Equal(60, basket.TotalMinor);
        Assert.Equal(4, basket.ItemCount);

        basket.SetQuantity(copy, 1000);
        Assert.Equal(Basket.MaxQuantity, copy.Quantity);
        basket.SetQuantity(copy, 0);
        Assert.Equal(2, basket.Lines.Count);
        Assert.Null(basket.Problem);

        basket.Add("BAG", "Bag", 0, true);
        Assert.Equal("Enter a price for Bag.", basket.Problem);
        basket.Clear();
        Assert.Equal("The basket is empty.", basket.Problem);
    }

    [Theory]
    [InlineData(30, null, null, 0)]
    [InlineData(30, 30L, 0L, 0)]
    [InlineData(30, 100L, 70L, 0)]
    [InlineData(30, 20L, null, 10)]
    public void Change_due_and_what_is_short(long due, long? tendered, long? change, long shortBy)
    {
        Assert.Equal(change, Tender.ChangeMinor(due, tendered));
        Assert.Equal(shortBy, Tender.ShortMinor(due, tendered));
    }

    [Fact]
    public void A_count_by_denomination_sums_exactly_and_knows_a_counted_float()
    {
        var count = new DenominationCount([new(25, "coin"), new(2000, "note"), new(1, "coin")]);
        Assert.Equal([2000L, 25, 1], count.Denominations.Select(d => d.ValueMinor));
        Assert.False(count.AnythingCounted);
        count.SetPieces(count.Denominations[0], 3);
        count.SetPieces(count.Denominations[1], 7);
        count.SetPieces(count.Denominations[2], -4);
        Assert.Equal(6175, count.TotalMinor);
        Assert.Equal(0, count.PiecesOf(count.Denominations[2]));

        var check = new CountCheck(ExpectedMinor: 175, CountedMinor: count.TotalMinor, FloatMinor: 6000);
        Assert.Equal(6000, check.DifferenceMinor);
        Assert.Equal("surplus", check.Kind);
        Assert.True(check.LooksLikeCountedFloat);
        Assert.True(new CountCheck(6175, 175, 6000).LooksLikeMissingFloat);
        Assert.True(new CountCheck(175, 175, 6000).Balanced);
    }

    [Fact]
    public void Without_denominations_the_count_is_the_typed_total()
    {
        var count = new DenominationCount([]);
        Assert.False(count.ByDenomination);
        Assert.False(count.AnythingCounted);
        count.ManualTotalMinor = 1234;
        Assert.Equal(1234, count.TotalMinor);
    }
}
