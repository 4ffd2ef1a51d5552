using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>
/// The interactive API docs in Chromium, as an integrator meets them: the page loads from Fiscus alone (no CDN, no request
/// anywhere else, no CSP violation), has an Authorize button, and its OAuth2 client-credentials dialog gets a token from
/// <c>/api/v1/oauth/token</c> (Swagger UI sends the id and secret by HTTP Basic) that then calls the API.
/// </summary>
public sealed class ApiDocsPageTests(StaffAppServer app) : IClassFixture<StaffAppServer>
{
    [Fact]
    public async Task The_docs_load_offline_and_authorize_an_API_client_that_then_calls_the_API()
    {
        var created = await app.Admin.PostAsJsonAsync("api/v1/clients", new { name = "docs-kiosk", scopes = new[] { "registers:read" } });
        created.EnsureSuccessStatusCode();
        var client = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        await app.AddRegisterAsync("Docs desk");
        var page = await app.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);
        var tokenRequests = new List<IRequest>();
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/api/v1/oauth/token", StringComparison.Ordinal))
            {
                tokenRequests.Add(request);
            }
        };

        await page.GotoAsync("api/v1/docs/index.html");

        var authorize = page.Locator("button.authorize").First;
        await Expect(authorize).ToBeVisibleAsync();
        await Expect(page.GetByText("Exchange API client credentials for a bearer token")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "api-docs");

        await authorize.ClickAsync();
        var dialog = page.Locator(".modal-ux");
        await Expect(dialog).ToContainTextAsync("clientCredentials");
        await Screenshots.SaveAsync(page, "api-docs-authorize");
        var oauth2 = dialog.Locator(".auth-container").Filter(new() { HasText = "clientCredentials" });
        await oauth2.Locator("input#client_id_clientCredentials").FillAsync(client["client_id"]!.GetValue<string>());
        await oauth2.Locator("input#client_secret_clientCredentials").FillAsync(client["client_secret"]!.GetValue<string>());
        await oauth2.GetByRole(AriaRole.Button, new() { Name = "Apply given OAuth2 credentials" }).ClickAsync();
        await Expect(oauth2.GetByRole(AriaRole.Button, new() { Name = "Remove authorization" })).ToBeVisibleAsync();
        var token = Assert.Single(tokenRequests);
        Assert.StartsWith("Basic ", (await token.AllHeadersAsync())["authorization"], StringComparison.Ordinal);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).First.ClickAsync();

        var list = page.Locator("#operations-Cash_registers-listCashRegisters");
        await list.Locator(".opblock-summary").First.ClickAsync();
        await list.GetByRole(AriaRole.Button, new() { Name = "Try it out" }).ClickAsync();
        await list.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();
        await Expect(list.Locator(".live-responses-table tbody .response-col_status").First).ToHaveTextAsync("200");
        await Expect(list.Locator(".live-responses-table")).ToContainTextAsync("Docs desk");
        await Screenshots.SaveAsync(page, "api-docs-try-it-out");

        Assert.All(requests, url => Assert.StartsWith(app.Address.ToString(), url, StringComparison.Ordinal));
        Assert.Empty(app.ConsoleErrors);
    }
}
