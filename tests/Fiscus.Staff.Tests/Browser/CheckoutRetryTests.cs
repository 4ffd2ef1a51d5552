using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>
/// Never charges twice: the answer to a checkout is lost after the server recorded the sale (the connection is reset on
/// its way back), and the app asks again with the same Idempotency-Key, on its own or after a reload of the page.
/// </summary>
public sealed class CheckoutRetryTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_checkout_whose_answer_is_lost_is_sent_again_with_its_key_and_recorded_once()
    {
        await app.AddUserAsync("cal", "cashier");
        var page = await app.NewPageAsync();
        var sales = await SalesAsync();
        var keys = await LoseAnswersAsync(page, attempt => attempt <= 2);
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "cal");
        await Ui.Item(page, "Printing").ClickAsync();
        await Ui.TakeCashAsync(page, "");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sale recorded" })).ToBeVisibleAsync();
        Assert.Equal(3, keys.Count);
        Assert.Single(keys.Distinct());
        Assert.Equal(sales + 1, await SalesAsync());
    }

    [Fact]
    public async Task A_reload_in_the_middle_of_a_checkout_keeps_the_basket_and_resumes_it_with_the_same_key()
    {
        await app.AddUserAsync("cleo", "cashier");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "cleo");
        await Ui.Item(page, "Photocopy").ClickAsync();
        await Ui.Item(page, "Photocopy").ClickAsync();
        await Ui.Item(page, "Printing").ClickAsync();

        // The basket survives a reload.
        await page.ReloadAsync();
        await Expect(page.GetByTestId("basket-total")).ToHaveTextAsync("$0.40");

        var sales = await SalesAsync();
        var letThrough = false;
        var keys = await LoseAnswersAsync(page, _ => !letThrough);
        await Ui.TakeCashAsync(page, "5");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "connection dropped" })).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "checkout-retrying");

        // The clerk reloads while the app is still retrying: the checkout was stored with its key before it was sent.
        letThrough = true;
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sale recorded" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("change-given")).ToHaveTextAsync("$4.60");
        Assert.True(keys.Count >= 2);
        Assert.Single(keys.Distinct());
        Assert.Equal(sales + 1, await SalesAsync());

        // The next sale starts from an empty basket with a new key.
        await page.GetByRole(AriaRole.Button, new() { Name = "New sale" }).ClickAsync();
        await Expect(page.GetByTestId("basket-total")).ToHaveTextAsync("$0.00");
    }

    /// <summary>
    /// Every sale the page sends goes to the server, which records it; when <paramref name="lose"/> says so for that attempt
    /// (1, 2, ...), its answer is then lost (the connection reset on the way back). Returns the keys the attempts carried.
    /// </summary>
    static async Task<List<string>> LoseAnswersAsync(IPage page, Func<int, bool> lose)
    {
        var keys = new List<string>();
        await page.RouteAsync("**/api/v1/cash_registers/*/sales", async route =>
        {
            if (route.Request.Method != "POST")
            {
                await route.ContinueAsync();
                return;
            }
            keys.Add(route.Request.Headers["idempotency-key"]);
            if (lose(keys.Count))
            {
                await route.FetchAsync();
                await route.AbortAsync("connectionreset");
                return;
            }
            await route.ContinueAsync();
        });
        return keys;
    }

    async Task<int> SalesAsync() =>
        (await app.Admin.GetFromJsonAsync<JsonArray>("api/v1/cash_registers/1/sales?_per_page=1000"))!.Count;
}
