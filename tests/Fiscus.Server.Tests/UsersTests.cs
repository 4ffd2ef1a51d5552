namespace Fiscus.Server.Tests;

public sealed class UsersTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task An_admin_creates_a_cashier_who_can_sign_in()
    {
        var admin = await fiscus.AdminAsync();
        var username = fiscus.Unique("cashier");

        using var created = await admin.PostAsync("/api/v1/users",
            Json.Body(new { username, password = "a-good-password", role = "cashier", library_id = "MAIN" }));

        var user = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(["user_id", "user_uuid", "username", "role", "library_id", "disabled", "created_at", "updated_at"],
            user.AsObject().Select(p => p.Key));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", user["user_uuid"]!.GetValue<string>());
        await fiscus.LoginAsync(username, "a-good-password");
        Assert.StartsWith("AQAAAA", await fiscus.ScalarAsync<string>("SELECT password_hash FROM staff_users WHERE username = @username", new { username }),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"username": "has space", "password": "a-good-password", "role": "cashier"}""", "username")]
    // .NET's $ matches before a final newline; the table's CHECK does not (this was a 500).
    [InlineData("""{"username": "zed\n", "password": "a-good-password", "role": "cashier"}""", "username")]
    [InlineData("""{"username": "zed\u0000", "password": "a-good-password", "role": "cashier"}""", "username")]
    [InlineData("""{"username": "shortpw", "password": "short", "role": "cashier"}""", "password")]
    [InlineData("""{"username": "badrole", "password": "a-good-password", "role": "superuser"}""", "role")]
    [InlineData("""{"username": "badlib", "password": "a-good-password", "role": "cashier", "library_id": "NOPE"}""", "library_id")]
    public async Task Invalid_users_are_400_naming_the_field(string body, string field)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/users", Json.Raw(body));

        var problem = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("ADMIN")]
    public async Task Usernames_are_unique_regardless_of_case(string username)
    {
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/users",
            Json.Body(new { username, password = "a-good-password", role = "cashier" }));

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "username_taken");
    }

    [Fact]
    public async Task The_last_enabled_admin_cannot_be_disabled_or_demoted()
    {
        var admin = await fiscus.AdminAsync();

        using var disable = await admin.PostAsync("/api/v1/users/1/disable", null);
        using var demote = await admin.PutAsync("/api/v1/users/1", Json.Body(new { role = "manager" }));

        await disable.ExpectProblemAsync(HttpStatusCode.Conflict, "last_admin");
        await demote.ExpectProblemAsync(HttpStatusCode.Conflict, "last_admin");
    }

    [Fact]
    public async Task A_role_change_takes_effect_on_the_next_request()
    {
        var user = await fiscus.UserAsync("cashier");
        using (var before = await user.Http.PostAsync("/api/v1/debit_types", Json.Raw("{}")))
        {
            await before.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        using var promote = await (await fiscus.AdminAsync()).PutAsync($"/api/v1/users/{user.UserId}", Json.Body(new { role = "manager" }));
        await promote.ExpectAsync(HttpStatusCode.OK);

        using var after = await user.Http.PostAsync("/api/v1/debit_types", Json.Raw("{}"));
        await after.ExpectProblemAsync(HttpStatusCode.BadRequest, "missing_field");
    }

    [Fact]
    public async Task A_password_reset_generates_a_password_once_and_ends_old_sessions()
    {
        var user = await fiscus.UserAsync("cashier");

        using var reset = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/users/{user.UserId}/password", null);

        var body = await reset.ExpectAsync(HttpStatusCode.OK);
        var password = body["password"]!.GetValue<string>();
        Assert.True(password.Length >= 16);
        using var old = await user.Http.GetAsync("/api/v1/auth/me");
        await old.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        await fiscus.LoginAsync(user.Username, password);
    }

    [Fact]
    public async Task A_user_created_without_a_password_gets_a_generated_one_shown_once()
    {
        var admin = await fiscus.AdminAsync();
        var username = fiscus.Unique("generated");

        using var created = await admin.PostAsync("/api/v1/users", Json.Body(new { username, role = "manager" }));

        var user = await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(["user_id", "user_uuid", "username", "role", "library_id", "disabled", "created_at", "updated_at", "password"],
            user.AsObject().Select(p => p.Key));
        var password = user["password"]!.GetValue<string>();
        Assert.Equal(16, password.Length);
        using var fetched = await admin.GetAsync($"/api/v1/users/{user["user_id"]}");
        Assert.Null((await fetched.ExpectAsync(HttpStatusCode.OK))["password"]);
        await fiscus.LoginAsync(username, password);
        var audit = await fiscus.ScalarAsync<string>(
            "SELECT details::text FROM audit_log WHERE action = 'user.create' AND entity_id = @id", new { id = user["user_id"]!.ToString() });
        Assert.Contains("\"generated_password\": true", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(password, audit, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin", "aaaaaaaa")]
    [InlineData("admin", "aaaaaaaaaaaa")]
    [InlineData("manager", "eleven-char")]
    [InlineData("cashier", "Library2024!")]
    [InlineData("cashier", "12345678")]
    [InlineData("cashier", "qwertyuiop")]
    public async Task Weak_passwords_are_refused_on_creation_for_the_role(string role, string password)
    {
        var username = fiscus.Unique("weak");

        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/users", Json.Body(new { username, password, role }));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["password"]);
        Assert.Equal(0, await fiscus.ScalarAsync<long>("SELECT count(*) FROM staff_users WHERE username = @username", new { username }));
    }

    [Fact]
    public async Task A_reset_password_must_meet_the_rules_of_the_users_own_role_and_name()
    {
        var manager = await fiscus.UserAsync("manager");
        var admin = await fiscus.AdminAsync();

        // Long enough for a cashier, not for a manager; and a long one that contains the username.
        using var tooShort = await admin.PostAsync($"/api/v1/users/{manager.UserId}/password", Json.Body(new { password = "tram-stop-9" }));
        using var ownName = await admin.PostAsync($"/api/v1/users/{manager.UserId}/password",
            Json.Body(new { password = $"{manager.Username.ToUpperInvariant()}-and-more" }));

        Assert.Contains("12", (await tooShort.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["error"]!.GetValue<string>(),
            StringComparison.Ordinal);
        Assert.Contains("username", (await ownName.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["error"]!.GetValue<string>(),
            StringComparison.Ordinal);
        await fiscus.LoginAsync(manager.Username, manager.Password);
    }

    [Fact]
    public async Task A_chosen_password_must_meet_the_rules()
    {
        var user = await fiscus.UserAsync("cashier");

        using var reset = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/users/{user.UserId}/password", Json.Body(new { password = "short" }));

        await reset.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task A_disabled_user_can_be_enabled_again()
    {
        var user = await fiscus.UserAsync("cashier");
        var admin = await fiscus.AdminAsync();

        using var disable = await admin.PostAsync($"/api/v1/users/{user.UserId}/disable", null);
        Assert.True((await disable.ExpectAsync(HttpStatusCode.OK))["disabled"]!.GetValue<bool>());
        using var enable = await admin.PostAsync($"/api/v1/users/{user.UserId}/enable", null);
        Assert.False((await enable.ExpectAsync(HttpStatusCode.OK))["disabled"]!.GetValue<bool>());

        await fiscus.LoginAsync(user.Username, user.Password);
    }

    [Fact]
    public async Task Unknown_users_are_404()
    {
        var admin = await fiscus.AdminAsync();

        using var get = await admin.GetAsync("/api/v1/users/99999");
        using var disable = await admin.PostAsync("/api/v1/users/99999/disable", null);
        using var password = await admin.PostAsync("/api/v1/users/99999/password", null);

        await get.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await disable.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await password.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
    }
}
