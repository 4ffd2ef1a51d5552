namespace Fiscus.Staff.Model;

/// <summary>A difference of cash (counted − expected) in words: "balanced", "surplus $0.50", "deficit $1.00".</summary>
public static class CashDifference
{
    public static string Kind(long differenceMinor) => differenceMinor switch { > 0 => "surplus", < 0 => "deficit", _ => "balanced" };

    public static string Describe(Currency currency, long differenceMinor) =>
        differenceMinor == 0 ? "balanced" : $"{Kind(differenceMinor)} {currency.Format(Math.Abs(differenceMinor))}";
}
