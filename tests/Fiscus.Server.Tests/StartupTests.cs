using Dapper;
using Fiscus.Server.Startup;
using Fiscus.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// First start, later starts and the checks that refuse to start on a broken configuration (a bad setting's one line is
/// the process's: CliTests).
/// </summary>
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

        var report = factory.Services.GetRequiredService<StartupReport>();
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

    [Fact]
    public async Task A_first_start_serves_as_a_role_that_cannot_alter_the_ledger_or_the_audit_log()
    {
        await using var factory = new FiscusFactory(database);
        _ = factory.Services;
        var server = factory.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await server.OpenConnectionAsync();

        Assert.Equal(TestDatabases.RuntimeRole, await connection.ExecuteScalarAsync<string>("SELECT current_user"));
        Assert.Null(factory.Services.GetRequiredService<StartupReport>().RuntimeRoleWarning);
        foreach (var sql in new[]
        {
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "ALTER TABLE account_lines DISABLE TRIGGER account_lines_guard_update",
            "UPDATE account_lines SET amount_minor = 1",
            "UPDATE audit_log SET actor = 'nobody'",
            "DELETE FROM account_lines",
            "DELETE FROM audit_log",
        })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(sql));
            Assert.True(error.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {error.SqlState} {error.MessageText}");
        }
    }

    [Fact]
    public async Task One_role_for_everything_still_starts_and_warns_that_it_can_alter_the_ledger()
    {
        // An installation from before there were two roles: FISCUS_DATABASE alone, a superuser owning everything.
        await using var factory = new FiscusFactory(database, new Dictionary<string, string?>
        {
            ["FISCUS_MIGRATION_DATABASE"] = "",
            ["FISCUS_DATABASE"] = TestDatabases.ConnectionStringFor(database),
        });

        using var login = await factory.CreateClient().PostAsync("/api/v1/auth/login",
            Json.Body(new { username = "admin", password = FiscusFactory.AdminPassword }));
        await login.ExpectAsync(HttpStatusCode.OK);

        var warning = factory.Services.GetRequiredService<StartupReport>().RuntimeRoleWarning;
        Assert.NotNull(warning);
        var superuser = new NpgsqlConnectionStringBuilder(TestDatabases.ServerConnectionString).Username;
        Assert.Contains($"FISCUS_DATABASE signs in as '{superuser}'", warning, StringComparison.Ordinal);
        Assert.Contains("it is a superuser", warning, StringComparison.Ordinal);
        Assert.Contains("set FISCUS_MIGRATION_DATABASE", warning, StringComparison.Ordinal);
        Assert.Contains($"  WARNING: {warning}", StartupBanner.Lines("http://127.0.0.1:5080", factory.Services.GetRequiredService<StartupReport>()));
    }

    [Fact]
    public async Task Two_settings_naming_the_same_owner_warn_too()
    {
        var owner = TestDatabases.ConnectionStringFor(database);
        await using var factory = new FiscusFactory(database, new Dictionary<string, string?>
        {
            ["FISCUS_MIGRATION_DATABASE"] = owner,
            ["FISCUS_DATABASE"] = owner,
        });
        _ = factory.Services;

        Assert.Contains("it is a superuser", factory.Services.GetRequiredService<StartupReport>().RuntimeRoleWarning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_READMEs_two_roles_work_with_an_owner_that_is_no_superuser()
    {
        // As the README's "Database roles" says: an ordinary role owns the database (and so, on PostgreSQL 15, its
        // public schema), and the runtime role is created with nothing.
        var owner = TestDatabases.NewName("owner");
        var ownDatabase = TestDatabases.NewName("owned");
        await using (var admin = new NpgsqlConnection(TestDatabases.ConnectionStringFor("postgres")))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"CREATE ROLE {owner} LOGIN PASSWORD 'owner-password' NOSUPERUSER");
            await admin.ExecuteAsync($"CREATE DATABASE {ownDatabase} OWNER {owner}");
        }
        try
        {
            await using var factory = new FiscusFactory(ownDatabase, new Dictionary<string, string?>
            {
                ["FISCUS_MIGRATION_DATABASE"] = new NpgsqlConnectionStringBuilder(TestDatabases.ConnectionStringFor(ownDatabase))
                {
                    Username = owner, Password = "owner-password",
                }.ConnectionString,
            });
            var client = factory.CreateClient();
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin:{FiscusFactory.AdminPassword}")));

            using var patron = await client.PostAsync("/api/v1/patrons", Json.Body(new { cardnumber = "R1", surname = "Roles", library_id = "MAIN" }));
            var patronId = (await patron.ExpectAsync(HttpStatusCode.Created))["patron_id"]!.GetValue<long>();
            using var paid = await client.PostAsync($"/api/v1/patrons/{patronId}/account/payments",
                Json.Body(new { debit_type = "MANUAL", amount = 5m, payment_type = "CASH", register_id = 1 }));
            await paid.ExpectAsync(HttpStatusCode.Created);

            Assert.Null(factory.Services.GetRequiredService<StartupReport>().RuntimeRoleWarning);
            await using var connection = await factory.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("ALTER TABLE audit_log DISABLE TRIGGER ALL"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
            Assert.Equal(owner, await connection.ExecuteScalarAsync<string>("SELECT tableowner FROM pg_tables WHERE tablename = 'account_lines'"));
        }
        finally
        {
            await TestDatabases.DropAsync(ownDatabase);
            await using var admin = new NpgsqlConnection(TestDatabases.ConnectionStringFor("postgres"));
            await admin.OpenAsync();
            await admin.ExecuteAsync($"DROP ROLE {owner}");
        }
    }

    [Fact]
    public void The_banner_says_nothing_of_roles_when_the_runtime_role_is_unprivileged()
    {
        var lines = StartupBanner.Lines("http://127.0.0.1:5080", new StartupReport());

        Assert.DoesNotContain(lines, line => line.Contains("WARNING", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_clone_of_the_template_carries_the_runtime_roles_grants()
    {
        var clone = TestDatabases.NewName("clone");
        await TestDatabases.CreateAsync(clone, await TemplateDatabase.NameAsync());
        try
        {
            // No Fiscus has started on the clone: what the role may do came with the copy.
            await using var connection = new NpgsqlConnection(TestDatabases.RuntimeConnectionStringFor(clone));
            await connection.OpenAsync();
            Assert.True(await connection.ExecuteScalarAsync<bool>(
                "SELECT has_table_privilege('account_lines', 'INSERT') AND has_column_privilege('account_lines', 'amount_outstanding_minor', 'UPDATE')"));
            Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT has_table_privilege('audit_log', 'DELETE')"));
        }
        finally
        {
            await TestDatabases.DropAsync(clone);
        }
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
