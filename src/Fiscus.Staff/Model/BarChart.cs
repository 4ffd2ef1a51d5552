namespace Fiscus.Staff.Model;

/// <summary>One coloured part of a day's bar: a series' amount, where it starts and how tall it is (in pixels).</summary>
public sealed record BarSegment(string Series, long AmountMinor, int BottomPixels, int HeightPixels);

/// <summary>One day's stacked bar.</summary>
public sealed record Bar(DateOnly Date, long TotalMinor, int HeightPixels, IReadOnlyList<BarSegment> Segments);

/// <summary>
/// The arithmetic of a stacked bar chart of money, all in integers: amounts stay in minor units, the axis ends on a round
/// amount (1, 2 or 5 times a power of ten per step), and pixels come from exact integer division. A stack is cut at the
/// rounded running totals, so its parts always add up to the bar's height — no gap or overlap from rounding each part.
/// </summary>
public static class BarChart
{
    /// <summary>The most series drawn in their own colour; the rest of a day is one "Other" part.</summary>
    public const int MaxSeries = 7;

    /// <summary>The key of the "Other" part: no payment or debit type code can be it.</summary>
    public const string Other = "\u2026other";

    /// <summary>A round step for about <paramref name="steps"/> ticks up to <paramref name="maxMinor"/>: 1, 2 or 5 × 10^k minor units.</summary>
    public static long Step(long maxMinor, int steps = 4)
    {
        if (maxMinor <= 0)
        {
            return 1;
        }
        var raw = (maxMinor + steps - 1) / steps;
        for (long power = 1; ; power *= 10)
        {
            foreach (var multiple in (ReadOnlySpan<long>)[1, 2, 5])
            {
                if (multiple * power >= raw)
                {
                    return multiple * power;
                }
            }
            if (power > long.MaxValue / 100)
            {
                return raw;
            }
        }
    }

    /// <summary>The top of the axis: the first multiple of the step at or above the largest amount (one step when all are zero).</summary>
    public static long Ceiling(long maxMinor, long step) => maxMinor <= 0 ? step : (maxMinor + step - 1) / step * step;

    /// <summary>The axis' ticks, from zero to the ceiling.</summary>
    public static IReadOnlyList<long> Ticks(long ceilingMinor, long step)
    {
        var ticks = new List<long>();
        for (var tick = 0L; tick <= ceilingMinor; tick += step)
        {
            ticks.Add(tick);
        }
        return ticks;
    }

    /// <summary>How many pixels an amount takes on an axis of <paramref name="pixels"/> that ends at <paramref name="ceilingMinor"/>.</summary>
    public static int Pixels(long amountMinor, long ceilingMinor, int pixels) =>
        ceilingMinor <= 0 || amountMinor <= 0 ? 0 : (int)Math.Min(pixels, (long)((Int128)amountMinor * pixels / ceilingMinor));

    /// <summary>
    /// The series to colour: the <see cref="MaxSeries"/> that took the most over the whole range (the order of the legend),
    /// the rest together as <see cref="Other"/>.
    /// </summary>
    public static IReadOnlyList<string> Series(IEnumerable<(string Series, long AmountMinor)> totals)
    {
        var ranked = totals.GroupBy(t => t.Series, StringComparer.Ordinal)
            .Select(g => (Series: g.Key, AmountMinor: g.Sum(t => t.AmountMinor)))
            .Where(t => t.AmountMinor > 0)
            .OrderByDescending(t => t.AmountMinor).ThenBy(t => t.Series, StringComparer.Ordinal)
            .Select(t => t.Series).ToList();
        return ranked.Count <= MaxSeries ? ranked : [.. ranked.Take(MaxSeries - 1), Other];
    }

    /// <summary>A day's bar, its parts in the order of <paramref name="series"/> from the bottom.</summary>
    public static Bar Stack(DateOnly date, IEnumerable<(string Series, long AmountMinor)> amounts, IReadOnlyList<string> series, long ceilingMinor, int pixels)
    {
        var bySeries = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, amount) in amounts.Where(a => a.AmountMinor > 0))
        {
            var key = series.Contains(name) ? name : Other;
            bySeries[key] = bySeries.GetValueOrDefault(key) + amount;
        }
        var segments = new List<BarSegment>();
        long running = 0;
        var bottom = 0;
        foreach (var name in series)
        {
            if (bySeries.GetValueOrDefault(name) is var amount and > 0)
            {
                running += amount;
                var top = Pixels(running, ceilingMinor, pixels);
                segments.Add(new BarSegment(name, amount, bottom, top - bottom));
                bottom = top;
            }
        }
        return new Bar(date, running, bottom, segments);
    }
}
