using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Microsoft.AspNetCore.Http;

namespace Fiscus.Server.Tests;

/// <summary>
/// The sign-in throttle's table of budgets at its bounds, driven directly (fifty thousand attempts take a second here,
/// minutes over HTTP), with the known addresses read from a real audit log: only failures take room, and a full table
/// falls back to networks and hashed shares that never refuse the real user at an address they signed in from.
/// </summary>
public sealed class SignInBudgetsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    const string AdminDesk = "192.0.2.10";

    [Fact]
    public async Task Fifty_thousand_cheap_attempts_leave_no_budget_behind_and_lock_no_one_out()
    {
        var throttle = await NewThrottleAsync(new SignInCapacity());
        // What a 503 'busy' attempt was (a failure reserved, no hashing slot, given back): 50,000 fresh usernames from one
        // address filled the table, and ten failures from ten more addresses then spent the one budget every newcomer shared.
        for (var i = 0; i < 50_000; i++)
        {
            throttle.Release(throttle.Reserve(From("203.0.113.7", $"nobody{i}"), default)!);
        }
        for (var i = 0; i < 10; i++)
        {
            throttle.Failed(throttle.Reserve(From($"198.51.100.{i + 1}", null), default)!);
        }

        Assert.Null(await throttle.CheckAsync(From(AdminDesk, "admin"), CancellationToken.None));
        Assert.NotNull(throttle.Reserve(From(AdminDesk, null), default));
        Assert.NotNull(throttle.Reserve(From("192.0.2.77", null), default));
    }

    [Fact]
    public async Task A_full_table_counts_fresh_addresses_by_network_and_never_refuses_a_known_pair_through_it()
    {
        var throttle = await NewThrottleAsync(new SignInCapacity { ExactBudgets = 100, PrefixBudgets = 4, OverflowBuckets = 8 });
        var admin = await AdminStandingAsync(throttle, AdminDesk);
        // Real failures from 100 addresses take every exact budget.
        for (var i = 0; i < 100; i++)
        {
            throttle.Failed(throttle.Reserve(From($"203.0.{i / 250}.{(i % 250) + 1}", null), default)!);
        }
        // Ten more from the admin's own network: now counted under 192.0.2.0/24, which they spend.
        for (var i = 0; i < 10; i++)
        {
            throttle.Failed(throttle.Reserve(From($"192.0.2.{100 + i}", null), default)!);
        }

        // A stranger in that network is refused, with or without a username; the admin at their desk is not, and gets an
        // exact budget of their own (room kept for known pairs), to which they are held.
        Assert.NotNull(await throttle.CheckAsync(From("192.0.2.200", null), CancellationToken.None));
        Assert.NotNull(await throttle.CheckAsync(From("192.0.2.200", "admin"), CancellationToken.None));
        Assert.Null(await throttle.CheckAsync(From(AdminDesk, "admin"), CancellationToken.None));
        var reservation = throttle.Reserve(From(AdminDesk, "admin"), admin)!;
        Assert.All(reservation.Budgets, b => Assert.Equal(BudgetTier.Exact, b.Tier));
        throttle.Release(reservation);
        // Another network has a budget of its own, not one shared by everyone the table had no room for.
        Assert.Null(await throttle.CheckAsync(From("198.51.100.1", "admin"), CancellationToken.None));
        Assert.Equal(BudgetTier.Prefix, throttle.Reserve(From("198.51.100.1", null), default)!.Budgets.Single().Tier);
    }

    [Fact]
    public async Task A_given_back_reservation_leaves_no_budget_and_a_failure_leaves_one()
    {
        var throttle = await NewThrottleAsync(new SignInCapacity { ExactBudgets = 2 });

        throttle.Release(throttle.Reserve(From("203.0.113.1", "someone"), default)!);
        throttle.Release(throttle.Reserve(From("203.0.113.2", "someone-else"), default)!);
        var failed = throttle.Reserve(From("203.0.113.3", null), default)!;
        throttle.Failed(failed);
        var next = throttle.Reserve(From("203.0.113.4", null), default)!;

        // Two budgets of room: the given-back attempts took none, the failure one, the next attempt the last.
        Assert.Equal(BudgetTier.Exact, failed.Budgets.Single().Tier);
        Assert.Equal(BudgetTier.Exact, next.Budgets.Single().Tier);
        throttle.Failed(next);
        Assert.Equal(BudgetTier.Prefix, throttle.Reserve(From("203.0.113.5", null), default)!.Budgets.Single().Tier);
    }

    [Fact]
    public async Task A_known_pair_that_fails_loses_the_known_lane_until_the_window_ends_but_not_its_exemption()
    {
        var throttle = await NewThrottleAsync(new SignInCapacity());
        var atTheDesk = await AdminStandingAsync(throttle, AdminDesk);
        throttle.Failed(throttle.Reserve(From(AdminDesk, "admin"), atTheDesk)!);
        var afterAFailure = await AdminStandingAsync(throttle, AdminDesk);
        // Nine guesses from elsewhere spend the admin's budget: the desk, failed or not, is still let through to a check.
        for (var i = 0; i < 9; i++)
        {
            throttle.Failed(throttle.Reserve(From($"198.51.100.{i + 1}", "admin"), await AdminStandingAsync(throttle, $"198.51.100.{i + 1}"))!);
        }
        var refusalAtTheDesk = await throttle.CheckAsync(From(AdminDesk, "admin"), CancellationToken.None);
        clock.Advance(SignInThrottle.Window);
        var nextWindow = await AdminStandingAsync(throttle, AdminDesk);

        Assert.Equal(new AttemptStanding(true, KnownPair: true, KnownLane: true), atTheDesk);
        Assert.Equal(new AttemptStanding(true, KnownPair: true, KnownLane: false), afterAFailure);
        Assert.Null(refusalAtTheDesk);
        Assert.Equal(new AttemptStanding(true, KnownPair: true, KnownLane: true), nextWindow);
    }

    /// <summary>The clock of the throttle a test makes (xUnit makes an instance of the class per test).</summary>
    readonly TestClock clock = new();

    /// <summary>A throttle of its own (budget 10) over this class's audit log, where the admin signed in from <see cref="AdminDesk"/>.</summary>
    async Task<SignInThrottle> NewThrottleAsync(SignInCapacity capacity)
    {
        clock.AdvanceToAFreshWindow();
        await fiscus.ScalarAsync<int>("""
            INSERT INTO audit_log (occurred_at, user_id, actor, action, entity, entity_id, remote_address)
            SELECT now(), user_id, 'admin', 'auth.login', 'staff_user', user_id::text, @AdminDesk FROM staff_users WHERE username = 'admin'
            RETURNING 1
            """, new { AdminDesk });
        var options = new FiscusOptions { Database = "unused", Currency = Fiscus.Ledger.Money.Currency.Usd, DefaultTimeZone = "UTC" };
        return new SignInThrottle(options, clock, new KnownSignInAddresses(fiscus.Db, clock, capacity), capacity);
    }

    static async Task<AttemptStanding> AdminStandingAsync(SignInThrottle throttle, string address) =>
        await throttle.StandingAsync(From(address, "admin"), namesUser: true, CancellationToken.None);

    static SignInSubject From(string address, string? username)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return SignInSubject.Of(http, username);
    }
}
