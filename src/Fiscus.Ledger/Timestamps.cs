namespace Fiscus.Ledger;

public static class Timestamps
{
    /// <summary>PostgreSQL keeps microseconds: an instant answered from memory must be the one the rows hold.</summary>
    public static DateTimeOffset ToDatabasePrecision(DateTimeOffset time) => new(time.Ticks - time.Ticks % 10, time.Offset);
}
