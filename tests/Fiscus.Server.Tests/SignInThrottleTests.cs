using System.Net.Http.Headers;
using Fiscus.Server.Auth;
using Microsoft.Extensions.DependencyInjection;
using static Fiscus.Server.Tests.Infrastructure.SignInRequests;

namespace Fiscus.Server.Tests;

/// <summary>
/// One sign-in budget for every way a password or secret is checked (login, HTTP Basic, OAuth tokens, the shift
/// step-up), the lockout that guessers elsewhere cannot turn against the real user, verified Basic credentials that
/// do not cost a password hash per request, and a bounded audit of every failure. Address-dependent tests run on
/// real Kestrel with clients on distinct loopback addresses.
/// </summary>
public sealed class SignInThrottleTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task Forty_wrong_Basic_passwords_are_refused_after_the_budget_like_logins_and_audited()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(3));
        var guesser = server.From("127.0.0.31");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await Basic(guesser, "admin", $"guess{i}").GetAsync("/api/v1/cash_registers");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await response.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
                Assert.InRange(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            }
        }
        using var login = await guesser.PostAsync("/api/v1/auth/login", Json.Body(new { username = "admin", password = "guess-again" }));
        // Refused before any check: even the right password gets no answer about itself from here.
        using var right = await Basic(guesser, "admin", FiscusFactory.AdminPassword).GetAsync("/api/v1/cash_registers");

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 3), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 37)], statuses);
        await login.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal(3, await CountAsync("auth.basic_failed", "127.0.0.31", "admin"));
        Assert.Equal(["address", "username"], await fiscus.QueryAsync<string>("""
            SELECT details->>'scope' FROM audit_log WHERE action = 'auth.locked_out' AND remote_address = '127.0.0.31' ORDER BY 1
            """));
    }

    [Fact]
    public async Task A_busy_Basic_integration_does_not_spend_the_budget_of_its_address()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(2));
        var user = await fiscus.UserAsync("manager");
        var integration = Basic(server.From("127.0.0.33"), user.Username, user.Password);

        for (var i = 0; i < 20; i++)
        {
            using var ok = await integration.GetAsync("/api/v1/cash_registers");
            await ok.ExpectAsync(HttpStatusCode.OK);
            server.Factory.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var statuses = new List<HttpStatusCode>();
        foreach (var password in (string[])["typo-one-here", "typo-two-here", user.Password])
        {
            using var response = await Basic(server.From("127.0.0.33"), user.Username, password).GetAsync("/api/v1/cash_registers");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task A_spent_username_budget_stops_guessers_elsewhere_but_not_the_user_at_an_address_they_signed_in_from()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(3));
        var admin = await fiscus.UserAsync("admin");
        // The real user signs in at their desk; their Basic integration runs on the back-office server.
        using (var desk = await Login(server.From("127.0.0.41"), admin.Username, admin.Password))
        {
            await desk.ExpectAsync(HttpStatusCode.OK);
        }
        using (var backOffice = await Basic(server.From("127.0.0.46"), admin.Username, admin.Password).GetAsync("/api/v1/cash_registers"))
        {
            await backOffice.ExpectAsync(HttpStatusCode.OK);
        }

        // A botnet: one wrong guess from each of three addresses spends the username's budget.
        foreach (var bot in (string[])["127.0.0.42", "127.0.0.43", "127.0.0.44"])
        {
            using var guess = await Login(server.From(bot), admin.Username, "a-wrong-guess-1");
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }
        server.Factory.Clock.Advance(TimeSpan.FromSeconds(6)); // past the caller cache: the exemption, not the cache, lets Basic in

        using var newBot = await Login(server.From("127.0.0.45"), admin.Username, "a-wrong-guess-2");
        using var newBotRight = await Login(server.From("127.0.0.45"), admin.Username, admin.Password);
        using var strangerBasic = await Basic(server.From("127.0.0.47"), admin.Username, admin.Password).GetAsync("/api/v1/cash_registers");
        using var atTheDesk = await Login(server.From("127.0.0.41"), admin.Username, admin.Password);
        using var integration = await Basic(server.From("127.0.0.46"), admin.Username, admin.Password).GetAsync("/api/v1/cash_registers");
        using var otherUser = await Login(server.From("127.0.0.45"), "admin", FiscusFactory.AdminPassword);

        await newBot.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        await newBotRight.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        await strangerBasic.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        await atTheDesk.ExpectAsync(HttpStatusCode.OK);
        await integration.ExpectAsync(HttpStatusCode.OK);
        await otherUser.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1, await fiscus.ScalarAsync<long>("""
            SELECT count(*) FROM audit_log WHERE action = 'auth.locked_out' AND details->>'scope' = 'username' AND details->>'value' = lower(@Username)
            """, new { admin.Username }));
    }

    [Fact]
    public async Task A_name_that_only_folds_to_a_username_signs_no_one_in_and_has_no_budget_of_its_own()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(3));
        // PostgreSQL's lower() folds U+0130 (İ) to i; .NET's ToLowerInvariant keeps it. Such a name found the admin (and
        // signed in as them) while the throttle counted it as another account.
        string[] variants = ["adm\u0130n", "ADM\u0130N", "Adm\u0130n", "adm\u0131n", "\u212Aoha-admin"];

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < variants.Length; i++)
        {
            using var right = await Login(server.From($"127.0.1.{i + 1}"), variants[i], FiscusFactory.AdminPassword);
            statuses.Add(right.StatusCode);
        }
        using (var basic = await Basic(server.From("127.0.1.9"), "ADM\u0130N", FiscusFactory.AdminPassword).GetAsync("/api/v1/auth/me"))
        {
            statuses.Add(basic.StatusCode);
        }
        // Spend the admin's budget from three addresses: the variant, right password and all, is no way around it.
        foreach (var bot in (string[])["127.0.1.11", "127.0.1.12", "127.0.1.13"])
        {
            using var guess = await Login(server.From(bot), "admin", "a-wrong-guess");
            statuses.Add(guess.StatusCode);
        }
        using (var around = await Login(server.From("127.0.1.14"), "adm\u0130n", FiscusFactory.AdminPassword))
        {
            statuses.Add(around.StatusCode);
        }
        // Nor is a variant a budget of its own to spend: one guess from each of four more addresses is four failures.
        for (var i = 0; i < 4; i++)
        {
            using var guess = await Login(server.From($"127.0.1.{21 + i}"), "adm\u0130n", $"a-wrong-guess-{i}");
            statuses.Add(guess.StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, variants.Length + 1 + 3 + 1 + 4)], statuses);
        Assert.Null(SignInSubject.Of(new Microsoft.AspNetCore.Http.DefaultHttpContext(), "ADM\u0130N").Username);
        Assert.Equal("admin", SignInSubject.Of(new Microsoft.AspNetCore.Http.DefaultHttpContext(), "ADMIN").Username);
    }

    [Fact]
    public async Task Wrong_step_up_passwords_spend_the_username_budget_so_a_stolen_session_gets_no_second_one()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(3));
        var dave = await fiscus.UserAsync("cashier", "MAIN");
        var register = await fiscus.RegisterAsync();
        string token;
        using (var login = await Login(server.From("127.0.8.1"), dave.Username, dave.Password))
        {
            token = (await login.ExpectAsync(HttpStatusCode.OK))["access_token"]!.GetValue<string>();
        }
        var stolen = server.From("127.0.8.1");
        stolen.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var guess = await stolen.PostAsync("/api/v1/shifts/start",
                Json.Body(new { start_cash = 0, password = $"step-up-guess-{i}", cash_register_id = register }));
            statuses.Add(guess.StatusCode);
        }
        // The session's guesses were guesses at dave's password: logins elsewhere may not go on guessing it.
        using var elsewhere = await Login(server.From("127.0.8.2"), dave.Username, "login-guess");
        using var atTheTill = await Login(server.From("127.0.8.1"), dave.Username, dave.Password);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests],
            statuses);
        await elsewhere.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        await atTheTill.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_Basic_sign_in_from_a_new_address_is_recorded_once_a_day()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(100));
        var user = await fiscus.UserAsync("cashier");

        for (var i = 0; i < 5; i++)
        {
            using var response = await Basic(server.From("127.0.0.51"), user.Username, user.Password).GetAsync("/api/v1/auth/me");
            await response.ExpectAsync(HttpStatusCode.OK);
            server.Factory.Clock.Advance(TimeSpan.FromSeconds(6));
        }
        using (var elsewhere = await Basic(server.From("127.0.0.52"), user.Username, user.Password).GetAsync("/api/v1/auth/me"))
        {
            await elsewhere.ExpectAsync(HttpStatusCode.OK);
        }
        server.Factory.Clock.Advance(TimeSpan.FromDays(1));
        using (var tomorrow = await Basic(server.From("127.0.0.51"), user.Username, user.Password).GetAsync("/api/v1/auth/me"))
        {
            await tomorrow.ExpectAsync(HttpStatusCode.OK);
        }

        Assert.Equal(["127.0.0.51", "127.0.0.51", "127.0.0.52"], await fiscus.QueryAsync<string>("""
            SELECT remote_address FROM audit_log WHERE action = 'auth.basic' AND user_id = @UserId ORDER BY remote_address
            """, new { user.UserId }));
    }

    [Fact]
    public async Task Basic_credentials_used_from_very_many_addresses_record_at_most_a_hundred_new_ones_a_day()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(100));
        var user = await fiscus.UserAsync("cashier");

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < KnownSignInAddresses.MaxNewAddressesPerDay + 5; i++)
            {
                using var response = await Basic(server.From($"127.0.3.{i + 1}"), user.Username, user.Password).GetAsync("/api/v1/auth/me");
                await response.ExpectAsync(HttpStatusCode.OK);
            }
            server.Factory.Clock.Advance(TimeSpan.FromSeconds(6));
        }

        Assert.Equal(KnownSignInAddresses.MaxNewAddressesPerDay, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.basic' AND user_id = @UserId", new { user.UserId }));
    }

    [Fact]
    public async Task Logins_from_very_many_addresses_make_at_most_a_hundred_of_them_known_a_day()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(3));
        var user = await fiscus.UserAsync("cashier");
        var addresses = KnownSignInAddresses.MaxNewAddressesPerDay + 5;
        // Leaked credentials signing in from ever more addresses: each login is a login, but past the day's cap its address
        // is not made known (exempt from a spent username budget, entitled to the known addresses' hashing lane).
        for (var i = 0; i < addresses; i++)
        {
            using var response = await Login(server.From($"127.0.17.{i + 1}"), user.Username, user.Password);
            await response.ExpectAsync(HttpStatusCode.OK);
        }
        // The cap is the day's, however the sign-ins come: Basic from yet another address records nothing.
        using (var basic = await Basic(server.From("127.0.17.200"), user.Username, user.Password).GetAsync("/api/v1/auth/me"))
        {
            await basic.ExpectAsync(HttpStatusCode.OK);
        }
        foreach (var bot in (string[])["127.0.18.1", "127.0.18.2", "127.0.18.3"])
        {
            using var guess = await Login(server.From(bot), user.Username, "a-wrong-guess");
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }

        using var firstAddress = await Login(server.From("127.0.17.1"), user.Username, user.Password);
        using var beyondTheCap = await Login(server.From($"127.0.17.{addresses}"), user.Username, user.Password);

        await firstAddress.ExpectAsync(HttpStatusCode.OK);
        await beyondTheCap.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        var logins = await fiscus.QueryAsync<(string Address, string? Details)>("""
            SELECT remote_address, details::text FROM audit_log WHERE action = 'auth.login' AND user_id = @UserId AND remote_address IS NOT NULL
            """, new { user.UserId });
        Assert.Equal(addresses + 1, logins.Count);
        Assert.Equal([.. Enumerable.Range(KnownSignInAddresses.MaxNewAddressesPerDay + 1, 5).Select(i => $"127.0.17.{i}")],
            logins.Where(l => l.Details is not null).Select(l => l.Address).Order(StringComparer.Ordinal));
        Assert.All(logins.Where(l => l.Details is not null), l => Assert.Equal(KnownSignInAddresses.NotKnownDetails, l.Details));
        Assert.Equal(0, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.basic' AND user_id = @UserId", new { user.UserId }));
    }

    [Fact]
    public async Task A_Basic_sign_in_this_instance_has_forgotten_is_not_recorded_twice_the_same_day()
    {
        // Memory for two (user, address, day) entries: the third address pushes one out, and the day's row is found instead.
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(100),
            services => services.AddSingleton(new SignInCapacity { RememberedBasicSignIns = 2 }));
        var user = await fiscus.UserAsync("cashier");

        for (var round = 0; round < 3; round++)
        {
            foreach (var address in (string[])["127.0.4.1", "127.0.4.2", "127.0.4.3"])
            {
                using var response = await Basic(server.From(address), user.Username, user.Password).GetAsync("/api/v1/auth/me");
                await response.ExpectAsync(HttpStatusCode.OK);
            }
            server.Factory.Clock.Advance(TimeSpan.FromSeconds(6));
        }

        Assert.Equal(["127.0.4.1", "127.0.4.2", "127.0.4.3"], await fiscus.QueryAsync<string>(
            "SELECT remote_address FROM audit_log WHERE action = 'auth.basic' AND user_id = @UserId ORDER BY 1", new { user.UserId }));
    }

    [Fact]
    public async Task The_audit_of_a_flood_is_bounded_and_summarised_once_per_window()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(2));
        var flooder = server.From("127.0.0.61");
        var names = Enumerable.Range(0, 12).Select(_ => fiscus.Unique("flood")).ToArray();

        foreach (var name in names)
        {
            using var response = await Login(flooder, name, "wrong-every-time");
        }
        server.Factory.Clock.Advance(SignInThrottle.Window);
        await server.Factory.Services.GetRequiredService<SignInAudit>().FlushAsync(false, CancellationToken.None);

        Assert.Equal(2, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed' AND remote_address = '127.0.0.61'"));
        var summary = Assert.Single(await fiscus.QueryAsync<string>(
            "SELECT details::text FROM audit_log WHERE action = 'auth.throttled' AND remote_address = '127.0.0.61'"));
        var details = JsonNode.Parse(summary)!;
        Assert.Equal(("address", 10), (details["scope"]!.GetValue<string>(), details["refused"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Verified_Basic_credentials_are_not_hashed_again_until_the_password_changes()
    {
        var user = await NeverSignedInAsync();
        using var hashes = new HashCounter(fiscus.Factory.Services);

        using (var first = await fiscus.WithBasic(user.Username, user.Password).GetAsync("/api/v1/auth/me"))
        {
            await first.ExpectAsync(HttpStatusCode.OK);
        }
        var afterFirst = hashes.Count;
        // Past the 5-second caller cache, many times, and 16 at once: the user row is read, the hash is not computed.
        for (var i = 0; i < 5; i++)
        {
            fiscus.Clock.Advance(TimeSpan.FromSeconds(6));
            using var again = await fiscus.WithBasic(user.Username, user.Password).GetAsync("/api/v1/auth/me");
            await again.ExpectAsync(HttpStatusCode.OK);
        }
        fiscus.Clock.Advance(TimeSpan.FromSeconds(6));
        var burst = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => fiscus.WithBasic(user.Username, user.Password).GetAsync("/api/v1/auth/me")));
        Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var afterMany = hashes.Count;
        // A new password: the remembered one no longer matches the stored hash.
        using (var reset = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/users/{user.UserId}/password", null))
        {
            await reset.ExpectAsync(HttpStatusCode.OK);
        }
        using var old = await fiscus.WithBasic(user.Username, user.Password).GetAsync("/api/v1/auth/me");

        Assert.Equal(1, afterFirst);
        Assert.Equal(afterFirst, afterMany);
        await old.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(afterMany + 1, hashes.Count);
    }

    [Fact]
    public async Task Concurrent_checks_of_the_same_new_credentials_share_one_hash()
    {
        var user = await NeverSignedInAsync();
        using var hashes = new HashCounter(fiscus.Factory.Services);

        var burst = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => fiscus.WithBasic(user.Username, user.Password).GetAsync("/api/v1/auth/me")));

        Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, hashes.Count);
    }

    [Fact]
    public async Task A_flood_of_wrong_passwords_is_turned_away_as_busy_beyond_the_hashing_slots_and_their_queue()
    {
        using var hashes = new HashCounter(fiscus.Factory.Services);

        var flood = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            fiscus.WithBasic("admin", $"flood-guess-{i}").GetAsync("/api/v1/cash_registers")));

        Assert.All(flood, r => Assert.True(r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.ServiceUnavailable, r.StatusCode.ToString()));
        var busy = flood.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(busy);
        await busy[0].ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "busy");
        Assert.Equal("1", busy[0].Headers.GetValues("Retry-After").Single());
        Assert.Equal(flood.Length - busy.Count, hashes.Count);
    }

    [Fact]
    public async Task Failed_token_requests_and_Basic_sign_ins_are_audited_with_who_they_claimed_to_be()
    {
        var client = await fiscus.ClientAsync(["registers:read"]);
        var username = fiscus.Unique("nobody");

        using var token = await fiscus.Anonymous().PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = client.ClientId, ["client_secret"] = "fss_wrong",
        }));
        using var basic = await fiscus.WithBasic(username, "not-a-password").GetAsync("/api/v1/cash_registers");

        Assert.Equal(HttpStatusCode.Forbidden, token.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
        Assert.True(await fiscus.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'auth.token_failed' AND details->>'client_id' = @ClientId)", new { client.ClientId }));
        Assert.True(await fiscus.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'auth.basic_failed' AND details->>'username' = @username)", new { username }));
    }

    [Fact]
    public async Task Token_requests_share_the_address_budget()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(2));
        var client = await fiscus.ClientAsync(["registers:read"]);
        var http = server.From("127.0.0.71");

        var statuses = new List<HttpStatusCode>();
        foreach (var secret in (string[])["fss_wrong1", "fss_wrong2", client.Secret])
        {
            using var response = await http.PostAsync("/api/v1/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = client.ClientId, ["client_secret"] = secret,
            }));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.TooManyRequests], statuses);
    }

    /// <summary>A cashier created by the admin who has not signed in yet (<see cref="FiscusFixture.UserAsync"/> logs in).</summary>
    async Task<(long UserId, string Username, string Password)> NeverSignedInAsync()
    {
        var username = fiscus.Unique("fresh");
        var password = $"{fiscus.Unique("lamp")}-harbour-light";
        using var created = await (await fiscus.AdminAsync()).PostAsync("/api/v1/users", Json.Body(new { username, password, role = "cashier" }));
        return ((await created.ExpectAsync(HttpStatusCode.Created))["user_id"]!.GetValue<long>(), username, password);
    }

    Task<long> CountAsync(string action, string address, string username) => fiscus.ScalarAsync<long>(
        "SELECT count(*) FROM audit_log WHERE action = @action AND remote_address = @address AND details->>'username' = @username",
        new { action, address, username });
}
