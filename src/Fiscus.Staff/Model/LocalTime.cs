using System.Globalization;

namespace Fiscus.Staff.Model;

/// <summary>Shows an instant in a library's time zone (the API sends UTC), e.g. "2026-11-28 14:05 (Europe/London)".</summary>
public static class LocalTime
{
    public static string Format(DateTime utc, string? timeZone)
    {
        var instant = DateTime.SpecifyKind(utc, DateTimeKind.Utc);
        if (timeZone is { Length: > 0 })
        {
            try
            {
                var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
                return TimeZoneInfo.ConvertTimeFromUtc(instant, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                // Fall through to UTC, said so.
            }
        }
        return instant.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    }
}
