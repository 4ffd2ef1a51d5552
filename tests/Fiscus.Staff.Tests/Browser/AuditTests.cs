using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>
/// The audit screen in Chromium: a manager asks "every void and refund my staff made" and gets them with who, how much and
/// why, the failed sign-ins apart, one person's entries by a click, and the CSV; a cashier is shown no audit.
/// </summary>
public sealed class AuditTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_manager_finds_every_void_and_refund_with_who_how_much_and_why_and_downloads_them()
    {
        await app.AddUserAsync("carl", "cashier");
        await app.AddUserAsync("mona", "manager");
        await app.AddUserAsync("otto", "manager");
        var carl = await app.BearerAsync("carl", StaffAppServer.Password);
        var mona = await app.BearerAsync("mona", StaffAppServer.Password);
        var patron = await JsonAsync(app.Admin, "api/v1/patrons", new { cardnumber = "A-100", surname = "Auditee", library_id = "MAIN" });
        var patronId = patron["patron_id"]!.GetValue<long>();
        await JsonAsync(app.Admin, $"api/v1/patrons/{patronId}/account/debits", new { amount = 20m, type = "MANUAL" });
        var voided = await JsonAsync(carl, $"api/v1/patrons/{patronId}/account/credits", new { amount = 4m, payment_type = "CARD" });
        var refunded = await JsonAsync(carl, $"api/v1/patrons/{patronId}/account/credits", new { amount = 6m, payment_type = "CARD" });
        await JsonAsync(mona, $"api/v1/patrons/{patronId}/account/credits/{voided["account_line_id"]}/void", new { note = "keyed twice" });
        await JsonAsync(mona, $"api/v1/patrons/{patronId}/account/credits/{refunded["account_line_id"]}/refund",
            new { amount = 2.50m, payout_type = "CARD", note = "overcharged" });
        using (var anonymous = new HttpClient { BaseAddress = app.Address })
        {
            var wrong = await anonymous.PostAsJsonAsync("api/v1/auth/login", new { username = "carl", password = "not-carls-password" });
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        var page = await app.NewPageAsync();
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "otto");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        var entries = page.GetByRole(AriaRole.Table, new() { Name = "Audit entries" });
        await Expect(entries).ToContainTextAsync("Took a payment or credit");

        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Voids" }).CheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Refunds" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();

        await Expect(page.GetByTestId("audit-count")).ToHaveTextAsync("2 entries");
        var rows = entries.Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToContainTextAsync("Refunded a payment");
        await Expect(rows.Nth(0)).ToContainTextAsync("mona");
        await Expect(rows.Nth(0)).ToContainTextAsync("$2.50");
        await Expect(rows.Nth(0)).ToContainTextAsync("overcharged");
        await Expect(rows.Nth(0).GetByRole(AriaRole.Link, new() { Name = $"{patronId}" })).ToHaveAttributeAsync("href", $"patrons/{patronId}");
        await Expect(rows.Nth(1)).ToContainTextAsync("Voided a payment");
        await Expect(rows.Nth(1)).ToContainTextAsync("$4.00");
        await Expect(rows.Nth(1)).ToContainTextAsync("keyed twice");
        await Screenshots.SaveAsync(page, "audit");

        // The same entries as CSV, through a same-origin link that carries the session cookie.
        var href = await page.GetByRole(AriaRole.Link, new() { Name = "Download as CSV" }).GetAttributeAsync("href");
        Assert.Contains("category=voids%2Crefunds", href, StringComparison.Ordinal);
        var csv = await page.Context.APIRequest.GetAsync(new Uri(app.Address, href!).ToString());
        Assert.Equal(200, csv.Status);
        var lines = (await csv.TextAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(",account.refund,refunds,", lines[1], StringComparison.Ordinal);
        Assert.Contains(",2.50,overcharged,", lines[1], StringComparison.Ordinal);
        Assert.Contains(",account.void,voids,", lines[2], StringComparison.Ordinal);

        // Failed sign-ins: nobody was signed in, so the address and the name that was tried.
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Voids" }).UncheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Refunds" }).UncheckAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Failed sign-ins" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Nth(0)).ToContainTextAsync("Failed sign-in");
        await Expect(rows.Nth(0)).ToContainTextAsync("as ‘carl’");

        // One person's entries, by a click on their name: carl's failed sign-in and everything carl did.
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "Failed sign-ins" }).UncheckAsync();
        await rows.Nth(0).GetByRole(AriaRole.Button).ClickAsync();
        await Expect(page.GetByLabel("Staff member or client")).ToHaveValueAsync("carl");
        await Expect(rows.Locator("th[scope=row]")).ToContainTextAsync(["Failed sign-in", "Took a payment or credit", "Took a payment or credit", "Signed in"]);

        // A day range that runs backwards is said beside its field, and nothing is asked.
        var today = await page.GetByLabel("To", new() { Exact = true }).InputValueAsync();
        await page.GetByLabel("From", new() { Exact = true }).FillAsync(DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture).AddDays(1)
            .ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page.GetByText("To must be on or after From.")).ToBeVisibleAsync();
        Assert.True(app.ConsoleErrors.Count == 0, string.Join("\n", app.ConsoleErrors));
    }

    [Fact]
    public async Task A_cashier_is_offered_no_audit_and_the_api_refuses_it_when_forced()
    {
        await app.AddUserAsync("cora", "cashier");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/audit");
        await Ui.SignInAsync(page, "cora");

        await Expect(page.GetByText("The audit log is for managers")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Audit" })).ToHaveCountAsync(0);
        var status = await page.EvaluateAsync<int>("async () => (await fetch('/api/v1/audit')).status");
        Assert.Equal(403, status);
    }

    static async Task<JsonNode> JsonAsync(HttpClient http, string path, object body)
    {
        var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
