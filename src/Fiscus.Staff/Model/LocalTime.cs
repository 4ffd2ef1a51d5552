using System.Globalization;

namespace Fiscus.Staff.Model;

/// <summary>Shows an instant in a library's time zone (the API sends UTC), e.g. "2026-11-28 14:05 (Europe/London)".</summary>
public static class LocalTime
{
    /// <summary>The instant a day starts in a time zone (UTC when it is unknown), for a query that wants UTC.</summary>
    public static DateTime StartOfDayUtc(DateOnly day, string? timeZone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (Zone(timeZone) is not { } zone)
        {
            return DateTime.SpecifyKind(midnight, DateTimeKind.Utc);
        }
        // Where a clock change skips midnight, the day starts when the clock reads a valid time again.
        while (zone.IsInvalidTime(midnight))
        {
            midnight = midnight.AddMinutes(15);
        }
        return TimeZoneInfo.ConvertTimeToUtc(midnight, zone);
    }

    /// <summary>Today's date in a time zone (UTC when it is unknown).</summary>
    public static DateOnly Today(DateTime utcNow, string? timeZone) => DateOnly.FromDateTime(
        Zone(timeZone) is { } zone ? TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utcNow, DateTimeKind.Utc), zone) : utcNow);

    static TimeZoneInfo? Zone(string? timeZone)
    {
        if (timeZone is not { Length: > 0 })
        {
            return null;
        }
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    public static string Format(DateTime utc, string? timeZone)
    {
        var instant = DateTime.SpecifyKind(utc, DateTimeKind.Utc);
        // An unknown zone falls back to UTC, said so.
        return Zone(timeZone) is { } zone
            ? TimeZoneInfo.ConvertTimeFromUtc(instant, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
            : instant.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    }
}
