using System.Net.Http.Headers;

namespace Fiscus.Server.Tests;

/// <summary>Every way in: login and its cookie, bearer tokens, Basic, client credentials, expiry, revocation.</summary>
public sealed class AuthTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task Login_returns_a_bearer_token_and_sets_an_http_only_cookie()
    {
        var user = await fiscus.UserAsync("cashier");

        using var response = await fiscus.Anonymous().PostAsync("/api/v1/auth/login",
            Json.Body(new { username = user.Username, password = user.Password }));

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        var token = body["access_token"]!.GetValue<string>();
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        Assert.Equal(8 * 3600, body["expires_in"]!.GetValue<int>());
        Assert.Equal("cashier", body["user"]!["role"]!.GetValue<string>());
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"access_token={token};", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_cookie_alone_authenticates_as_in_the_POS_curl_examples()
    {
        var user = await fiscus.UserAsync("cashier");
        var client = fiscus.Anonymous();
        client.DefaultRequestHeaders.Add("Cookie", $"access_token={user.Token}");

        using var response = await client.GetAsync("/api/v1/auth/me");

        var me = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(user.Username, me["name"]!.GetValue<string>());
        Assert.Equal("user", me["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Basic_credentials_authenticate_a_staff_user()
    {
        var user = await fiscus.UserAsync("manager");

        using var response = await fiscus.WithBasic(user.Username, user.Password).GetAsync("/api/v1/cash_registers");

        await response.ExpectAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("wrong password")]
    [InlineData("unknown user")]
    public async Task Bad_basic_credentials_are_401(string what)
    {
        var user = await fiscus.UserAsync("manager");
        var client = what == "unknown user" ? fiscus.WithBasic("nobody", user.Password) : fiscus.WithBasic(user.Username, "not-the-password");

        using var response = await client.GetAsync("/api/v1/cash_registers");

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_auth_can_be_switched_off()
    {
        var user = await fiscus.UserAsync("manager");
        await using var noBasic = fiscus.Factory.WithWebHostBuilder(b => b.UseSetting("FISCUS_BASIC_AUTH", "false"));
        var client = noBasic.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user.Username}:{user.Password}")));

        using var refused = await client.GetAsync("/api/v1/cash_registers");
        var problem = await refused.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("switched off", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        using var bearer = await client.GetAsync("/api/v1/cash_registers");
        await bearer.ExpectAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("wrong password")]
    [InlineData("unknown user")]
    [InlineData("disabled user")]
    public async Task Failed_logins_are_401_and_audited(string what)
    {
        var user = await fiscus.UserAsync("cashier");
        if (what == "disabled user")
        {
            using var disable = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/users/{user.UserId}/disable", null);
            await disable.ExpectAsync(HttpStatusCode.OK);
        }
        var (username, password) = what switch
        {
            "wrong password" => (user.Username, "not-the-password"),
            "unknown user" => ("no-such-user", user.Password),
            _ => (user.Username, user.Password),
        };

        using var response = await fiscus.Anonymous().PostAsync("/api/v1/auth/login", Json.Body(new { username, password }));

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.True(await fiscus.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'auth.login_failed' AND details->>'username' = @username)",
            new { username }));
    }

    [Fact]
    public async Task Logout_revokes_the_token_and_clears_the_cookie()
    {
        var user = await fiscus.UserAsync("cashier");

        using var logout = await user.Http.PostAsync("/api/v1/auth/logout", null);

        await logout.ExpectAsync(HttpStatusCode.NoContent);
        Assert.Contains(logout.Headers.GetValues("Set-Cookie"), c => c.StartsWith("access_token=;", StringComparison.Ordinal));
        using var after = await user.Http.GetAsync("/api/v1/auth/me");
        await after.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_session_token_expires()
    {
        var user = await fiscus.UserAsync("cashier");
        using (var before = await user.Http.GetAsync("/api/v1/auth/me"))
        {
            await before.ExpectAsync(HttpStatusCode.OK);
        }

        fiscus.Clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromSeconds(1));
        try
        {
            using var after = await user.Http.GetAsync("/api/v1/auth/me");
            var problem = await after.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
            Assert.Contains("expired", problem["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            fiscus.Clock.Advance(-(TimeSpan.FromHours(8) + TimeSpan.FromSeconds(1)));
        }
    }

    [Fact]
    public async Task Client_credentials_give_a_one_hour_bearer_token_in_Kohas_shape()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);

        using var response = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = client.ClientId, ["client_secret"] = client.Secret,
        }));

        var body = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(["access_token", "token_type", "expires_in"], body.AsObject().Select(p => p.Key));
        Assert.Equal("Bearer", body["token_type"]!.GetValue<string>());
        Assert.Equal(3600, body["expires_in"]!.GetValue<int>());
        using var registers = await fiscus.WithBearer(body["access_token"]!.GetValue<string>()).GetAsync("/api/v1/cash_registers");
        await registers.ExpectAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("password")]
    [InlineData("authorization_code")]
    [InlineData("")]
    public async Task Other_grant_types_are_400_unimplemented(string grantType)
    {
        var client = await fiscus.ClientAsync(["registers:read"]);

        using var response = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = grantType, ["client_id"] = client.ClientId, ["client_secret"] = client.Secret,
        }));

        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("""{"error":"Unimplemented grant type"}""", body.ToJsonString());
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=%00&client_secret=x")]
    [InlineData("application/x-www-form-urlencoded; charset=utf-7", "grant_type=client_credentials&client_id=x&client_secret=y")]
    [InlineData("application/x-www-form-urlencoded", "LONG_KEY=1&grant_type=client_credentials")]
    [InlineData("application/x-www-form-urlencoded", "MANY_FIELDS")]
    public async Task Forms_that_cannot_be_read_are_400_invalid_request(string contentType, string form)
    {
        form = form.Replace("LONG_KEY", new string('k', 3000), StringComparison.Ordinal)
            .Replace("MANY_FIELDS", string.Join('&', Enumerable.Range(0, 1100).Select(i => $"f{i}=1")), StringComparison.Ordinal);
        var content = new StringContent(form);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", content);

        var body = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("wrong secret")]
    [InlineData("unknown client")]
    [InlineData("disabled client")]
    public async Task Bad_client_credentials_are_403(string what)
    {
        var client = await fiscus.ClientAsync(["registers:read"]);
        if (what == "disabled client")
        {
            using var disable = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/clients/{client.ClientId}/disable", null);
            await disable.ExpectAsync(HttpStatusCode.OK);
        }
        var (id, secret) = what switch
        {
            "wrong secret" => (client.ClientId, "fss_wrong"),
            "unknown client" => ("0123456789abcdef01234567", client.Secret),
            _ => (client.ClientId, client.Secret),
        };

        using var response = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));

        var body = await response.ExpectAsync(HttpStatusCode.Forbidden);
        Assert.Equal("unauthorized_client", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_client_token_expires_after_an_hour()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);
        fiscus.Clock.Advance(TimeSpan.FromSeconds(3601));
        try
        {
            using var response = await client.Http.GetAsync("/api/v1/cash_registers");
            await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }
        finally
        {
            fiscus.Clock.Advance(TimeSpan.FromSeconds(-3601));
        }
    }

    [Fact]
    public async Task Disabling_a_user_revokes_their_tokens_at_once()
    {
        var user = await fiscus.UserAsync("cashier");

        using var disable = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/users/{user.UserId}/disable", null);
        await disable.ExpectAsync(HttpStatusCode.OK);

        using var response = await user.Http.GetAsync("/api/v1/cash_registers");
        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        using var basic = await fiscus.WithBasic(user.Username, user.Password).GetAsync("/api/v1/cash_registers");
        await basic.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Rotating_a_client_secret_revokes_its_tokens_and_the_old_secret()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);

        using var rotate = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/clients/{client.ClientId}/secret", null);
        var rotated = await rotate.ExpectAsync(HttpStatusCode.OK);

        using var old = await client.Http.GetAsync("/api/v1/cash_registers");
        await old.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        using var oldSecret = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = client.ClientId, ["client_secret"] = client.Secret,
        }));
        await oldSecret.ExpectAsync(HttpStatusCode.Forbidden);
        var token = await fiscus.ClientTokenAsync(client.ClientId, rotated["client_secret"]!.GetValue<string>());
        using var fresh = await fiscus.WithBearer(token).GetAsync("/api/v1/cash_registers");
        await fresh.ExpectAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("Bearer fst_not-a-real-token")]
    [InlineData("Bearer ")]
    [InlineData("Basic !!!not-base64")]
    [InlineData("Basic bm9jb2xvbg==")]
    [InlineData("Digest username=x")]
    public async Task Malformed_or_unknown_credentials_are_401_not_500(string authorization)
    {
        var client = fiscus.Anonymous();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var response = await client.GetAsync("/api/v1/cash_registers");

        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_NUL_in_a_username_is_a_failed_sign_in_recorded_with_the_NUL_escaped()
    {
        // PostgreSQL refuses NUL in text (the look-up) and \u0000 in jsonb (the failure's row): both were a 500.
        var username = fiscus.Unique("nul") + "\0";

        using var login = await fiscus.Anonymous().PostAsync("/api/v1/auth/login", Json.Body(new { username, password = "not-the-password" }));
        using var basic = await fiscus.WithBasic(username, "not-the-password").GetAsync("/api/v1/auth/me");

        await login.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_credentials");
        await basic.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        var recorded = username.Replace("\0", "\\u0000", StringComparison.Ordinal);
        Assert.Equal(["auth.basic_failed", "auth.login_failed"], await fiscus.QueryAsync<string>(
            "SELECT action FROM audit_log WHERE details->>'username' = @recorded ORDER BY action", new { recorded }));
    }

    [Fact]
    public async Task Tokens_are_stored_only_as_hashes()
    {
        var user = await fiscus.UserAsync("cashier");

        var stored = await fiscus.QueryAsync<byte[]>("SELECT token_hash FROM access_tokens WHERE user_id = @UserId", new { user.UserId });

        Assert.NotEmpty(stored);
        Assert.All(stored, hash => Assert.Equal(32, hash.Length));
        Assert.Contains(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(user.Token)), stored);
    }

    [Fact]
    public async Task Me_describes_a_bound_client()
    {
        var client = await fiscus.ClientAsync(["registers:read", "sales:write"], cashRegisterId: 1);

        using var response = await client.Http.GetAsync("/api/v1/auth/me");

        var me = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("client", me["kind"]!.GetValue<string>());
        Assert.Equal(client.ClientId, me["client_id"]!.GetValue<string>());
        Assert.Equal(1, me["cash_register_id"]!.GetValue<int>());
        Assert.Equal("MAIN", me["library_id"]!.GetValue<string>());
        Assert.Equal(["registers:read", "sales:write"], me["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
    }

    [Fact]
    public async Task Login_is_rate_limited_per_address()
    {
        await using var limited = fiscus.Factory.WithWebHostBuilder(b => b.UseSetting("FISCUS_LOGIN_ATTEMPTS_PER_MINUTE", "3"));
        var client = limited.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.PostAsync("/api/v1/auth/login", Json.Body(new { username = "admin", password = "wrong-password" }));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await response.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
                Assert.True(response.Headers.Contains("Retry-After"));
            }
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized,
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }
}
