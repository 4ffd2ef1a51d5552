using Bunit;
using Fiscus.Staff.Components;
using Fiscus.Staff.Model;
using Fiscus.Staff.Services;

namespace Fiscus.Staff.Tests.Components;

/// <summary>The income chart: bars drawn to scale from the API's figures, each part named, the legend with totals.</summary>
public sealed class IncomeChartTests : BunitContext
{
    static readonly IncomeDay[] Days =
    [
        new(new DateOnly(2026, 11, 27), 3.00m, [new("CASH", "Cash", 2, 2.00m), new("CARD", "Card", 1, 1.00m)], [new("PRINT", "Printing", 3, 3.00m)]),
        new(new DateOnly(2026, 11, 28), 0m, [], []),
        new(new DateOnly(2026, 11, 29), 0.30m, [new("CASH", "Cash", 1, 0.30m)], [new("COPY", "Photocopy", 1, 0.30m)]),
    ];

    IRenderedComponent<IncomeChart> Render(Func<IncomeDay, IncomeShare[]> shares) =>
        Render<IncomeChart>(p => p
            .Add(c => c.Id, "chart")
            .Add(c => c.Title, "Income by payment type")
            .Add(c => c.Days, Days)
            .Add(c => c.Shares, shares)
            .Add(c => c.Currency, new Currency("USD", 2)));

    [Fact]
    public void Each_day_is_a_stack_of_its_payment_types_drawn_to_scale()
    {
        var chart = Render(d => d.ByPaymentType);
        Assert.Equal("$3.30", chart.Find("[data-testid=chart-total]").TextContent);
        var parts = chart.FindAll("rect title").Select(t => t.TextContent).ToList();
        Assert.Equal(["11-27 · Cash: $2.00", "11-27 · Card: $1.00", "11-29 · Cash: $0.30"], parts);

        // $3.00 is the highest bar: the axis runs to $3.00 by $1.00, over 216 pixels (260 − 18 − 26).
        Assert.Equal(["$0.00", "$1.00", "$2.00", "$3.00"], chart.FindAll("text.axis").Take(4).Select(t => t.TextContent));
        var heights = chart.FindAll("rect[fill]").Where(r => r.GetAttribute("width") != "12").Select(r => int.Parse(r.GetAttribute("height")!)).ToList();
        Assert.Equal([144, 72, 21], heights);
        Assert.Equal(["$3.00", "$0.30"], chart.FindAll("text.bar-total").Select(t => t.TextContent));

        // The legend: biggest first, each with its colour and its total over the range.
        var legend = chart.FindAll(".legend li").Select(l => l.TextContent.Trim().Replace("\n", " ")).ToList();
        Assert.Equal(2, legend.Count);
        Assert.Contains("Cash", legend[0]);
        Assert.Contains("$2.30", legend[0]);
        Assert.Contains("Card", legend[1]);
        Assert.Equal(chart.FindAll("rect title")[0].ParentElement!.GetAttribute("fill"), chart.FindAll(".legend rect")[0].GetAttribute("fill"));
    }

    [Fact]
    public void The_same_days_by_debit_type_and_a_range_with_nothing()
    {
        var chart = Render(d => d.ByDebitType);
        Assert.Equal(["11-27 · Printing: $3.00", "11-29 · Photocopy: $0.30"], chart.FindAll("rect title").Select(t => t.TextContent));

        var empty = Render(_ => []);
        Assert.Equal("$0.00", empty.Find("[data-testid=chart-total]").TextContent);
        Assert.Empty(empty.FindAll("rect title"));
        Assert.Contains("Nothing was taken in these days.", empty.Markup);
    }
}
