using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>What a clerk does often, in words a screen reader would use (roles and accessible names).</summary>
public static class Ui
{
    public static async Task SignInAsync(IPage page, string username, string password = StaffAppServer.Password)
    {
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Fiscus" })).ToBeVisibleAsync();
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByLabel("Password").PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
    }

    public static ILocator Item(IPage page, string description) =>
        page.GetByRole(AriaRole.Group, new() { Name = "Sellable items" })
            .GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^" + Regex.Escape(description)) });

    /// <summary>Fills in the tender, reviews and confirms the payment, with the keyboard only.</summary>
    public static async Task TakeCashAsync(IPage page, string tendered)
    {
        await page.GetByLabel("Amount tendered").FillAsync(tendered);
        await page.GetByLabel("Amount tendered").PressAsync("Enter");
        // The Enter that opened the confirmation must not have confirmed it: the dialog waits, focused, for the next one.
        var dialog = page.GetByRole(AriaRole.Alertdialog);
        await Expect(dialog).ToBeFocusedAsync();
        await Expect(dialog).ToContainTextAsync("Take $");
        await page.Keyboard.PressAsync("Enter");
    }
}
