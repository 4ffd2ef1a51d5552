using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Fiscus.Server.Tests.Infrastructure;
using Fiscus.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fiscus.Staff.Tests.Browser;

/// <summary>
/// One test class's world: Fiscus on real Kestrel (the staff app at <c>/</c>, the API under <c>/api</c>) on a database of
/// its own, and Debian's Chromium driven by Playwright. Each test opens its own browser context (own cookies and storage).
/// </summary>
public sealed class StaffAppServer : IAsyncLifetime
{
    public const string Password = "counter-staff-test-7731";

    FiscusFactory? factory;
    IPlaywright? playwright;
    HttpClient? admin;

    public Uri Address { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public FiscusFactory Factory => factory!;

    /// <summary>The admin's API client (bearer), for arranging what a test needs and checking what the UI did.</summary>
    public HttpClient Admin => admin!;

    static StaffAppServer() =>
        // Several classes start the app in their own Chromium at once on two cores: the first load can take seconds.
        Assertions.SetDefaultExpectTimeout(20_000);

    public async Task InitializeAsync()
    {
        var database = TestDatabases.NewName("staff");
        await TestDatabases.CreateAsync(database, await TemplateDatabase.NameAsync());
        factory = new FiscusFactory(database);
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        Address = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        admin = await BearerAsync("admin", FiscusFactory.AdminPassword);

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.Path,
            Headless = true,
            // As root in a container Chromium needs --no-sandbox; the rest keeps it off a network it cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        playwright?.Dispose();
        admin?.Dispose();
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context (its own cookies and localStorage) and page at the app.</summary>
    public async Task<IPage> NewPageAsync(IBrowserContext? context = null)
    {
        context ??= await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        page.Console += (_, message) =>
        {
            // The app asks who is signed in when it starts; signed out, that answer is a 401, which Chromium logs.
            if (message.Type is "error" && !(message.Text.Contains("status of 401", StringComparison.Ordinal) &&
                                             message.Location.Contains("/api/v1/auth/me:", StringComparison.Ordinal)))
            {
                ConsoleErrors.Add($"{message.Text} ({message.Location})");
            }
        };
        return page;
    }

    /// <summary>Console errors seen in any page (a CSP violation shows here).</summary>
    public List<string> ConsoleErrors { get; } = [];

    /// <summary>Creates a staff user with <see cref="Password"/>.</summary>
    public async Task<long> AddUserAsync(string username, string role, string? libraryId = "MAIN")
    {
        var response = await Admin.PostAsJsonAsync("api/v1/users", new { username, password = Password, role, library_id = libraryId });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["user_id"]!.GetValue<long>();
    }

    /// <summary>Creates a register of the MAIN library (no float) and returns its id.</summary>
    public async Task<int> AddRegisterAsync(string name)
    {
        var response = await Admin.PostAsJsonAsync("api/v1/cash_registers", new { name, library_id = "MAIN", starting_float = 0m });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["cash_register_id"]!.GetValue<int>();
    }

    public async Task<HttpClient> BearerAsync(string username, string password)
    {
        using var anonymous = new HttpClient { BaseAddress = Address };
        var response = await anonymous.PostAsJsonAsync("api/v1/auth/login", new { username, password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        var response = await Admin.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }
}
