using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>
/// A hostile review's finds, kept as tests: a stored checkout must never be sent under another clerk's session, never
/// after its key may have been forgotten, and a sign-out that did not reach Fiscus must not look like one.
/// </summary>
public sealed class PendingWriteSafetyTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_checkout_retrying_when_its_clerk_signs_out_is_not_sent_under_the_next_clerk_and_is_recorded_once()
    {
        await app.AddUserAsync("amy", "cashier");
        var benId = await app.AddUserAsync("ben", "cashier");
        var page = await app.NewPageAsync();
        var before = await SalesAsync();
        var letThrough = false;
        var sent = new List<(string Key, string? Cookie)>();
        await page.RouteAsync("**/api/v1/cash_registers/*/sales", async route =>
        {
            if (route.Request.Method != "POST")
            {
                await route.ContinueAsync();
                return;
            }
            sent.Add((route.Request.Headers["idempotency-key"], null));
            if (!letThrough)
            {
                await route.AbortAsync("connectionrefused");
                return;
            }
            await route.ContinueAsync();
        });
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "amy");
        await Ui.Item(page, "Printing").ClickAsync();
        await Ui.TakeCashAsync(page, "");
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "connection dropped" })).ToBeVisibleAsync();

        // Amy signs out while the app retries; Ben signs in at the same till and the network comes back.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Ui.SignInAsync(page, "ben");
        letThrough = true;
        await Task.Delay(TimeSpan.FromSeconds(8));
        Assert.Equal(before, await SalesAsync());

        // Amy comes back: her checkout goes again with its key, once.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Ui.SignInAsync(page, "amy");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sale recorded" })).ToBeVisibleAsync();
        Assert.Equal(before + 1, await SalesAsync());
        Assert.Single(sent.Select(s => s.Key).Distinct());
        var sale = (await app.Admin.GetFromJsonAsync<JsonArray>("api/v1/cash_registers/1/sales?_per_page=1"))![0]!;
        Assert.NotEqual(benId, sale["user_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_sign_out_that_does_not_reach_fiscus_says_so_and_keeps_the_clerk_signed_in()
    {
        await app.AddUserAsync("dot", "manager");
        var page = await app.NewPageAsync();
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "dot");
        await page.RouteAsync("**/api/v1/auth/logout", route => route.AbortAsync("connectionrefused"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Not signed out" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();

        await page.UnrouteAsync("**/api/v1/auth/logout");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Fiscus" })).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Fiscus" })).ToBeVisibleAsync();
    }

    async Task<int> SalesAsync() =>
        (await app.Admin.GetFromJsonAsync<JsonArray>("api/v1/cash_registers/1/sales?_per_page=1000"))!.Count;
}

/// <summary>Its own class: it moves Fiscus's clock a day on, which ends every session of the class.</summary>
public sealed class StalePendingWriteTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task A_checkout_left_unanswered_for_a_day_is_not_sent_again()
    {
        await app.AddUserAsync("cyd", "cashier");
        var context = await app.Browser.NewContextAsync(new() { BaseURL = app.Address.ToString() });
        var page = await app.NewPageAsync(context);
        var before = await SalesAsync();
        var lose = true;
        await page.RouteAsync("**/api/v1/cash_registers/*/sales", async route =>
        {
            if (route.Request.Method != "POST" || !lose)
            {
                await route.ContinueAsync();
                return;
            }
            await route.FetchAsync();
            await route.AbortAsync("connectionreset");
        });
        await page.GotoAsync("/");
        await Ui.SignInAsync(page, "cyd");
        await Ui.Item(page, "Printing").ClickAsync();
        await Ui.TakeCashAsync(page, "");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Try again" })).ToBeVisibleAsync(new() { Timeout = 40_000 });
        Assert.Equal(before + 1, await SalesAsync());
        await page.CloseAsync();

        // A weekend later (Fiscus's clock and the browser's): the key may be forgotten, so the app must not send it again.
        app.Factory.Clock.Advance(TimeSpan.FromHours(25));
        lose = false;
        var admin = await app.BearerAsync("admin", Fiscus.Server.Tests.Infrastructure.FiscusFactory.AdminPassword);
        var next = await app.NewPageAsync(context);
        await next.Clock.SetFixedTimeAsync(DateTime.UtcNow.AddHours(25));
        await next.GotoAsync("/counter");
        await Ui.SignInAsync(next, "cyd"); // the session ended meanwhile
        await Expect(next.GetByText("too old to send again safely")).ToBeVisibleAsync();
        Assert.Equal(before + 1, await SalesAsync(admin));
        await next.GetByRole(AriaRole.Button, new() { Name = "Try again" }).ClickAsync();
        await Expect(next.GetByText("too old to send again safely")).ToBeVisibleAsync();
        Assert.Equal(before + 1, await SalesAsync(admin));
    }

    async Task<int> SalesAsync(HttpClient? client = null) =>
        (await (client ?? app.Admin).GetFromJsonAsync<JsonArray>("api/v1/cash_registers/1/sales?_per_page=1000"))!.Count;
}
