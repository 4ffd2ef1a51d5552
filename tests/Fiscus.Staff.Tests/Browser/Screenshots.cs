using Microsoft.Playwright;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>
/// Screenshots of the main screens, saved with the test results (<c>.fiscus/test-results/screenshots</c>, or
/// FISCUS_SCREENSHOTS): small PNGs of the viewport, for a person to look at and for the README.
/// </summary>
public static class Screenshots
{
    public static string Directory { get; } = Resolve();

    public static async Task SaveAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = System.IO.Path.Combine(Directory, name + ".png"), FullPage = false });
    }

    static string Resolve()
    {
        if (Environment.GetEnvironmentVariable("FISCUS_SCREENSHOTS") is { Length: > 0 } configured)
        {
            return configured;
        }
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Fiscus.slnx")))
        {
            directory = directory.Parent;
        }
        return System.IO.Path.Combine(directory?.FullName ?? AppContext.BaseDirectory, ".fiscus", "test-results", "screenshots");
    }
}
