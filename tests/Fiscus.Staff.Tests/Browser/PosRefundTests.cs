using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>A manager refunds a sold item from the sale's receipt: a note is required, the cash leaves that register.</summary>
public sealed class PosRefundTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_manager_refunds_a_sold_item_with_a_note_and_the_payout_leaves_the_register()
    {
        await app.AddUserAsync("meg", "manager");
        var response = await app.Admin.PostAsJsonAsync("api/v1/cash_registers/1/sales", new
        {
            payment_type = "CASH",
            items = new[] { new { debit_type = "PRINT", price = 3.00m, quantity = 1, description = "Colour poster" } },
        });
        response.EnsureSuccessStatusCode();
        var saleId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["sale_id"]!.GetValue<long>();

        var page = await app.NewPageAsync();
        await page.GotoAsync($"/registers/1/sales/{saleId}");
        await Ui.SignInAsync(page, "meg");
        await Expect(page.GetByTestId("receipt")).ToContainTextAsync("Colour poster");
        await page.GetByRole(AriaRole.Button, new() { Name = "Refund Colour poster" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog.GetByLabel("Note (required)")).ToBeFocusedAsync();
        await dialog.GetByLabel("Amount (empty: all that is left to refund)").FillAsync("1.25");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Refund", Exact = true }).ClickAsync();
        await Expect(dialog.GetByText("Say why")).ToBeVisibleAsync();

        await dialog.GetByLabel("Note (required)").FillAsync("Printed off-centre");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Refund", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Refunded $1.25" })).ToBeVisibleAsync();

        var session = await app.GetJsonAsync("api/v1/cash_registers/1/session");
        Assert.Equal(101.75m, session["summary"]!["expected_cash_in_drawer"]!.GetValue<decimal>());
        Assert.Contains(session["lines"]!.AsArray(), l => l!["debit_type"]?.GetValue<string>() == "PAYOUT");
    }
}
