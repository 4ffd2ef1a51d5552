using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fiscus.Server.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>Setup in Chromium against the real server: users, API clients, registers, libraries and types, each for whom it is.</summary>
public sealed class SetupTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    static ILocator Sections(IPage page) => page.GetByRole(AriaRole.Navigation, new() { Name = "Setup sections" });

    /// <summary>
    /// No CSP violation or app fault in any page. Chromium logs every 4xx answer as "Failed to load resource": the refusals
    /// these tests provoke on purpose (a weak password, a taken code, a cashier forcing the API) are not faults.
    /// </summary>
    void AssertNoConsoleErrors()
    {
        var faults = app.ConsoleErrors.Where(e => !e.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal)).ToList();
        Assert.True(faults.Count == 0, string.Join("\n", faults));
    }

    static Task<HttpResponseMessage> TokenAsync(HttpClient http, string clientId, string secret) =>
        http.PostAsync("api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
        }));

    Task<IPage> AdminAsync(string path, IBrowserContext? context = null) => SignedInAsync(path, "admin", FiscusFactory.AdminPassword, context);

    /// <summary>A fresh page at <paramref name="path"/>, signed in there (the app stays where it was asked to go).</summary>
    async Task<IPage> SignedInAsync(string path, string username, string password = StaffAppServer.Password, IBrowserContext? context = null)
    {
        var page = await app.NewPageAsync(context);
        await page.GotoAsync(path);
        await Ui.SignInAsync(page, username, password);
        return page;
    }

    [Fact]
    public async Task An_admin_creates_a_cashier_who_signs_in_with_the_generated_password()
    {
        var page = await AdminAsync("/setup");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Setup", Level = 1 })).ToBeVisibleAsync();
        await Expect(Sections(page).GetByRole(AriaRole.Link))
            .ToHaveTextAsync(["Users", "API clients", "Registers", "Libraries", "Debit types", "Credit types", "Payment types"]);
        await Screenshots.SaveAsync(page, "setup");

        await Sections(page).GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "New user" }).ClickAsync();
        await Expect(page.GetByLabel("Username")).ToBeFocusedAsync();
        await page.GetByLabel("Username").FillAsync("cleo");
        await page.GetByLabel("Role").SelectOptionAsync("cashier");
        await page.GetByLabel("Home library").SelectOptionAsync("MAIN");

        // A weak chosen password: the policy's refusal, in words, under the field.
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("password1");
        await page.GetByLabel("Password", new() { Exact = true }).PressAsync("Enter");
        var passwordError = page.Locator("#user-password ~ .field-error");
        await Expect(passwordError).ToBeVisibleAsync();
        await Expect(passwordError).ToContainTextAsync("password");
        await Screenshots.SaveAsync(page, "setup-user-form");

        // Left empty, one is generated and shown once.
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Password for cleo" })).ToBeVisibleAsync();
        await Expect(page.GetByText("You will not see it again.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy password" })).ToBeVisibleAsync();
        var password = await page.GetByLabel("Password", new() { Exact = true }).InputValueAsync();
        Assert.Equal(16, password.Length);
        var row = page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^cleo") });
        await Expect(row).ToContainTextAsync("cashier");
        await Expect(row).ToContainTextAsync("Active");
        await Screenshots.SaveAsync(page, "setup-user-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Done, I have it" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Password for cleo" })).ToHaveCountAsync(0);
        Assert.DoesNotContain(password, await page.ContentAsync(), StringComparison.Ordinal);
        await Screenshots.SaveAsync(page, "setup-users");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Ui.SignInAsync(page, "cleo", password);
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link)).ToHaveTextAsync(["Counter", "Patrons", "Registers", "My shift"]);
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_admin_resets_a_password_and_disables_a_user_after_confirming()
    {
        await app.AddUserAsync("dora", "cashier");
        var page = await AdminAsync("/setup/users");

        await page.GetByRole(AriaRole.Button, new() { Name = "Reset the password of dora" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Alertdialog);
        await Expect(dialog).ToBeFocusedAsync();
        await Expect(dialog).ToContainTextAsync("signed out everywhere");
        await Screenshots.SaveAsync(page, "setup-confirm");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Password for dora" })).ToBeVisibleAsync();
        var password = await page.GetByLabel("Password", new() { Exact = true }).InputValueAsync();
        (await app.BearerAsync("dora", password)).Dispose();

        await page.GetByRole(AriaRole.Button, new() { Name = "Disable dora" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^dora") })).ToContainTextAsync("Active");
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable dora" }).ClickAsync();
        await page.GetByRole(AriaRole.Alertdialog).GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^dora") })).ToContainTextAsync("Disabled");
        var user = (await app.GetJsonAsync("api/v1/users?_per_page=1000")).AsArray().Single(u => u!["username"]!.GetValue<string>() == "dora")!;
        Assert.True(user["disabled"]!.GetValue<bool>());

        // The last admin cannot be disabled: the API's words, in the dialog.
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable admin" }).ClickAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToContainTextAsync("only enabled admin");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_admin_creates_a_register_bound_client_whose_secret_is_shown_once_and_works()
    {
        var context = await app.Browser.NewContextAsync(new()
        {
            BaseURL = app.Address.ToString(), ViewportSize = new() { Width = 1280, Height = 860 },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        var page = await AdminAsync("/setup/clients", context);
        await page.GetByRole(AriaRole.Button, new() { Name = "New API client" }).ClickAsync();
        await Expect(page.GetByLabel("Name")).ToBeFocusedAsync();
        await page.GetByLabel("Name").FillAsync("Kiosk 1");
        await page.GetByLabel("reference:write", new() { Exact = true }).CheckAsync();

        // Bound to a register: the installation-wide scopes go, and say why.
        await page.GetByLabel("Bound to a register (and its library)").CheckAsync();
        await Expect(page.GetByTestId("dropped-scopes")).ToContainTextAsync("reference:write");
        await Expect(page.GetByLabel("reference:write", new() { Exact = true })).ToBeDisabledAsync();
        await Expect(page.GetByLabel("reference:write", new() { Exact = true })).Not.ToBeCheckedAsync();
        await Expect(page.GetByLabel("libraries:write", new() { Exact = true })).ToBeDisabledAsync();
        await Expect(page.GetByLabel("users:write", new() { Exact = true })).ToHaveCountAsync(0);
        await page.GetByLabel("Register", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Main desk (MAIN)" });
        await page.GetByLabel("sales:write", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("registers:read", new() { Exact = true }).CheckAsync();
        await Screenshots.SaveAsync(page, "setup-client-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create client" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Secret of Kiosk 1" })).ToBeVisibleAsync();
        await Expect(page.GetByText("You will not see it again.")).ToBeVisibleAsync();
        var secret = await page.GetByLabel("Client secret").InputValueAsync();
        var clientId = await page.GetByTestId("shown-client-id").InnerTextAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy client secret" }).ClickAsync();
        await Expect(page.GetByText("Copied to the clipboard.")).ToBeVisibleAsync();
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        var row = page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^Kiosk 1") });
        await Expect(row).ToContainTextAsync("Register Main desk (MAIN)");
        await Expect(row).ToContainTextAsync("sales:write");
        await Screenshots.SaveAsync(page, "setup-client-secret");

        // The secret works at the token endpoint, for a client bound to the register.
        using (var anonymous = new HttpClient { BaseAddress = app.Address })
        {
            var token = await TokenAsync(anonymous, clientId, secret);
            Assert.Equal(System.Net.HttpStatusCode.OK, token.StatusCode);
            var accessToken = (await token.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
            using var me = new HttpRequestMessage(HttpMethod.Get, "api/v1/auth/me") { Headers = { { "Authorization", $"Bearer {accessToken}" } } };
            var who = (await (await anonymous.SendAsync(me)).Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(1, who["cash_register_id"]!.GetValue<int>());
            Assert.Equal(["registers:read", "sales:write"], who["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        }

        // Once: gone when done, and never again on this page.
        await page.GetByRole(AriaRole.Button, new() { Name = "Done, I have it" }).ClickAsync();
        await Expect(page.GetByLabel("Client secret")).ToHaveCountAsync(0);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^Kiosk 1") })).ToBeVisibleAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

        // Rotating asks first, then shows the new secret once; the old one stops working.
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate the secret of Kiosk 1" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToContainTextAsync("stop working at once");
        await page.Keyboard.PressAsync("Enter");
        var rotated = await page.GetByLabel("Client secret").InputValueAsync();
        Assert.NotEqual(secret, rotated);
        using (var anonymous = new HttpClient { BaseAddress = app.Address })
        {
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await TokenAsync(anonymous, clientId, secret)).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await TokenAsync(anonymous, clientId, rotated)).StatusCode);
        }
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_admin_creates_a_sellable_debit_type_with_a_price_and_the_counter_sells_it()
    {
        var page = await AdminAsync("/setup/debit-types");
        await page.GetByRole(AriaRole.Button, new() { Name = "New debit type" }).ClickAsync();
        await Expect(page.GetByLabel("Code")).ToBeFocusedAsync();
        await page.GetByLabel("Code").FillAsync("TOTE");
        await page.GetByLabel("Description").FillAsync("Tote bag");
        await page.GetByLabel("Default amount").FillAsync("4.505");
        await Expect(page.Locator("#debit-amount ~ .field-error")).ToContainTextAsync("USD has 2 decimals at most.");
        await page.GetByLabel("Default amount").FillAsync("4.50");
        await page.GetByLabel("Sold at the counter").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create debit type" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^TOTE") });
        await Expect(row).ToContainTextAsync("$4.50");
        await Expect(row).ToContainTextAsync("Counter");
        await row.ScrollIntoViewIfNeededAsync();
        await Screenshots.SaveAsync(page, "setup-debit-types");

        // The same code twice: the 409 next to the code.
        await page.GetByRole(AriaRole.Button, new() { Name = "New debit type" }).ClickAsync();
        await page.GetByLabel("Code").FillAsync("TOTE");
        await page.GetByLabel("Description").FillAsync("Another bag");
        await page.GetByLabel("Description").PressAsync("Enter");
        await Expect(page.Locator("#debit-code ~ .field-error")).ToContainTextAsync("already exists");
        await page.Keyboard.PressAsync("Escape");

        await page.GetByRole(AriaRole.Link, new() { Name = "Counter" }).ClickAsync();
        await Expect(Ui.Item(page, "Tote bag")).ToContainTextAsync("$4.50");
        await Ui.Item(page, "Tote bag").ClickAsync();
        await Expect(page.GetByTestId("basket-total")).ToHaveTextAsync("$4.50");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task An_admin_adds_a_library_and_a_register_with_a_float_then_archives_it()
    {
        var page = await AdminAsync("/setup/libraries");
        await page.GetByRole(AriaRole.Button, new() { Name = "New library" }).ClickAsync();
        await page.GetByLabel("Code").FillAsync("EAST");
        await page.GetByLabel("Name").FillAsync("East branch");
        await page.GetByLabel("Time zone").FillAsync("Mars/Olympus");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create library" }).ClickAsync();
        await Expect(page.Locator("#library-zone ~ .field-error")).ToContainTextAsync("IANA");
        await page.GetByLabel("Time zone").FillAsync("Europe/London");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create library" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^EAST") })).ToContainTextAsync("Europe/London");
        await Screenshots.SaveAsync(page, "setup-libraries");

        await Sections(page).GetByRole(AriaRole.Link, new() { Name = "Registers" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "New register" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("East desk");
        await page.GetByLabel("Library", new() { Exact = true }).SelectOptionAsync("EAST");
        await page.GetByLabel("Starting float").FillAsync("75.00");
        await page.GetByLabel("The library's default register").CheckAsync();
        await Screenshots.SaveAsync(page, "setup-register-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create register" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^East desk") });
        await Expect(row).ToContainTextAsync("$75.00");
        await Expect(row).ToContainTextAsync("Library default");
        await Screenshots.SaveAsync(page, "setup-registers");
        var register = (await app.GetJsonAsync("api/v1/cash_registers?library_id=EAST")).AsArray().Single()!;
        Assert.Equal(75.00m, register["starting_float"]!.GetValue<decimal>());

        // Main desk holds a float and money from other tests may be in it; East desk is empty and archives at once.
        await page.GetByRole(AriaRole.Button, new() { Name = "Archive East desk" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^East desk") })).ToContainTextAsync("Archived");
        await page.GetByRole(AriaRole.Button, new() { Name = "Unarchive East desk" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^East desk") })).ToContainTextAsync("In use");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_manager_sees_only_the_types_and_is_told_the_rest_is_not_for_them()
    {
        await app.AddUserAsync("mina", "manager");
        var page = await SignedInAsync("/", "mina");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Setup" }).ClickAsync();
        await Expect(Sections(page).GetByRole(AriaRole.Link)).ToHaveTextAsync(["Debit types", "Credit types", "Payment types"]);

        await Sections(page).GetByRole(AriaRole.Link, new() { Name = "Payment types" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^CASH") })).ToContainTextAsync("Counts as cash");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change CASH" }).ClickAsync();
        await Expect(page.GetByLabel("Counts as cash")).ToBeDisabledAsync();
        await Expect(page.Locator("#payment-cash-hint")).ToContainTextAsync("system type");
        await Screenshots.SaveAsync(page, "setup-payment-types");
        await page.Keyboard.PressAsync("Escape");
        await Sections(page).GetByRole(AriaRole.Link, new() { Name = "Credit types" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^PAYMENT") })).ToContainTextAsync("System");
        await Screenshots.SaveAsync(page, "setup-credit-types");

        await page.GotoAsync("/setup/users");
        await Expect(page.GetByTestId("setup-refused")).ToContainTextAsync("Users is not for you");
        await Expect(page.GetByRole(AriaRole.Table)).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "setup-manager-refused");
        await page.GotoAsync("/setup/clients");
        await Expect(page.GetByTestId("setup-refused")).ToContainTextAsync("clients:write");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_cashier_has_no_setup_and_the_api_refuses_it_when_forced()
    {
        await app.AddUserAsync("cyd", "cashier");
        var page = await SignedInAsync("/setup", "cyd");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link)).ToHaveTextAsync(["Counter", "Patrons", "Registers", "My shift"]);
        await Expect(page.GetByTestId("setup-refused")).ToContainTextAsync("Setup is not for you");
        await Expect(Sections(page)).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "setup-cashier-refused");

        var statuses = await page.EvaluateAsync<int[]>("""
            async () => [
                (await fetch('/api/v1/users', {method: 'POST', headers: {'Content-Type': 'application/json'},
                    body: JSON.stringify({username: 'sneaky', role: 'admin'})})).status,
                (await fetch('/api/v1/clients')).status,
                (await fetch('/api/v1/debit_types', {method: 'POST', headers: {'Content-Type': 'application/json'},
                    body: JSON.stringify({code: 'FREE', description: 'Free money'})})).status,
            ]
            """);
        Assert.Equal([403, 403, 403], statuses);
        AssertNoConsoleErrors();
    }
}
