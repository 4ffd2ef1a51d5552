using Fiscus.Staff.Model;

namespace Fiscus.Staff.Tests.Model;

/// <summary>The chart's arithmetic: a round axis in minor units, and stacks whose parts add up to the bar exactly.</summary>
public sealed class BarChartTests
{
    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(30, 10, 30)]
    [InlineData(31, 10, 40)]
    [InlineData(999, 500, 1000)]
    [InlineData(1000, 500, 1000)]
    [InlineData(1001, 500, 1500)]
    [InlineData(12_345_678, 5_000_000, 15_000_000)]
    public void The_axis_ends_on_a_round_amount_at_or_above_the_highest_bar(long highest, long step, long ceiling)
    {
        Assert.Equal(step, BarChart.Step(highest));
        Assert.Equal(ceiling, BarChart.Ceiling(highest, step));
    }

    [Fact]
    public void Ticks_run_from_zero_to_the_ceiling_by_the_step()
    {
        var step = BarChart.Step(3000);
        Assert.Equal(1000, step);
        Assert.Equal([0L, 1000, 2000, 3000], BarChart.Ticks(BarChart.Ceiling(3000, step), step));
        Assert.Equal([0L, 10, 20, 30], BarChart.Ticks(BarChart.Ceiling(30, BarChart.Step(30)), BarChart.Step(30)));
    }

    [Fact]
    public void A_stack_is_cut_at_its_running_totals_so_its_parts_fill_the_bar_exactly()
    {
        // Three parts of 1/3 each on a 100-pixel axis: rounding each would give 33 + 33 + 33 = 99.
        var bar = BarChart.Stack(new DateOnly(2026, 11, 28), [("CASH", 100), ("CARD", 100), ("SIP00", 100)], ["CASH", "CARD", "SIP00"], 300, 100);
        Assert.Equal(300, bar.TotalMinor);
        Assert.Equal(100, bar.HeightPixels);
        Assert.Equal(100, bar.Segments.Sum(s => s.HeightPixels));
        Assert.Equal([0, 33, 66], bar.Segments.Select(s => s.BottomPixels));
        Assert.Equal(["CASH", "CARD", "SIP00"], bar.Segments.Select(s => s.Series));
    }

    [Fact]
    public void Heights_are_proportional_and_never_pass_the_axis()
    {
        Assert.Equal(0, BarChart.Pixels(0, 1000, 200));
        Assert.Equal(0, BarChart.Pixels(-5, 1000, 200));
        Assert.Equal(100, BarChart.Pixels(500, 1000, 200));
        Assert.Equal(200, BarChart.Pixels(5000, 1000, 200));
        // Large amounts do not overflow: 10^15 minor units on a 10^4-pixel axis.
        Assert.Equal(5000, BarChart.Pixels(500_000_000_000_000, 1_000_000_000_000_000, 10_000));
    }

    [Fact]
    public void Beyond_seven_series_the_smallest_share_one_colour_as_Other()
    {
        var totals = Enumerable.Range(1, 9).Select(i => ($"T{i}", (long)i * 100)).ToList();
        var series = BarChart.Series(totals);
        Assert.Equal(["T9", "T8", "T7", "T6", "T5", "T4", BarChart.Other], series);
        var bar = BarChart.Stack(new DateOnly(2026, 1, 1), totals, series, 5000, 100);
        Assert.Equal(4500, bar.TotalMinor);
        Assert.Equal(600, bar.Segments.Single(s => s.Series == BarChart.Other).AmountMinor);
        Assert.Equal(90, bar.HeightPixels);
        // Seven or fewer keep their own colours, biggest first; nothing taken is no series at all.
        Assert.Equal(["B", "A"], BarChart.Series([("A", 100), ("B", 250), ("A", 50), ("C", 0)]));
    }
}
