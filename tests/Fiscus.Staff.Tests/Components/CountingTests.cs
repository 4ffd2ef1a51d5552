using Bunit;
using Fiscus.Staff.Components;
using Fiscus.Staff.Model;
using Fiscus.Staff.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Staff.Tests.Components;

/// <summary>Counting cash: the denomination grid sums exactly; the cash-up form shows differences and a counted float.</summary>
public sealed class CountingTests : BunitContext
{
    static readonly Currency Usd = new("USD", 2);

    [Fact]
    public void The_denomination_grid_sums_what_is_typed_and_ignores_nonsense()
    {
        var count = new DenominationCount([new(2000, "note"), new(500, "note"), new(25, "coin")]);
        var changes = 0;
        var grid = Render<DenominationCounter>(p => p.Add(c => c.Count, count).Add(c => c.Currency, Usd).Add(c => c.IdPrefix, "t")
            .Add(c => c.Changed, () => changes++));
        grid.Find("#t-d0").Input("3");
        grid.Find("#t-d1").Input("1");
        grid.Find("#t-d2").Input("7");
        Assert.Equal("$66.75", grid.Find("[data-testid=t-counted]").TextContent);
        grid.Find("#t-d2").Input("x");
        Assert.Equal("$65.00", grid.Find("[data-testid=t-counted]").TextContent);
        grid.Find("#t-d0").Input("-2");
        Assert.Equal("$5.00", grid.Find("[data-testid=t-counted]").TextContent);
        Assert.Equal(5, changes);
    }

    [Theory]
    [InlineData("12.00", "balanced", false)]
    [InlineData("112.00", "surplus $100.00", true)]
    [InlineData("11.50", "deficit $0.50", false)]
    public void The_cash_up_form_shows_the_difference_before_confirming(string counted, string difference, bool floatWarning)
    {
        Services.AddSingleton(new HttpClient { BaseAddress = new Uri("http://fiscus.test/") });
        Services.AddSingleton<FiscusApi>();
        Services.AddSingleton<StaffSession>();
        var summary = new Summary(DateTime.UtcNow, null, 100.00m, 1, [], 12.00m, 0m, 12.00m,
            [new PaymentTypeTotal("CASH", "Cash", true, 1, 12.00m, 0, 0m, 0, 0m, 0, 0m, 12.00m, 12.00m)],
            new CountTotal(0, 0m), new CountTotal(0, 0m), new CountTotal(0, 0m), new CountTotal(0, 0m), 112.00m, 12.00m, []);
        var form = Render<CashupForm>(p => p.Add(c => c.RegisterId, 1).Add(c => c.RegisterName, "Main desk").Add(c => c.Source, summary));

        // No denominations configured in this session: the counted total is typed.
        form.Find("#count-CASH-manual").Change(counted);
        Assert.Equal(difference, form.Find("[data-testid=difference-CASH]").TextContent);
        Assert.Equal(floatWarning, form.Markup.Contains("exactly the float", StringComparison.Ordinal));

        form.Find("button.primary").Click();
        if (difference == "balanced")
        {
            Assert.Contains("Cash up Main desk", form.Find("[role=alertdialog]").TextContent);
        }
        else
        {
            Assert.Empty(form.FindAll("[role=alertdialog]"));
            Assert.Contains("a difference needs a note", form.Markup);
        }
    }
}
