using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>A patron's account at the desk: pay some charges oldest first, and a manager's corrections with their notes.</summary>
public sealed class PatronAccountTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_patron_pays_two_of_three_fines_oldest_first_and_gets_a_receipt()
    {
        var (patronId, card) = await PatronAsync("Okafor");
        var first = await ChargeAsync(patronId, "1.50", "Overdue: The Hobbit");
        var second = await ChargeAsync(patronId, "2.25", "Overdue: Dune");
        var third = await ChargeAsync(patronId, "4.00", "Lost card");
        await app.AddUserAsync("pat", "cashier");

        var page = await app.NewPageAsync();
        await page.GotoAsync("/patrons");
        await Ui.SignInAsync(page, "pat");
        await page.GetByLabel("Card number or surname").FillAsync(card);
        await page.GetByLabel("Card number or surname").PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("^Okafor") })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("balance")).ToHaveTextAsync("$7.75");
        var owed = page.GetByRole(AriaRole.Table, new() { Name = "Outstanding charges" });
        await Expect(owed.GetByRole(AriaRole.Row)).ToHaveCountAsync(4);
        await Expect(owed.GetByRole(AriaRole.Row).Nth(1)).ToContainTextAsync("The Hobbit");
        await Expect(owed.GetByRole(AriaRole.Row).Nth(3)).ToContainTextAsync("Lost card");

        // Everything is ticked at first; the patron pays the two fines, not the lost card.
        await page.GetByLabel("Pay Lost card $4.00").UncheckAsync();
        await Expect(page.GetByLabel("Amount", new() { Exact = true })).ToHaveValueAsync("3.75");
        await page.GetByLabel("Payment type").SelectOptionAsync("CASH");
        await page.GetByLabel("Amount tendered").FillAsync("5");
        await Screenshots.SaveAsync(page, "patron-account");
        await page.GetByLabel("Amount tendered").PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Alertdialog);
        await Expect(dialog).ToBeFocusedAsync();
        await Expect(dialog).ToContainTextAsync("Take $3.75 by Cash from Okafor");
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Payment recorded" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("change-given")).ToHaveTextAsync("$1.25");
        var receipt = page.GetByTestId("receipt");
        await Expect(receipt).ToContainTextAsync("Overdue: The Hobbit");
        await Expect(receipt).ToContainTextAsync("1.50");
        await Expect(receipt).ToContainTextAsync("Overdue: Dune");
        await Expect(receipt).ToContainTextAsync("2.25");
        await Expect(receipt).Not.ToContainTextAsync("Lost card");
        await Expect(receipt).ToContainTextAsync("Register: Main desk");
        await Expect(page.GetByTestId("receipt-balance")).ToHaveTextAsync("$4.00");
        await Screenshots.SaveAsync(page, "patron-receipt");

        Assert.Equal(0m, await OutstandingAsync(patronId, first));
        Assert.Equal(0m, await OutstandingAsync(patronId, second));
        Assert.Equal(4.00m, await OutstandingAsync(patronId, third));
        var session = await app.GetJsonAsync("api/v1/cash_registers/1/session");
        Assert.Contains(session["lines"]!.AsArray(), l => l!["credit_type"]?.GetValue<string>() == "PAYMENT" &&
            l["patron_id"]?.GetValue<long>() == patronId && l["amount"]!.GetValue<decimal>() is -3.75m or 3.75m);
        Assert.True(app.ConsoleErrors.Count == 0, string.Join("\n", app.ConsoleErrors));
    }

    [Fact]
    public async Task A_manager_writes_off_a_charge_only_with_a_note_and_a_cashier_is_not_offered_it()
    {
        var (patronId, card) = await PatronAsync("Lindqvist");
        var charge = await ChargeAsync(patronId, "3.00", "Damaged item");
        await app.AddUserAsync("cory", "cashier");
        await app.AddUserAsync("mads", "manager");

        var cashier = await app.NewPageAsync();
        await cashier.GotoAsync($"/patrons/{patronId}");
        await Ui.SignInAsync(cashier, "cory");
        await Expect(cashier.GetByTestId("balance")).ToHaveTextAsync("$3.00");
        await Expect(cashier.GetByRole(AriaRole.Button, new() { Name = "Write off" })).ToHaveCountAsync(0);

        var page = await app.NewPageAsync();
        await page.GotoAsync($"/patrons/{patronId}");
        await Ui.SignInAsync(page, "mads");
        await page.GetByRole(AriaRole.Button, new() { Name = "Write off" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog.GetByLabel("Note (required)")).ToBeFocusedAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Write it off" }).ClickAsync();
        await Expect(dialog.GetByText("Say why")).ToBeVisibleAsync();
        Assert.Equal(3.00m, await OutstandingAsync(patronId, charge));

        await dialog.GetByLabel("Note (required)").FillAsync("Returned undamaged after all");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Write it off" }).ClickAsync();
        await Expect(page.GetByTestId("balance")).ToHaveTextAsync("$0.00");
        Assert.Equal(0m, await OutstandingAsync(patronId, charge));
        var credits = await app.GetJsonAsync($"api/v1/patrons/{patronId}/account/credits");
        Assert.Contains(credits.AsArray(), c => c!["type"]!.GetValue<string>() == "WRITEOFF");
        await Screenshots.SaveAsync(page, "patron-history");
    }

    async Task<(long Id, string Card)> PatronAsync(string surname)
    {
        var card = "C" + Guid.NewGuid().ToString("N")[..10];
        var response = await app.Admin.PostAsJsonAsync("api/v1/patrons", new { cardnumber = card, surname, firstname = "Ada", library_id = "MAIN" });
        response.EnsureSuccessStatusCode();
        return ((await response.Content.ReadFromJsonAsync<JsonObject>())!["patron_id"]!.GetValue<long>(), card);
    }

    async Task<long> ChargeAsync(long patronId, string amount, string description)
    {
        // A minute apart, so "oldest first" has an order to show.
        app.Factory.Clock.Advance(TimeSpan.FromMinutes(1));
        var response = await app.Admin.PostAsJsonAsync($"api/v1/patrons/{patronId}/account/debits",
            new { amount = decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), type = "MANUAL", description });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["account_line_id"]!.GetValue<long>();
    }

    async Task<decimal> OutstandingAsync(long patronId, long debitId) =>
        (await app.GetJsonAsync($"api/v1/patrons/{patronId}/account/debits/{debitId}"))["amount_outstanding"]!.GetValue<decimal>();
}
