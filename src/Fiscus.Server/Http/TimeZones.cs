namespace Fiscus.Server.Http;

/// <summary>IANA time zone names, as a library's business day is reckoned in.</summary>
public static class TimeZones
{
    /// <summary>
    /// A region name such as <c>Europe/London</c> (or <c>UTC</c>). Legacy abbreviations the database still
    /// knows (EST, CET) are refused: they ignore daylight saving rules or are ambiguous.
    /// </summary>
    public static bool IsIana(string? name) =>
        name is { Length: > 0 and <= 64 }
        && (name == "UTC" || name.Contains('/', StringComparison.Ordinal))
        && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone)
        && zone.HasIanaId;
}
