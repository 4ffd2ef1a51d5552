using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>A cashier's shift in Chromium: start with a counted float, cash in and out, end with a count and the difference.</summary>
public sealed class ShiftTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    /// <summary>
    /// Chromium logs every 4xx as a console error: the wrong password asked again and the cash out a cashier forces are
    /// meant; anything else (a CSP violation, a crash) is not.
    /// </summary>
    void AssertNoConsoleErrors()
    {
        string[] meant = ["status of 401 (Unauthorized) (http://" + app.Address.Authority + "/api/v1/shifts/start",
            "status of 403 (Forbidden) (http://" + app.Address.Authority + "/api/v1/shifts/cash-transaction"];
        var unexpected = app.ConsoleErrors.Where(e => !meant.Any(m => e.Contains(m, StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }

    [Fact]
    public async Task A_shift_from_start_to_end_with_a_cash_out_shows_the_difference()
    {
        // Cash out is money leaving the drawer (refunds:write): a manager at the till runs this shift.
        await app.AddUserAsync("maya", "manager");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/shift");
        await Ui.SignInAsync(page, "maya");

        // Start: the register the counter would use, the float counted by denomination ($100), the password again.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Start a shift" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Register")).ToHaveValueAsync("1");
        await page.GetByLabel("$20.00 note").FillAsync("4");
        await page.GetByLabel("$10.00 note").FillAsync("2");
        await Expect(page.GetByTestId("float-counted")).ToHaveTextAsync("$100.00");
        await page.GetByLabel("Your password").FillAsync("not my password");
        await page.GetByLabel("Your password").PressAsync("Enter");
        // A wrong password is said next to the field, and the session is not lost for it.
        await Expect(page.GetByText("That is not your password.")).ToBeVisibleAsync();
        await page.GetByLabel("Your password").FillAsync(StaffAppServer.Password);
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await Screenshots.SaveAsync(page, "shift-start");
        await page.GetByLabel("Your password").PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("^Open at Main desk since") })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("expected-cash")).ToHaveTextAsync("$100.00");
        // The $100.00 counted is what the register's books say its drawer holds (its float).
        await Expect(page.GetByTestId("opening-difference")).ToHaveTextAsync("balanced");
        await Expect(page.GetByTestId("opening-warning")).ToHaveCountAsync(0);

        // A cash sale at the shift's register is cash the drawer should hold.
        var sale = await app.Admin.PostAsJsonAsync("api/v1/cash_registers/1/sales", new { debit_type = "PRINT", amount = 2.00m, payment_type = "CASH" });
        sale.EnsureSuccessStatusCode();

        // Cash out, by keyboard: Enter reviews, the next Enter confirms.
        await page.GetByLabel("Cash out").CheckAsync();
        await page.GetByLabel("Amount").FillAsync("5");
        await page.GetByLabel("Category").FillAsync("expense");
        await page.GetByLabel("Description (optional)").FillAsync("Stamps");
        await page.GetByLabel("Description (optional)").PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Alertdialog);
        await Expect(dialog).ToBeFocusedAsync();
        await Expect(dialog).ToContainTextAsync("Take $5.00 out of the drawer (expense)?");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("cash-recorded")).ToHaveTextAsync("Recorded: $5.00 paid out (expense).");
        await Expect(page.GetByTestId("expected-cash")).ToHaveTextAsync("$97.00");
        var transactions = page.GetByRole(AriaRole.Table, new() { Name = "Cash paid in and out" });
        await Expect(transactions).ToContainTextAsync("Stamps");
        await Expect(transactions).ToContainTextAsync("-$5.00");
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await Screenshots.SaveAsync(page, "shift");

        // End: $96 counted against $97 expected; the difference shows before confirming and in the result.
        await page.GetByLabel("$50.00 note").FillAsync("1");
        await page.GetByLabel("$20.00 note").FillAsync("2");
        await page.GetByLabel("$5.00 note").FillAsync("1");
        await page.GetByLabel("$1.00 note").FillAsync("1");
        await Expect(page.GetByTestId("end-counted")).ToHaveTextAsync("$96.00");
        await Expect(page.GetByTestId("end-difference")).ToHaveTextAsync("deficit $1.00");
        await page.GetByLabel("Your password").FillAsync(StaffAppServer.Password);
        await page.GetByLabel("Your password").PressAsync("Enter");
        await Expect(dialog).ToBeFocusedAsync();
        await Expect(dialog).ToContainTextAsync("counted $96.00, expected $97.00, deficit $1.00");
        await page.GetByRole(AriaRole.Heading, new() { Name = "End your shift" }).EvaluateAsync("h => h.scrollIntoView()");
        await Screenshots.SaveAsync(page, "shift-end");
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Shift ended at Main desk" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("expected-end")).ToHaveTextAsync("$97.00");
        await Expect(page.GetByTestId("actual-end")).ToHaveTextAsync("$96.00");
        await Expect(page.GetByTestId("difference")).ToHaveTextAsync("deficit $1.00");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start another shift" })).ToBeFocusedAsync();
        await Screenshots.SaveAsync(page, "shift-ended");

        // The API agrees: the shift is closed with that difference, and the cash out left the register's drawer.
        var today = DateOnly.FromDateTime(app.Factory.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd");
        var report = await app.GetJsonAsync($"api/v1/reports/shifts?from={today}&cash_register_id=1");
        var shift = Assert.Single(report["shifts"]!.AsArray())!;
        Assert.Equal(("closed", -1.00m, 5.00m), (shift["status"]!.GetValue<string>(), shift["difference"]!.GetValue<decimal>(), shift["cash_out"]!.GetValue<decimal>()));
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_cashier_pays_cash_in_but_is_offered_no_cash_out_and_told_why()
    {
        var register = await app.AddRegisterAsync("Side desk");
        await app.AddUserAsync("cass", "cashier");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "cass");
        await page.GetByRole(AriaRole.Link, new() { Name = "My shift" }).ClickAsync();

        await page.GetByLabel("Register").SelectOptionAsync(register.ToString());
        await page.GetByLabel("$20.00 note").FillAsync("1");
        await page.GetByLabel("Your password").FillAsync(StaffAppServer.Password);
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Start the shift") }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("^Open at Side desk since") })).ToBeVisibleAsync();

        // No cash out for a cashier: the page says who pays it.
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Cash out" })).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("cash-out-help")).ToContainTextAsync("Cash out is paid by a manager");
        // Forced from the page, with the session cookie, the API refuses it too.
        var status = await page.EvaluateAsync<int>("""
            async () => (await fetch('/api/v1/shifts/cash-transaction', {
                method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({type: 'cash_out', amount: 100, category: 'expense'})})).status
            """);
        Assert.Equal(403, status);

        // Cash in works; a bad amount is said next to its field first.
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "Cash in" })).ToBeCheckedAsync();
        await page.GetByLabel("Amount").FillAsync("2.345");
        await page.GetByLabel("Category").FillAsync("deposit");
        await page.GetByRole(AriaRole.Button, new() { Name = "Review: pay cash in" }).ClickAsync();
        await Expect(page.GetByText("USD has 2 decimals at most.")).ToBeVisibleAsync();
        await page.GetByLabel("Amount").FillAsync("10");
        await page.GetByLabel("Amount").PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToContainTextAsync("Put $10.00 into the drawer (deposit)?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await Expect(page.GetByTestId("cash-recorded")).ToHaveTextAsync("Recorded: $10.00 paid in (deposit).");
        await Expect(page.GetByTestId("expected-cash")).ToHaveTextAsync("$30.00");
        // Side desk has no float: the $20.00 counted at the start is more than its books, and the cashier is told so.
        await Expect(page.GetByTestId("opening-warning")).ToContainTextAsync("$20.00 more than the register’s books");
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await Screenshots.SaveAsync(page, "shift-cashier");
        AssertNoConsoleErrors();
    }
}
