using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

// Measures what a clerk waits for in the staff app, in Debian's Chromium against a running Fiscus:
//   1. first load from a cold cache (a fresh browser profile): until the sign-in form answers, then until the counter
//      shows its items after signing in;
//   2. a checkout's round trip: from the Enter that confirms a sale to "Sale recorded" on screen, and the POST alone
//      as the browser timed it (Resource Timing).
// Each figure is printed beside its ceiling from issue 11 (3 s; 150 ms p50).
var options = Options.Parse(args);
using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = Environment.GetEnvironmentVariable("FISCUS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium",
    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
});

var signInMs = new List<double>();
var counterMs = new List<double>();
long transferBytes = 0;
for (var run = 0; run < options.Loads; run++)
{
    // A new context is a new profile: empty HTTP cache, no cookies, no storage.
    await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = options.Url });
    var page = await context.NewPageAsync();
    var clock = Stopwatch.StartNew();
    await page.GotoAsync("/");
    await page.GetByLabel("Username").WaitForAsync();
    signInMs.Add(clock.Elapsed.TotalMilliseconds);
    transferBytes = await page.EvaluateAsync<long>(
        "() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce((s, e) => s + (e.transferSize || 0), 0)");
    await page.GetByLabel("Username").FillAsync(options.User);
    await page.GetByLabel("Password").FillAsync(options.Password);
    clock.Restart();
    await page.GetByLabel("Password").PressAsync("Enter");
    await page.GetByRole(AriaRole.Group, new() { Name = "Sellable items" }).GetByRole(AriaRole.Button).First.WaitForAsync();
    counterMs.Add(signInMs[^1] + clock.Elapsed.TotalMilliseconds);
}

// Checkouts in one signed-in page, as a clerk makes them one after another.
await using var till = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = options.Url });
var counter = await till.NewPageAsync();
await counter.GotoAsync("/");
await counter.GetByLabel("Username").FillAsync(options.User);
await counter.GetByLabel("Password").FillAsync(options.Password);
await counter.GetByLabel("Password").PressAsync("Enter");
var item = counter.GetByRole(AriaRole.Group, new() { Name = "Sellable items" }).GetByRole(AriaRole.Button).First;
await item.WaitForAsync();
var screenMs = new List<double>();
var postMs = new List<double>();
for (var sale = 0; sale < options.Checkouts + 3; sale++)
{
    await item.ClickAsync();
    await counter.GetByLabel("Amount tendered").FillAsync("");
    await counter.GetByLabel("Amount tendered").PressAsync("Enter");
    await counter.GetByRole(AriaRole.Alertdialog).WaitForAsync();
    await counter.EvaluateAsync("() => performance.clearResourceTimings()");
    var clock = Stopwatch.StartNew();
    await counter.Keyboard.PressAsync("Enter");
    await counter.GetByRole(AriaRole.Heading, new() { Name = "Sale recorded" }).WaitForAsync();
    var onScreen = clock.Elapsed.TotalMilliseconds;
    var post = await counter.EvaluateAsync<double>(
        "() => { const e = performance.getEntriesByType('resource').filter(r => /\\/sales$/.test(r.name)).pop(); return e ? e.duration : -1; }");
    if (sale >= 3)
    {
        // The first few warm the JIT of the server and the interpreter of the app.
        screenMs.Add(onScreen);
        postMs.Add(post);
    }
    await counter.GetByRole(AriaRole.Button, new() { Name = "New sale" }).ClickAsync();
}

Console.WriteLine($"Staff app in Chromium against {options.Url} ({Environment.ProcessorCount} cores)");
Console.WriteLine($"  first load, cold cache ({options.Loads} fresh profiles), app transferred {transferBytes / 1024.0 / 1024.0:F1} MiB:");
Console.WriteLine($"    sign-in form ready      median {Median(signInMs),7:F0} ms   max {signInMs.Max(),7:F0} ms");
Console.WriteLine($"    counter ready (+signin)  median {Median(counterMs),7:F0} ms   max {counterMs.Max(),7:F0} ms   ceiling 3000 ms");
Console.WriteLine($"  checkout round trip ({options.Checkouts} sales, one after another):");
Console.WriteLine($"    confirm to receipt       p50 {Percentile(screenMs, 50),7:F0} ms   p95 {Percentile(screenMs, 95),7:F0} ms   ceiling p50 150 ms");
Console.WriteLine($"    POST .../sales alone      p50 {Percentile(postMs, 50),7:F0} ms   p95 {Percentile(postMs, 95),7:F0} ms");
return;

static double Median(List<double> values) => Percentile(values, 50);

static double Percentile(List<double> values, int p)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

sealed record Options(string Url, string User, string Password, int Loads, int Checkouts)
{
    public static Options Parse(string[] args)
    {
        string Value(string name, string fallback) =>
            Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        return new Options(Value("--url", "http://127.0.0.1:5090/"), Value("--user", "admin"), Value("--password", ""),
            int.Parse(Value("--loads", "5"), CultureInfo.InvariantCulture), int.Parse(Value("--checkouts", "30"), CultureInfo.InvariantCulture));
    }
}
