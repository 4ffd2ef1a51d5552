using System.Text.RegularExpressions;

namespace Fiscus.Server.Http;

/// <summary>IANA time zone names, as a library's business day is reckoned in.</summary>
public static partial class TimeZones
{
    /// <summary>
    /// A region name such as <c>Europe/London</c> (or <c>UTC</c>). Legacy abbreviations the database still
    /// knows (EST, CET) are refused: they ignore daylight saving rules or are ambiguous. The name must be written
    /// as tzdata writes it: .NET finds <c>Europe//London</c> or <c>Europe/./London</c> (it opens the file by
    /// path), but PostgreSQL, which reckons the reports' days, does not.
    /// </summary>
    public static bool IsIana(string? name) =>
        name is { Length: > 0 and <= 64 }
        && (name == "UTC" || Canonical().IsMatch(name))
        && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone)
        && zone.HasIanaId;

    // \z, not $ (which also matches before a final newline).
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Canonical();
}
