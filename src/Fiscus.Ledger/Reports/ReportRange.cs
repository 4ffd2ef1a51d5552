namespace Fiscus.Ledger.Reports;

/// <summary>
/// A range of business days, from and to inclusive, reckoned in each library's time zone. No zone is more
/// than 14 hours from UTC, so [from − 1 day, to + 2 days) in UTC bounds every moment of it for an index scan.
/// </summary>
public readonly record struct ReportRange(DateOnly From, DateOnly To)
{
    public const int MaxDays = 366;

    public DateTimeOffset Lower => new(From.AddDays(-1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public DateTimeOffset Upper => new(To.AddDays(2).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public static Outcome<ReportRange> Of(DateOnly from, DateOnly to)
    {
        if (to < from)
        {
            return Failure.Invalid("to", "to must be on or after from.");
        }
        if (to.DayNumber - from.DayNumber >= MaxDays)
        {
            return Failure.Invalid("to", $"A report covers at most {MaxDays} days.");
        }
        return new ReportRange(from, to);
    }
}
