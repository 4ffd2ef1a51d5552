using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>The reports screen in Chromium: a sale made through the API in the tables, the chart and the CSV downloads.</summary>
public sealed class ReportTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_sale_shows_in_the_z_report_the_cash_drawer_report_and_the_chart_and_downloads_as_csv()
    {
        var sale = await app.Admin.PostAsJsonAsync("api/v1/cash_registers/1/sales", new
        {
            payment_type = "CASH",
            items = new[] { new { debit_type = "COPY", price = 0.15m, quantity = 2, description = "Photocopy" } },
        });
        sale.EnsureSuccessStatusCode();
        await app.AddUserAsync("rita", "manager");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/reports");
        await Ui.SignInAsync(page, "rita");

        // Today, in the library's zone, is the end of the default range (the last seven days).
        var today = DateOnly.FromDateTime(app.Factory.Clock.GetUtcNow().UtcDateTime);
        await Expect(page.GetByLabel("To", new() { Exact = true })).ToHaveValueAsync(Iso(today));
        await Expect(page.GetByLabel("From", new() { Exact = true })).ToHaveValueAsync(Iso(today.AddDays(-6)));
        await Expect(page.GetByLabel("Library", new() { Exact = true })).ToHaveValueAsync("MAIN");

        // The chart: the day's bar, its total and its parts.
        await Expect(page.GetByTestId("chart-payment-total")).ToHaveTextAsync("$0.30");
        await Expect(page.GetByTestId("chart-debit-total")).ToHaveTextAsync("$0.30");
        await Expect(page.GetByTestId("chart-payment").Locator("rect title")).ToHaveTextAsync($"{today:MM-dd} · Cash: $0.30");
        await Expect(page.GetByTestId("chart-debit").Locator("rect title")).ToHaveTextAsync($"{today:MM-dd} · Photocopy: $0.30");
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Income by debit type: legend" })).ToContainTextAsync("Photocopy $0.30");
        await Screenshots.SaveAsync(page, "reports");
        await page.GetByText("Income per day as a table").ClickAsync();
        await Expect(page.GetByTestId("income-range-total")).ToHaveTextAsync("$0.30");

        // The Z-report of today and the cash drawer report of the week, with their totals.
        await Expect(page.GetByTestId("z-income-total")).ToHaveTextAsync("$0.30");
        var zByDebit = page.GetByRole(AriaRole.Table, new() { Name = "Z-report by debit type" });
        await Expect(zByDebit.GetByRole(AriaRole.Row, new() { Name = "Photocopy" })).ToContainTextAsync("$0.30");
        var drawerByType = page.GetByRole(AriaRole.Table, new() { Name = "Cash drawer report by payment type" });
        await Expect(drawerByType.GetByRole(AriaRole.Row, new() { Name = "Cash" })).ToContainTextAsync("$0.30");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Movements" })).ToContainTextAsync("admin");
        await page.GetByRole(AriaRole.Heading, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Cash drawer report") }).EvaluateAsync("h => h.scrollIntoView()");
        await Screenshots.SaveAsync(page, "reports-drawer");

        // CSV: same-origin links that carry the session cookie, answered as text/csv (and saved by the browser).
        var href = await page.GetByRole(AriaRole.Link, new() { Name = "Download the Z-report (CSV)" }).GetAttributeAsync("href");
        var csv = await page.Context.APIRequest.GetAsync(new Uri(app.Address, href!).ToString());
        Assert.Equal(200, csv.Status);
        Assert.StartsWith("text/csv", csv.Headers["content-type"], StringComparison.Ordinal);
        Assert.Contains(",payment_type_in,CASH,1,0.30", await csv.TextAsync(), StringComparison.Ordinal);
        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download income per day (CSV)" }).ClickAsync());
        Assert.StartsWith("income-by-day-", download.SuggestedFilename, StringComparison.Ordinal);
        var saved = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains($"{Iso(today)},debit_type,COPY,Photocopy,1,0.30", saved, StringComparison.Ordinal);
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/reports$"));

        // Narrowed to a day with nothing: the chart says so.
        await page.GetByLabel("From", new() { Exact = true }).FillAsync(Iso(today.AddDays(-3)));
        await page.GetByLabel("To", new() { Exact = true }).FillAsync(Iso(today.AddDays(-2)));
        await page.GetByLabel("Register", new() { Exact = true }).SelectOptionAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.GetByTestId("chart-payment-total")).ToHaveTextAsync("$0.00");
        await Expect(page.GetByText("Nothing was taken in these days.").First).ToBeVisibleAsync();

        // A range that runs backwards is said next to its field.
        await page.GetByLabel("To", new() { Exact = true }).FillAsync(Iso(today.AddDays(-5)));
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.GetByText("To must be on or after From.")).ToBeVisibleAsync();
        Assert.True(app.ConsoleErrors.Count == 0, string.Join("\n", app.ConsoleErrors));
    }

    static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
