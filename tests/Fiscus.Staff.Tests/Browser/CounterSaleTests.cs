using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>The POS seed's test plan through the staff app, in Chromium, against the real server.</summary>
public sealed class CounterSaleTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_sale_without_a_patron_shows_in_its_register_session_and_is_cashed_up_by_denomination()
    {
        await app.AddUserAsync("mona", "manager");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/");
        await Screenshots.SaveAsync(page, "sign-in");
        await Ui.SignInAsync(page, "mona");

        // Counter: two photocopies (0.15 each) by keyboard and by click, paid with 1.00 cash.
        await Expect(page).ToHaveURLAsync(new Regex("/counter$"));
        await Expect(page.GetByLabel("Find an item")).ToBeFocusedAsync();
        await page.GetByLabel("Find an item").FillAsync("photo");
        await page.GetByLabel("Find an item").PressAsync("Enter");
        await Expect(page.GetByTestId("basket-total")).ToHaveTextAsync("$0.15");
        await Ui.Item(page, "Photocopy").ClickAsync();
        await Expect(page.GetByTestId("basket-total")).ToHaveTextAsync("$0.30");
        await Expect(page.GetByLabel("Quantity of Photocopy")).ToHaveValueAsync("2");
        await page.GetByLabel("Amount tendered").FillAsync("1.00");
        await Expect(page.GetByTestId("change-due")).ToHaveTextAsync("$0.70");
        await Screenshots.SaveAsync(page, "counter");
        await Ui.TakeCashAsync(page, "1.00");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sale recorded" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("change-given")).ToHaveTextAsync("$0.70");
        var receipt = page.GetByTestId("receipt");
        await Expect(receipt).ToContainTextAsync("Main library");
        await Expect(receipt).ToContainTextAsync("Register: Main desk");
        await Expect(receipt).ToContainTextAsync("Served by: mona");
        await Expect(receipt).ToContainTextAsync("2 × Photocopy");
        await Screenshots.SaveAsync(page, "receipt");
        var saleId = await page.GetByTestId("receipt-number").InnerTextAsync();

        // The register's daily total shows it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Registers" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("Main desk") });
        await Expect(row).ToContainTextAsync("$0.30");
        await Expect(row).ToContainTextAsync("$100.30");
        await Screenshots.SaveAsync(page, "registers");
        await page.GetByRole(AriaRole.Link, new() { Name = "Main desk" }).ClickAsync();
        await Expect(page.GetByTestId("income-total")).ToHaveTextAsync("$0.30");
        await Expect(page.GetByTestId("expected-cash")).ToHaveTextAsync("$100.30");
        await page.GetByRole(AriaRole.Link, new() { Name = $"Receipt {saleId}" }).ClickAsync();
        await Expect(page.GetByTestId("receipt")).ToContainTextAsync("2 × Photocopy");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Reprint" })).ToBeVisibleAsync();
        await page.GoBackAsync();

        // Cash it up: the takings are a quarter and a nickel; the float stays aside.
        await page.GetByRole(AriaRole.Button, new() { Name = "Cash up now" }).ClickAsync();
        await page.GetByLabel("$0.25 coin").FillAsync("1");
        await page.GetByLabel("$0.05 coin").FillAsync("1");
        await Expect(page.GetByTestId("count-CASH-counted")).ToHaveTextAsync("$0.30");
        await Expect(page.GetByTestId("difference-CASH")).ToHaveTextAsync("balanced");
        await Screenshots.SaveAsync(page, "cashup");
        await page.GetByRole(AriaRole.Button, new() { Name = "Review cash-up" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm cash-up" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("^Cash-up \\d+: Main desk") })).ToBeVisibleAsync();
        var reconciled = page.GetByTestId("reconciled-CASH");
        await Expect(reconciled).ToContainTextAsync("$0.30");
        await Expect(page.GetByTestId("income-total")).ToHaveTextAsync("$0.30");
        await Screenshots.SaveAsync(page, "cashup-summary");

        // And the API agrees: the register's new session is empty, the cash-up holds the sale.
        var session = await app.GetJsonAsync("api/v1/cash_registers/1/session");
        Assert.Equal(0, session["summary"]!["line_count"]!.GetValue<long>());
        Assert.True(app.ConsoleErrors.Count == 0, string.Join("\n", app.ConsoleErrors));
    }
}
