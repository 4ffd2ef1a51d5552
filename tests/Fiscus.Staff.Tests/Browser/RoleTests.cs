using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>What the app shows follows the signed-in role; the server refuses whatever is forced.</summary>
public sealed class RoleTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_cashier_sees_no_manager_screens_and_the_api_refuses_them_when_forced()
    {
        await app.AddUserAsync("cass", "cashier");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/registers/1");
        await Ui.SignInAsync(page, "cass");

        // Signed in where the clerk meant to go; the register is readable, cashing it up is not offered.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Main desk", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("expected-cash")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cash up now" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("Start counting") })).ToHaveCountAsync(0);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link)).ToHaveTextAsync(["Counter", "Patrons", "Registers"]);

        // Forced from the page, with the session cookie: the API says no.
        var status = await page.EvaluateAsync<int>("""
            async () => (await fetch('/api/v1/cash_registers/1/cashups', {
                method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({reconciliations: [{payment_type: 'CASH', counted: 0}]})})).status
            """);
        Assert.Equal(403, status);
    }

    [Fact]
    public async Task An_expired_session_goes_back_to_sign_in_and_keeps_the_basket()
    {
        await app.AddUserAsync("cato", "cashier");
        var context = await app.Browser.NewContextAsync(new() { BaseURL = app.Address.ToString() });
        var page = await app.NewPageAsync(context);
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "cato");
        await Ui.Item(page, "Photocopy").ClickAsync();

        // The session ends elsewhere (signed out in another tab): the next call is a 401.
        var status = await page.EvaluateAsync<int>("async () => (await fetch('/api/v1/auth/logout', {method: 'POST'})).status");
        Assert.Equal(204, status);
        await page.GetByRole(AriaRole.Link, new() { Name = "Registers" }).ClickAsync();
        await Expect(page.GetByText("Your session ended")).ToBeVisibleAsync();
        await Ui.SignInAsync(page, "cato");
        await page.GetByRole(AriaRole.Link, new() { Name = "Counter" }).ClickAsync();
        await Expect(page.GetByTestId("basket-total")).ToHaveTextAsync("$0.15");
    }
}
