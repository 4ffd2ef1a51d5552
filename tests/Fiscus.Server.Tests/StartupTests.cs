using Fiscus.Testing;
using Microsoft.AspNetCore.Hosting;

namespace Fiscus.Server.Tests;

/// <summary>First start, later starts and the checks that refuse to start on a broken configuration.</summary>
public sealed class StartupTests : IAsyncLifetime
{
    readonly string database = TestDatabases.NewName("startup");

    public Task InitializeAsync() => TestDatabases.CreateAsync(database);

    public Task DisposeAsync() => TestDatabases.DropAsync(database);

    [Fact]
    public async Task The_first_start_creates_the_admin_from_FISCUS_ADMIN_PASSWORD_and_seeds_once()
    {
        await using (var first = new FiscusFactory(database, new Dictionary<string, string?> { ["FISCUS_ADMIN_PASSWORD"] = "first-start-secret-pw" }))
        {
            using var login = await first.CreateClient().PostAsync("/api/v1/auth/login",
                Json.Body(new { username = "admin", password = "first-start-secret-pw" }));
            await login.ExpectAsync(HttpStatusCode.OK);
        }

        // A later start with another password changes nothing: the admin exists, the data is seeded.
        await using var second = new FiscusFactory(database, new Dictionary<string, string?> { ["FISCUS_ADMIN_PASSWORD"] = "other-start-secret-pw" });
        using var old = await second.CreateClient().PostAsync("/api/v1/auth/login", Json.Body(new { username = "admin", password = "first-start-secret-pw" }));
        await old.ExpectAsync(HttpStatusCode.OK);
        using var newer = await second.CreateClient().PostAsync("/api/v1/auth/login", Json.Body(new { username = "admin", password = "other-start-secret-pw" }));
        await newer.ExpectAsync(HttpStatusCode.Unauthorized);
        await using var connection = new Npgsql.NpgsqlConnection(TestDatabases.ConnectionStringFor(database));
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM cash_registers", connection);
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Without_FISCUS_ADMIN_PASSWORD_a_random_admin_password_is_generated()
    {
        await using var factory = new FiscusFactory(database, new Dictionary<string, string?> { ["FISCUS_ADMIN_PASSWORD"] = "" });
        _ = factory.Services;

        var report = (Startup.StartupReport)factory.Services.GetService(typeof(Startup.StartupReport))!;
        Assert.Matches("^[A-Za-z0-9]{16}$", report.CreatedAdminPassword);
        Assert.False(report.AdminPasswordFromConfiguration);
        using var login = await factory.CreateClient().PostAsync("/api/v1/auth/login",
            Json.Body(new { username = "admin", password = report.CreatedAdminPassword }));
        await login.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_different_currency_on_an_existing_ledger_refuses_to_start()
    {
        await using (var usd = new FiscusFactory(database))
        {
            _ = usd.Services;
        }

        await using var eur = new FiscusFactory(database, new Dictionary<string, string?> { ["FISCUS_CURRENCY"] = "EUR" });
        var error = Assert.ThrowsAny<Exception>(() => eur.Services);
        Assert.Contains("FISCUS_CURRENCY", Flatten(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FISCUS_CURRENCY", "XYZ")]
    [InlineData("FISCUS_TIME_ZONE", "Nowhere/Special")]
    [InlineData("FISCUS_BASIC_AUTH", "perhaps")]
    [InlineData("FISCUS_SESSION_SECONDS", "-5")]
    [InlineData("FISCUS_TRUSTED_PROXIES", "10.0.0.0/33")]
    [InlineData("FISCUS_TRUSTED_PROXIES", "10.0.0.5, proxy.internal")]
    [InlineData("FISCUS_ADMIN_PASSWORD", "aaaaaaaa")]
    [InlineData("FISCUS_ADMIN_PASSWORD", "Password2024!")]
    public async Task A_bad_setting_refuses_to_start_and_names_the_setting(string key, string value)
    {
        await using var factory = new FiscusFactory(database, new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains(key, Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_JPY_installation_stores_whole_yen()
    {
        await using var factory = new FiscusFactory(database, new Dictionary<string, string?> { ["FISCUS_CURRENCY"] = "JPY" });
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin:{FiscusFactory.AdminPassword}")));

        using var register = await client.GetAsync("/api/v1/cash_registers/1");
        Assert.Equal("100", (await register.ExpectAsync(HttpStatusCode.OK))["starting_float"]!.ToJsonString());
        using var fractional = await client.PostAsync("/api/v1/cash_registers", Json.Body(new { name = "Yen", library_id = "MAIN", starting_float = 10.5m }));
        await fractional.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    static string Flatten(Exception error)
    {
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
        }
        return string.Join(" | ", messages);
    }
}
