using System.Collections.Concurrent;
using Fiscus.Server.Auth;
using Microsoft.Extensions.DependencyInjection;
using static Fiscus.Server.Tests.Infrastructure.SignInRequests;

namespace Fiscus.Server.Tests;

/// <summary>
/// What floods of sign-ins from many addresses must not do, on real Kestrel with clients on distinct loopback
/// addresses (after a hostile review's scripts): lock the real user out of every path, turn them away as busy, or
/// hide the guessing of an account from the audit log.
/// </summary>
public sealed class SignInFloodTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task Busy_answers_and_a_full_table_of_budgets_do_not_lock_the_admin_out_at_their_desk()
    {
        // Room for 50 budgets instead of 50,000, so a few hundred requests reach the bound that 50,000 would.
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(10),
            services => services.AddSingleton(new SignInCapacity { ExactBudgets = 50 }));
        var admin = await fiscus.UserAsync("admin");
        using (var desk = await Login(server.From("127.0.6.100"), admin.Username, admin.Password))
        {
            await desk.ExpectAsync(HttpStatusCode.OK);
        }
        server.Factory.Clock.Advance(SignInThrottle.Window);

        // Forty addresses, wrong passwords for fresh names, all at once: most are turned away as busy (503), which once
        // left a budget per name behind and filled the table for free.
        var flood = await Task.WhenAll(Enumerable.Range(0, 40).Select(async k =>
        {
            var http = server.From($"127.0.7.{k + 1}");
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 10; i++)
            {
                using var response = await Login(http, $"flood-{k}-{i}", "wrong-password");
                statuses.Add(response.StatusCode);
            }
            return statuses;
        }));
        // Ten wrong client secrets from ten fresh addresses in the admin's own network.
        var tokens = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var token = await Token(server.From($"127.0.6.{i + 1}"), "no-such-client", "fss_wrong");
            tokens.Add(token.StatusCode);
        }

        using var atTheDesk = await Login(server.From("127.0.6.100"), admin.Username, admin.Password);
        using var basicAtTheDesk = await Basic(server.From("127.0.6.100"), admin.Username, admin.Password).GetAsync("/api/v1/auth/me");
        using var strangerInTheNetwork = await Login(server.From("127.0.6.101"), admin.Username, "a-guess");

        Assert.Contains(HttpStatusCode.ServiceUnavailable, flood.SelectMany(s => s));
        await atTheDesk.ExpectAsync(HttpStatusCode.OK);
        await basicAtTheDesk.ExpectAsync(HttpStatusCode.OK);
        // Fresh addresses were not refused for what others did; but the full table counts that network as one, so a
        // stranger in it is held to the network's spent budget.
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Forbidden, 10)], tokens);
        await strangerInTheNetwork.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
    }

    [Fact]
    public async Task During_a_flood_of_wrong_passwords_the_user_at_a_known_address_and_a_remembered_integration_get_in()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database);
        var admin = await fiscus.UserAsync("admin");
        var integration = await fiscus.UserAsync("manager");
        using (var desk = await Login(server.From("127.0.10.1"), admin.Username, admin.Password))
        {
            await desk.ExpectAsync(HttpStatusCode.OK);
        }
        // The desk stays a known address for 30 days; the password is no longer remembered after an hour unused, so the
        // admin's next sign-in needs a hash.
        server.Factory.Clock.Advance(VerifiedPasswords.Lifetime + TimeSpan.FromMinutes(1));
        using (var first = await Basic(server.From("127.0.10.2"), integration.Username, integration.Password).GetAsync("/api/v1/auth/me"))
        {
            await first.ExpectAsync(HttpStatusCode.OK);
        }

        // Sixty addresses guessing the admin's password as fast as they can: every shared hashing slot and its queue full.
        using var stop = new CancellationTokenSource();
        var answers = new ConcurrentDictionary<HttpStatusCode, int>();
        var flood = Enumerable.Range(0, 60).Select(k => Task.Run(async () =>
        {
            var http = server.From($"127.0.11.{k + 1}");
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                using var response = await Login(http, admin.Username, $"guess-{k}-{i}");
                answers.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));

        // The admin at their desk: in at once, or after a retry or two at most.
        var tries = new List<HttpStatusCode>();
        while (tries.Count < 3 && !tries.Contains(HttpStatusCode.OK))
        {
            using var attempt = await Login(server.From("127.0.10.1"), admin.Username, admin.Password);
            tries.Add(attempt.StatusCode);
        }
        // The integration, used every forty minutes for two hours: still remembered (its memory slides), so no hash to wait for.
        var integrationAnswers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            server.Factory.Clock.Advance(TimeSpan.FromMinutes(40));
            using var response = await Basic(server.From("127.0.10.2"), integration.Username, integration.Password).GetAsync("/api/v1/auth/me");
            integrationAnswers.Add(response.StatusCode);
        }
        await stop.CancelAsync();
        await Task.WhenAll(flood);
        using var hashes = new HashCounter(server.Factory.Services);
        for (var i = 0; i < 2; i++)
        {
            server.Factory.Clock.Advance(TimeSpan.FromMinutes(40));
            using var response = await Basic(server.From("127.0.10.2"), integration.Username, integration.Password).GetAsync("/api/v1/auth/me");
            integrationAnswers.Add(response.StatusCode);
        }

        Assert.True(answers.GetValueOrDefault(HttpStatusCode.ServiceUnavailable) > 0, string.Join(", ", answers));
        Assert.True(tries.Contains(HttpStatusCode.OK), $"{string.Join(", ", tries)}; flood: {string.Join(", ", answers)}");
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5)], integrationAnswers);
        Assert.Equal(0, hashes.Count);
    }

    [Fact]
    public async Task One_users_credentials_flooded_from_their_known_addresses_do_not_take_another_users_lane()
    {
        // A budget nobody spends here: this is about hashing slots, not the throttle.
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(100_000));
        var cashier = await fiscus.UserAsync("cashier");
        var manager = await fiscus.UserAsync("manager");
        // The cashier's password (leaked) signs in from twelve addresses, which makes each of them known for the cashier.
        var cashierAddresses = Enumerable.Range(0, 12).Select(i => server.From($"127.0.14.{i + 1}")).ToArray();
        foreach (var http in cashierAddresses)
        {
            using var signedIn = await Login(http, cashier.Username, cashier.Password);
            await signedIn.ExpectAsync(HttpStatusCode.OK);
        }
        using (var desk = await Login(server.From("127.0.15.1"), manager.Username, manager.Password))
        {
            await desk.ExpectAsync(HttpStatusCode.OK);
        }
        // An hour idle (or a restart): the manager's password is no longer remembered, so their next sign-in needs a hash.
        server.Factory.Clock.Advance(VerifiedPasswords.Lifetime + TimeSpan.FromMinutes(1));

        // Wrong cashier passwords from the cashier's known addresses, and names that are no one's from strangers: enough to
        // keep the shared slots, their queue and the known addresses' lane full.
        using var stop = new CancellationTokenSource();
        var answers = new ConcurrentDictionary<string, int>();
        async Task FloodAsync(string tag, Func<int, HttpClient> from, string username, int k)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                using var response = await Login(from(i), username, $"wrong-{k}-{i}");
                answers.AddOrUpdate($"{tag} {(int)response.StatusCode}", 1, (_, n) => n + 1);
            }
        }
        var strangers = Enumerable.Range(0, 200).Select(i => server.From($"127.0.16.{i + 1}")).ToArray();
        var flood = Enumerable.Range(0, 24).Select(k => Task.Run(() => FloodAsync("stranger", i => strangers[((k * 7) + i) % strangers.Length], "no body", k)))
            .Concat(Enumerable.Range(0, 20).Select(k => Task.Run(() =>
                FloodAsync("cashier", i => cashierAddresses[(k + i) % cashierAddresses.Length], cashier.Username, k))))
            .ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));

        // The manager at their desk, with the right password: in at once, or after a retry or two at most.
        var tries = new List<HttpStatusCode>();
        while (tries.Count < 3 && !tries.Contains(HttpStatusCode.OK))
        {
            using var attempt = await Login(server.From("127.0.15.1"), manager.Username, manager.Password);
            tries.Add(attempt.StatusCode);
        }
        await stop.CancelAsync();
        await Task.WhenAll(flood);

        var seen = string.Join(", ", answers.OrderBy(a => a.Key, StringComparer.Ordinal));
        Assert.True(answers.GetValueOrDefault("stranger 503") > 0, seen);
        Assert.True(tries.Contains(HttpStatusCode.OK), $"{string.Join(", ", tries)}; flood: {seen}");
    }

    [Fact]
    public async Task After_a_thousand_cheap_failures_ten_guesses_at_the_admin_still_leave_rows_naming_the_admin()
    {
        await using var server = RealServer.Start(fiscus.Factory.Database, Budget(10));
        var admin = await fiscus.UserAsync("admin");
        // A hundred addresses, ten wrong client secrets each: cheap checks that use up the window's 1,000 failure rows.
        await Task.WhenAll(Enumerable.Range(0, 100).Select(async k =>
        {
            var http = server.From($"127.0.12.{k + 1}");
            for (var i = 0; i < 10; i++)
            {
                using var token = await Token(http, $"decoy{k}", $"fss_wrong{i}");
                Assert.Equal(HttpStatusCode.Forbidden, token.StatusCode);
            }
        }));
        // The real attack: one guess at the admin from each of ten addresses.
        for (var i = 0; i < 10; i++)
        {
            using var guess = await Login(server.From($"127.0.13.{i + 1}"), admin.Username, $"real-guess-{i}");
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }
        server.Factory.Clock.Advance(SignInThrottle.Window);
        await server.Factory.Services.GetRequiredService<SignInAudit>().FlushAsync(false, CancellationToken.None);

        // The lock-out of the admin's name has room of its own, and the summary names it, how often and from how many places.
        Assert.Equal(1, await fiscus.ScalarAsync<long>("""
            SELECT count(*) FROM audit_log WHERE action = 'auth.locked_out' AND details->>'scope' = 'username' AND details->>'value' = lower(@Username)
            """, new { admin.Username }));
        var summary = JsonNode.Parse(Assert.Single(await fiscus.QueryAsync<string>("""
            SELECT details::text FROM audit_log WHERE action = 'auth.throttled' AND details->>'scope' = 'username' AND details->>'value' = lower(@Username)
            """, new { admin.Username })))!;
        Assert.Equal((10, 10, 10), (summary["failures"]!.GetValue<int>(), summary["unrecorded"]!.GetValue<int>(), summary["addresses"]!.GetValue<int>()));
        // The decoys had the failure rows' cap to themselves: their lock-outs did not eat into it.
        Assert.Equal(1000, await fiscus.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'auth.token_failed' AND details->>'client_id' LIKE 'decoy%'"));
    }
}
