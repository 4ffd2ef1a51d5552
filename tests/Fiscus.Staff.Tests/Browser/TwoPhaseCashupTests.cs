using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>A two-phase cash-up from the app: the drawer is counted while sales go on in the next session.</summary>
public sealed class TwoPhaseCashupTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_count_started_while_selling_is_completed_with_a_noted_deficit_and_the_new_sales_stay_in_the_next_session()
    {
        await app.AddUserAsync("maud", "manager");
        await SellAsync("2.00", "before the count");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/registers/1");
        await Ui.SignInAsync(page, "maud");
        await Expect(page.GetByTestId("income-total")).ToHaveTextAsync("$2.00");

        await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Start counting") }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Complete the count" })).ToBeVisibleAsync();
        // Sales go on meanwhile, into the next session.
        await SellAsync("5.00", "during the count");
        await page.ReloadAsync();
        await Expect(page.GetByTestId("income-total")).ToHaveTextAsync("$5.00");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Complete the count" })).ToBeVisibleAsync();

        // The counted session held 2.00 of cash: a dollar coin is missing.
        await page.GetByLabel("$1.00 note").FillAsync("1");
        await Expect(page.GetByTestId("difference-CASH")).ToHaveTextAsync("deficit $1.00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Review cash-up" }).ClickAsync();
        await Expect(page.GetByText("a difference needs a note")).ToBeVisibleAsync();
        await page.GetByLabel("Note on the difference (required)").FillAsync("Coin rolled under the desk");
        await page.GetByRole(AriaRole.Button, new() { Name = "Review cash-up" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToContainTextAsync("deficit $1.00");
        await page.Keyboard.PressAsync("Enter");

        var reconciled = page.GetByTestId("reconciled-CASH");
        await Expect(reconciled).ToContainTextAsync("-$1.00");
        await Expect(reconciled).ToContainTextAsync("Coin rolled under the desk");
        // Who counted comes from the cash-up's manager embed; the summary from its summary embed.
        await Expect(page.Locator("article.cashup-summary > p").First).ToContainTextAsync("by maud");
        await Expect(page.GetByTestId("income-total")).ToHaveTextAsync("$2.00");
        var session = await app.GetJsonAsync("api/v1/cash_registers/1/session");
        Assert.Equal(5.00m, session["summary"]!["income_total"]!.GetValue<decimal>());
        Assert.True(app.ConsoleErrors.Count == 0, string.Join("\n", app.ConsoleErrors));
    }

    async Task SellAsync(string price, string description)
    {
        var response = await app.Admin.PostAsJsonAsync("api/v1/cash_registers/1/sales", new
        {
            payment_type = "CASH",
            items = new[] { new { debit_type = "PRINT", price = decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), quantity = 1, description } },
        });
        response.EnsureSuccessStatusCode();
    }
}
