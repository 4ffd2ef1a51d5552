using Dapper;
using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Server.Tests.KohaDropIn;

/// <summary>
/// Every API client has a service user (migration 0014), the user its cash-ups name as Koha's <c>manager_id</c>. It is
/// nobody: it cannot sign in by any path, appears in no list of users, and cannot be made into a real user.
/// </summary>
public sealed class ServiceUserTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    sealed record ServiceUser(long UserId, string Username);

    async Task<(TestClient Client, ServiceUser User)> ClientWithServiceUserAsync()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);
        var user = (await fiscus.QueryAsync<ServiceUser>("""
            SELECT u.user_id, u.username FROM api_clients c JOIN staff_users u ON u.user_id = c.service_user_id WHERE c.client_id = @ClientId
            """, new { client.ClientId })).Single();
        return (client, user);
    }

    [Fact]
    public async Task Every_client_gets_one_made_with_it_and_it_is_nobody()
    {
        var (client, user) = await ClientWithServiceUserAsync();
        var row = (await fiscus.QueryAsync<(bool Service, string? Hash, string? Role, string? Library, bool Disabled)>(
            "SELECT is_service_user, password_hash, role, library_id, disabled_at IS NOT NULL FROM staff_users WHERE user_id = @UserId",
            new { user.UserId })).Single();

        Assert.Equal((true, (string?)null, (string?)null, (string?)null, true), row);
        Assert.Matches(@"^api-client:\d+$", user.Username);
        // SIP logins' service clients have one too, and no two clients share one.
        using (var sip = await (await fiscus.AdminAsync()).PostAsync("/api/v1/sip_logins",
                   Json.Body(new { login = fiscus.Unique("kiosk"), password = "lantern-drawer-stone-5", library_id = "MAIN", cash_register_id = 1 })))
        {
            await sip.ExpectAsync(HttpStatusCode.Created);
        }
        Assert.Equal(0, await fiscus.ScalarAsync<long>("SELECT count(*) FROM api_clients WHERE service_user_id IS NULL"));
        Assert.Equal(await fiscus.ScalarAsync<long>("SELECT count(*) FROM api_clients"),
            await fiscus.ScalarAsync<long>("SELECT count(DISTINCT service_user_id) FROM api_clients"));
        Assert.NotNull(client);
    }

    public static TheoryData<string> SignInPaths => new() { "login", "basic", "oauth", "bearer", "shift step-up" };

    [Theory]
    [MemberData(nameof(SignInPaths))]
    public async Task It_cannot_sign_in(string path)
    {
        var (_, user) = await ClientWithServiceUserAsync();
        const string Password = "any-password-at-all-1";
        switch (path)
        {
            case "login":
                using (var login = await SignInRequests.Login(fiscus.Anonymous(), user.Username, Password))
                {
                    await login.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
                }
                break;
            case "basic":
                using (var basic = await fiscus.WithBasic(user.Username, Password).GetAsync("/api/v1/auth/me"))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
                }
                break;
            case "oauth":
                // A client's credentials sign the client in (as itself), never its service user; the user's name is no client.
                using (var token = await SignInRequests.Token(fiscus.Anonymous(), user.Username, Password))
                {
                    Assert.Equal(HttpStatusCode.Forbidden, token.StatusCode);
                }
                break;
            case "bearer":
                // No token can be issued for it, whatever code asks (the server's role or the owner).
                var refused = await Assert.ThrowsAsync<PostgresException>(() => IssueTokenAsync(user.UserId));
                Assert.Equal("FL001", refused.SqlState);
                // A token forged past every trigger still stands for nobody: the user is disabled and has no role.
                using (var me = await fiscus.WithBearer(await ForgeTokenAsync(user.UserId)).GetAsync("/api/v1/auth/me"))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
                }
                break;
            case "shift step-up":
                // Re-entering a password to start a shift needs a signed-in person to be; a forged token is not one.
                using (var start = await fiscus.WithBearer(await ForgeTokenAsync(user.UserId)).PostAsync("/api/v1/shifts/start",
                           Json.Body(new { start_cash = 0, password = Password })))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, start.StatusCode);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, null);
        }
        Assert.Equal(0, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND entity_id = @id", new { id = user.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    async Task IssueTokenAsync(long userId)
    {
        await using var runtime = new NpgsqlConnection(TestDatabases.RuntimeConnectionStringFor(fiscus.Factory.Database));
        await runtime.OpenAsync();
        await runtime.ExecuteAsync("""
            INSERT INTO access_tokens (token_hash, user_id, issued_at, expires_at) VALUES (sha256('x'::bytea), @userId, now(), now() + interval '1 hour')
            """, new { userId });
    }

    async Task<string> ForgeTokenAsync(long userId)
    {
        var token = fiscus.Unique("forged-token-");
        await fiscus.ScalarAsync<int>("""
            SET session_replication_role = replica;
            INSERT INTO access_tokens (token_hash, user_id, issued_at, expires_at)
            VALUES (sha256(convert_to(@token, 'UTF8')), @userId, now(), now() + interval '1 hour');
            SET session_replication_role = origin;
            SELECT 1;
            """, new { token, userId });
        return token;
    }

    [Fact]
    public async Task It_is_in_no_list_of_users_and_the_users_api_knows_it_not()
    {
        var (_, user) = await ClientWithServiceUserAsync();
        var admin = await fiscus.AdminAsync();

        using var list = await admin.GetAsync("/api/v1/users?_per_page=1000");
        var users = (await list.ExpectAsync(HttpStatusCode.OK)).AsArray();
        Assert.DoesNotContain(users, u => u!["user_id"]!.GetValue<long>() == user.UserId);
        Assert.DoesNotContain(users, u => u!["username"]!.GetValue<string>().StartsWith("api-client:", StringComparison.Ordinal));
        Assert.Equal(users.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), list.Headers.GetValues("X-Total-Count").Single());

        foreach (var (method, url, body) in new (string, string, object?)[]
        {
            ("GET", $"/api/v1/users/{user.UserId}", null),
            ("PUT", $"/api/v1/users/{user.UserId}", new { role = "admin" }),
            ("POST", $"/api/v1/users/{user.UserId}/enable", null),
            ("POST", $"/api/v1/users/{user.UserId}/disable", null),
            ("POST", $"/api/v1/users/{user.UserId}/password", new { password = "a-new-password-for-nobody-9" }),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = body is null ? null : Json.Body(body) };
            using var response = await admin.SendAsync(request);
            await response.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        }
        // A staff user cannot take its name either: a staff username holds no colon.
        using var taken = await admin.PostAsync("/api/v1/users", Json.Body(new { username = user.Username, role = "cashier" }));
        await taken.ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_database_lets_nothing_make_it_a_real_user_nor_tie_a_client_to_a_real_one()
    {
        var (client, user) = await ClientWithServiceUserAsync();
        var admin = await fiscus.ScalarAsync<long>("SELECT user_id FROM staff_users WHERE username = 'admin'");

        // Even as the owner: a service user never changes, and a client's service user is its own.
        foreach (var sql in new[]
        {
            "UPDATE staff_users SET role = 'admin', password_hash = 'x', disabled_at = NULL, is_service_user = false WHERE user_id = @UserId",
            "UPDATE staff_users SET updated_at = now() WHERE user_id = @UserId",
            "UPDATE staff_users SET is_service_user = true WHERE user_id = @admin",
            "UPDATE api_clients SET service_user_id = @admin WHERE client_id = @ClientId",
        })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => fiscus.ScalarAsync<int>(sql + "; SELECT 1",
                new { user.UserId, admin, client.ClientId }));
            Assert.Equal("FL001", refused.SqlState);
        }

        // The server's role cannot write a service user, nor choose a client's.
        await using var runtime = new NpgsqlConnection(TestDatabases.RuntimeConnectionStringFor(fiscus.Factory.Database));
        await runtime.OpenAsync();
        var forged = await Assert.ThrowsAsync<PostgresException>(() => runtime.ExecuteAsync("""
            INSERT INTO staff_users (user_uuid, username, is_service_user, disabled_at, created_at, updated_at, password_changed_at)
            VALUES (gen_random_uuid(), 'api-client:999999', true, now(), now(), now(), now())
            """));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, forged.SqlState);
        var chosen = await Assert.ThrowsAsync<PostgresException>(() => runtime.ExecuteAsync("""
            INSERT INTO api_clients (client_uuid, client_id, secret_hash, name, scopes, created_at, updated_at, secret_rotated_at, service_user_id)
            VALUES (gen_random_uuid(), 'chosen-service-user-client', sha256('x'::bytea), 'chosen', '{}', now(), now(), now(), @admin)
            """, new { admin }));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, chosen.SqlState);
    }
}
