namespace Fiscus.Staff.Tests.Browser;

/// <summary>Debian's Chromium (./test installs it when missing); FISCUS_CHROMIUM points elsewhere.</summary>
public static class Chromium
{
    public static string Path => Environment.GetEnvironmentVariable("FISCUS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
}
