using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>
/// A shift left open overnight, closed by a manager with a count and their own password. A class of its own: it moves
/// the server's clock a day on, which ends every session signed in before (the fixture's admin's too).
/// </summary>
public sealed class StaleShiftCloseTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_manager_closes_a_shift_left_open_since_yesterday_with_a_count()
    {
        var register = await app.AddRegisterAsync("Late desk");
        await app.AddUserAsync("stan", "cashier");
        await app.AddUserAsync("mick", "manager");

        // Yesterday: the cashier starts with $50.00, pays $5.00 in, and goes home without ending the shift.
        using (var till = await app.BearerAsync("stan", StaffAppServer.Password))
        {
            (await till.PostAsJsonAsync("api/v1/shifts/start", new { start_cash = 5000, password = StaffAppServer.Password, cash_register_id = register }))
                .EnsureSuccessStatusCode();
            (await till.PostAsJsonAsync("api/v1/shifts/cash-transaction", new { type = "cash_in", amount = 500, category = "deposit" }))
                .EnsureSuccessStatusCode();
        }
        app.Factory.Clock.Advance(TimeSpan.FromHours(25));

        var page = await app.NewPageAsync();
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "mick");
        await page.GetByRole(AriaRole.Link, new() { Name = "Shifts left open" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("stan") });
        await Expect(row).ToContainTextAsync("Late desk");
        await Expect(row).ToContainTextAsync("$55.00");

        await page.GetByRole(AriaRole.Button, new() { Name = "Close the shift of stan" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Close the shift of stan" })).ToBeVisibleAsync();
        await page.GetByLabel("$50.00 note").FillAsync("1");
        await page.GetByLabel("$2.00 note").FillAsync("2");
        await Expect(page.GetByTestId("close-expected")).ToHaveTextAsync("$55.00");
        await Expect(page.GetByTestId("close-difference")).ToHaveTextAsync("deficit $1.00");
        await page.GetByLabel("Your own password").FillAsync(StaffAppServer.Password);
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await Screenshots.SaveAsync(page, "shift-stale");
        await page.GetByLabel("Your own password").PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Alertdialog);
        await Expect(dialog).ToBeFocusedAsync();
        await Expect(dialog).ToContainTextAsync("Close the shift of stan at Late desk: counted $54.00, expected $55.00, deficit $1.00");
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Closed the shift of stan at Late desk" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("closed-actual-end")).ToHaveTextAsync("$54.00");
        await Expect(page.GetByTestId("closed-difference")).ToHaveTextAsync("deficit $1.00");
        // Against the register's books (no float, nothing before the shift): the $50.00 declared at the start was never in them.
        await Expect(page.GetByTestId("closed-opening-difference")).ToHaveTextAsync("surplus $50.00");
        await Expect(page.GetByTestId("closed-books-difference")).ToHaveTextAsync("surplus $49.00");
        await Expect(page.GetByText("No shift is left open.")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "shift-stale-closed");

        // The API agrees (a fresh sign-in: the day moved on).
        using var manager = await app.BearerAsync("mick", StaffAppServer.Password);
        var stale = await manager.GetFromJsonAsync<JsonObject>("api/v1/shifts/stale");
        Assert.Empty(stale!["data"]!.AsArray());
        Assert.True(app.ConsoleErrors.Count == 0, string.Join("\n", app.ConsoleErrors));
    }
}
