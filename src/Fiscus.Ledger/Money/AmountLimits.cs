namespace Fiscus.Ledger.Money;

/// <summary>
/// Bounds on a single amount. Every amount a client sends is checked against these before it reaches the
/// ledger, and the database repeats the bound so a bug in C# cannot write an absurd line.
/// </summary>
public static class AmountLimits
{
    /// <summary>The largest single amount in major units (1,000,000.00 in a two-decimal currency).</summary>
    public const long MaxMajor = 1_000_000;

    public static long MaxMinor(Currency currency) => MaxMajor * currency.MinorPerMajor;
}
