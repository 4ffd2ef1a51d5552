namespace Fiscus.Staff.Model;

/// <summary>What the customer handed over against what is due: the change to give back, or what is still short.</summary>
public static class Tender
{
    /// <summary>Change due (≥ 0) when <paramref name="tenderedMinor"/> covers <paramref name="dueMinor"/>, else null.</summary>
    public static long? ChangeMinor(long dueMinor, long? tenderedMinor) =>
        tenderedMinor is { } tendered && tendered >= dueMinor ? tendered - dueMinor : null;

    /// <summary>How much is still missing (> 0) when the tender is short, else 0.</summary>
    public static long ShortMinor(long dueMinor, long? tenderedMinor) =>
        tenderedMinor is { } tendered && tendered < dueMinor ? dueMinor - tendered : 0;
}
