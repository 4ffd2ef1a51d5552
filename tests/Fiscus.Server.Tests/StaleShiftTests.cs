namespace Fiscus.Server.Tests;

/// <summary>
/// A shift left open overnight stays open with its shortfall visible (POS Kasir's cron closes it with actual =
/// expected, hiding any shortage): managers list such shifts and close them with the cash they count.
/// </summary>
public sealed class StaleShiftTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    HttpClient SignedIn(string token)
    {
        var http = fiscus.Anonymous();
        http.DefaultRequestHeaders.Add("Cookie", $"access_token={token}");
        return http;
    }

    [Fact]
    public async Task A_shift_left_open_overnight_is_listed_for_a_manager_who_closes_it_with_the_count()
    {
        var register = await fiscus.RegisterAsync();
        var cashier = await fiscus.UserAsync("cashier", "MAIN");
        var manager = await fiscus.UserAsync("manager", "MAIN");
        var till = SignedIn(cashier.Token);
        var shiftId = (await (await till.PostAsync("/api/v1/shifts/start",
            Json.Body(new { start_cash = 2000, password = cashier.Password, cash_register_id = register }))).ExpectAsync(HttpStatusCode.Created))["data"]!["id"]!.GetValue<Guid>();
        await (await till.PostAsync("/api/v1/shifts/cash-transaction",
            Json.Body(new { type = "cash_in", amount = 500, category = "deposit" }))).ExpectAsync(HttpStatusCode.Created);
        using (var today = await SignedIn(manager.Token).GetAsync("/api/v1/shifts/stale"))
        {
            Assert.Empty((await today.ExpectAsync(HttpStatusCode.OK))["data"]!.AsArray());
        }

        // The next day (MAIN runs on UTC in the tests); everyone signs in again.
        fiscus.Clock.Advance(TimeSpan.FromHours(25));
        var office = SignedIn(await fiscus.LoginAsync(manager.Username, manager.Password));
        till = SignedIn(await fiscus.LoginAsync(cashier.Username, cashier.Password));

        using (var stale = await office.GetAsync("/api/v1/shifts/stale"))
        {
            var listed = Assert.Single((await stale.ExpectAsync(HttpStatusCode.OK))["data"]!.AsArray())!;
            Assert.Equal((shiftId, "open", 2500L, cashier.Username), (listed["id"]!.GetValue<Guid>(), listed["status"]!.GetValue<string>(),
                listed["expected_cash"]!.GetValue<long>(), listed["username"]!.GetValue<string>()));
            // The register's books held nothing when the cashier declared 20.00 (a Fiscus extension beside the seed's fields).
            Assert.Equal((0L, 2000L), (listed["books_cash_start"]!.GetValue<long>(), listed["opening_difference"]!.GetValue<long>()));
        }
        // Nothing closed it behind anyone's back.
        using (var active = await till.GetAsync("/api/v1/shifts/active"))
        {
            Assert.Equal(shiftId, (await active.ExpectAsync(HttpStatusCode.OK))["data"]!["id"]!.GetValue<Guid>());
        }

        // Only someone who cashes up may close another's shift, with their own password.
        using (var byCashier = await till.PostAsync($"/api/v1/shifts/{shiftId}/end", Json.Body(new { password = cashier.Password, actual_cash_end = 2500 })))
        {
            Assert.Equal(HttpStatusCode.Forbidden, byCashier.StatusCode);
        }
        using (var wrong = await office.PostAsync($"/api/v1/shifts/{shiftId}/end", Json.Body(new { password = cashier.Password, actual_cash_end = 2400 })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var closed = await office.PostAsync($"/api/v1/shifts/{shiftId}/end", Json.Body(new { password = manager.Password, actual_cash_end = 2400 }));
        var shift = (await closed.ExpectAsync(HttpStatusCode.OK))["data"]!;
        Assert.Equal(("closed", 2500L, 2400L, -100L), (shift["status"]!.GetValue<string>(), shift["expected_cash_end"]!.GetValue<long>(),
            shift["actual_cash_end"]!.GetValue<long>(), shift["difference"]!.GetValue<long>()));
        // By the books the drawer should hold the 5.00 paid in: the manager's count is 19.00 over them.
        Assert.Equal((500L, 1900L), (shift["books_cash_end"]!.GetValue<long>(), shift["books_difference"]!.GetValue<long>()));
        Assert.Equal(manager.UserId, await fiscus.ScalarAsync<long>("SELECT ended_by_user_id FROM shifts WHERE shift_id = @shiftId", new { shiftId }));
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM audit_log WHERE action = 'shift.end_by_manager' AND entity_id = @id",
            new { id = shiftId.ToString() }));

        using (var again = await office.PostAsync($"/api/v1/shifts/{shiftId}/end", Json.Body(new { password = manager.Password, actual_cash_end = 2400 })))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
        using var none = await office.GetAsync("/api/v1/shifts/stale");
        Assert.Empty((await none.ExpectAsync(HttpStatusCode.OK))["data"]!.AsArray());
        // A closed shift never changes, not even by hand.
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            fiscus.ScalarAsync<int>("UPDATE shifts SET actual_cash_end_minor = 2500 WHERE shift_id = @shiftId RETURNING 1", new { shiftId }));
    }
}
