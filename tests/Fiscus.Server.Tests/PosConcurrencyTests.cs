namespace Fiscus.Server.Tests;

/// <summary>
/// Sales racing a cash-up land in exactly one session, counted by exactly one cash-up; two cash-ups of one
/// register at once: one wins, the other is told 409. Every class ends with the ledger verifier clean.
/// </summary>
public sealed class PosConcurrencyTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Theory]
    [InlineData("quick")]
    [InlineData("two-phase")]
    public async Task Sales_arriving_while_a_cashup_closes_the_session_land_in_exactly_one_session(string mode)
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        var kiosk = await fiscus.ClientAsync(["sales:write"], cashRegisterId: register);
        var manager = await fiscus.StaffAsync("manager");
        await fiscus.SellAsync(register, 1m, "PRINT", "CARD");

        // Four tills sell without pause; the cash-up runs in the middle of it; selling goes on after it.
        var (sold, cashupStart, cashupEnd, _) = await RaceACashupAsync(4, async (_, minor) =>
        {
            using var response = await kiosk.Http.PostSaleAsync(register, new { debit_type = "COPY", amount = minor / 100m, payment_type = "CARD" });
            return (await response.ExpectAsync(HttpStatusCode.Created))["credit"]!["account_line_id"]!.GetValue<long>();
        }, async () =>
        {
            using var response = mode == "quick"
                ? await manager.Http.PostCashupAsync(register)
                : await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/cashups/start", null);
            return await response.ExpectAsync(HttpStatusCode.Created);
        });
        JsonNode counted;
        using (var complete = await manager.Http.GetEmbeddedAsync($"/api/v1/cash_registers/{register}/cashups?_per_page=1", "fiscus"))
        {
            counted = (await complete.ExpectAsync(HttpStatusCode.OK))[0]!;
        }
        if (mode == "two-phase")
        {
            using var complete = await manager.Http.PostCashupAsync(register);
            counted = await complete.ExpectAsync(HttpStatusCode.Created);
        }
        else
        {
            using var read = await manager.Http.GetEmbeddedAsync($"/api/v1/cashups/{counted["cashup_id"]}", "summary,fiscus");
            counted = await read.ExpectAsync(HttpStatusCode.OK);
        }

        var sessionId = counted["fiscus"]!["register_session_id"]!.GetValue<long>();
        var credits = sold.Select(s => s.Credit).ToArray();
        var sessions = (await fiscus.QueryAsync<(long Credit, long Session)>(
            "SELECT account_line_id, register_session_id FROM account_lines WHERE account_line_id = ANY(@credits)", new { credits }))
            .ToDictionary(s => s.Credit, s => s.Session);
        var live = await fiscus.SessionAsync(register);
        var liveId = live["register_session_id"]!.GetValue<long>();
        Assert.All(sold, s => Assert.True(sessions[s.Credit] == sessionId || sessions[s.Credit] == liveId, $"credit {s.Credit} is in session {sessions[s.Credit]}"));
        // Sales done before the cash-up began are counted by it; sales begun after it ended are in the next session.
        Assert.All(sold.Where(s => s.End < cashupStart), s => Assert.Equal(sessionId, sessions[s.Credit]));
        Assert.All(sold.Where(s => s.Start > cashupEnd), s => Assert.Equal(liveId, sessions[s.Credit]));
        Assert.Contains(sold, s => s.Start > cashupEnd);

        // The frozen count is exactly what the counted session holds, and the rest is exactly the live session.
        var countedMinor = sold.Where(s => sessions[s.Credit] == sessionId).Sum(s => s.Minor);
        Assert.Equal((100 + countedMinor) / 100m, counted["summary"]!.Money("income_total"));
        Assert.Equal(await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE register_session_id = @sessionId", new { sessionId }),
            counted["summary"]!["line_count"]!.GetValue<long>());
        Assert.Equal(sold.Sum(s => s.Minor) - countedMinor, (long)(live["summary"]!.Money("income_total") * 100));
        await fiscus.AssertLedgerConsistentAsync();
    }

    /// <summary>
    /// The intake takes the register's open session in the round trip that locks the account (issue 15): payments racing
    /// a cash-up still land in exactly one session each, the counted one holding exactly what the cash-up counted.
    /// </summary>
    [Fact]
    public async Task Intakes_arriving_while_a_cashup_closes_the_session_land_in_exactly_one_session()
    {
        var register = await fiscus.RegisterAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"], cashRegisterId: register);
        var manager = await fiscus.StaffAsync("manager");
        var patrons = new long[4];
        for (var i = 0; i < patrons.Length; i++)
        {
            patrons[i] = await fiscus.PatronAsync();
        }
        var (paid, cashupStart, cashupEnd, counted) = await RaceACashupAsync(patrons.Length, async (till, minor) =>
        {
            using var response = await kiosk.Http.PostAsync($"/api/v1/patrons/{patrons[till]}/account/payments", Json.Body(
                new { debit_type = "PRINT", amount = minor / 100m, payment_type = "CARD" }));
            return (await response.ExpectAsync(HttpStatusCode.Created))["credit"]!["account_line_id"]!.GetValue<long>();
        }, async () =>
        {
            using var response = await manager.Http.PostCashupAsync(register);
            return await response.ExpectAsync(HttpStatusCode.Created);
        });

        var sessionId = await fiscus.ScalarAsync<long>(
            "SELECT register_session_id FROM cashups WHERE cashup_id = @id", new { id = counted["cashup_id"]!.GetValue<long>() });
        var credits = paid.Select(s => s.Credit).ToArray();
        var sessions = (await fiscus.QueryAsync<(long Credit, long Session)>(
            "SELECT account_line_id, register_session_id FROM account_lines WHERE account_line_id = ANY(@credits)", new { credits }))
            .ToDictionary(s => s.Credit, s => s.Session);
        var liveId = (await fiscus.SessionAsync(register))["register_session_id"]!.GetValue<long>();
        Assert.All(paid, s => Assert.True(sessions[s.Credit] == sessionId || sessions[s.Credit] == liveId, $"credit {s.Credit} is in session {sessions[s.Credit]}"));
        Assert.All(paid.Where(s => s.End < cashupStart), s => Assert.Equal(sessionId, sessions[s.Credit]));
        Assert.All(paid.Where(s => s.Start > cashupEnd), s => Assert.Equal(liveId, sessions[s.Credit]));
        Assert.Contains(paid, s => s.Start > cashupEnd);
        // What the cash-up counted as cash taken is exactly the intakes its session holds.
        var countedMinor = paid.Where(s => sessions[s.Credit] == sessionId).Sum(s => s.Minor);
        Assert.Equal(countedMinor, await fiscus.ScalarAsync<long>(
            "SELECT COALESCE(-sum(amount_minor), 0) FROM account_lines WHERE register_session_id = @sessionId AND credit_type_code = 'PAYMENT'",
            new { sessionId }));
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Two_cashups_of_one_register_at_once_one_wins_the_other_gets_409()
    {
        var manager = await fiscus.StaffAsync("manager");
        var admin = await fiscus.AdminAsync();
        for (var round = 0; round < 8; round++)
        {
            var register = await fiscus.RegisterAsync();
            await fiscus.SellAsync(register, 2m, "PRINT", "CASH");
            var body = new { reconciliations = new[] { new { payment_type = "CASH", counted = 2m } } };
            using var go = new SemaphoreSlim(0);
            var attempts = new[] { manager.Http, admin, manager.Http }.Select(async http =>
            {
                await go.WaitAsync();
                using var response = await http.PostCashupAsync(register, body);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }).ToList();
            go.Release(attempts.Count);
            var results = await Task.WhenAll(attempts);

            Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
            Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.Created), r =>
            {
                Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
                Assert.Matches("\"code\":\"(cashup_in_progress|session_empty)\"", r.Item2);
            });
            Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM cashups WHERE cash_register_id = @register", new { register }));
            Assert.Equal(0, await fiscus.ScalarAsync<int>(
                "SELECT count(*) FROM account_lines WHERE cash_register_id = @register AND (debit_type_code = 'CASHUP_DEFICIT' OR credit_type_code = 'CASHUP_SURPLUS')",
                new { register }));
        }
    }

    [Fact]
    public async Task Two_starts_at_once_one_counts_the_other_gets_409()
    {
        var manager = await fiscus.StaffAsync("manager");
        var admin = await fiscus.AdminAsync();
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, 2m, "PRINT", "CARD");
        using var go = new SemaphoreSlim(0);
        var attempts = new[] { manager.Http, admin }.Select(async http =>
        {
            await go.WaitAsync();
            using var response = await http.PostAsync($"/api/v1/cash_registers/{register}/cashups/start", null);
            return response.StatusCode;
        }).ToList();
        go.Release(2);
        var results = await Task.WhenAll(attempts);
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], results.Order().ToArray());
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM register_sessions WHERE cash_register_id = @register AND status = 'counting'", new { register }));
        Assert.Equal(1, await fiscus.ScalarAsync<int>("SELECT count(*) FROM register_sessions WHERE cash_register_id = @register AND status = 'open'", new { register }));
    }
    [Fact]
    public async Task Sales_racing_an_archive_either_stop_it_or_are_refused()
    {
        var admin = await fiscus.AdminAsync();
        var kiosk = await fiscus.ClientAsync(["sales:write"]);
        for (var round = 0; round < 6; round++)
        {
            var register = await fiscus.RegisterAsync();
            using var go = new SemaphoreSlim(0);
            var sales = Enumerable.Range(0, 8).Select(async _ =>
            {
                await go.WaitAsync();
                using var response = await kiosk.Http.PostSaleAsync(register, new { debit_type = "PRINT", amount = 0.10m, payment_type = "CARD" });
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }).ToList();
            var archive = Task.Run(async () =>
            {
                await go.WaitAsync();
                using var response = await admin.PostAsync($"/api/v1/cash_registers/{register}/archive", null);
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            });
            go.Release(sales.Count + 1);
            var sold = await Task.WhenAll(sales);
            var archived = await archive;

            var lines = await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE cash_register_id = @register", new { register });
            Assert.All(sold, s => Assert.True(s.StatusCode == HttpStatusCode.Created || s.Item2.Contains("\"code\":\"register_archived\"", StringComparison.Ordinal),
                $"{(int)s.StatusCode}: {s.Item2}"));
            if (archived.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal(0, lines);
                Assert.DoesNotContain(sold, s => s.StatusCode == HttpStatusCode.Created);
            }
            else
            {
                Assert.Equal(HttpStatusCode.Conflict, archived.StatusCode);
                Assert.Contains("register_not_cashed_up", archived.Item2, StringComparison.Ordinal);
                Assert.Equal(2 * sold.Count(s => s.StatusCode == HttpStatusCode.Created), lines);
            }
        }
    }

    /// <summary>
    /// <paramref name="tills"/> tills pay without pause (each call gets its till and a new amount in minor units and returns
    /// the credit written); once 20 payments are in, <paramref name="cashup"/> runs, and each till pays five more after it.
    /// </summary>
    static async Task<(IReadOnlyCollection<(long Credit, long Minor, TimeSpan Start, TimeSpan End)> Paid, TimeSpan CashupStart, TimeSpan CashupEnd,
        JsonNode Cashup)> RaceACashupAsync(int tills, Func<int, long, Task<long>> pay, Func<Task<JsonNode>> cashup)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var paid = new System.Collections.Concurrent.ConcurrentBag<(long Credit, long Minor, TimeSpan Start, TimeSpan End)>();
        using var cashupDone = new CancellationTokenSource();
        var sequence = 0;
        async Task PayUntilAsync(int till)
        {
            var after = 0;
            while (after < 5)
            {
                if (cashupDone.IsCancellationRequested)
                {
                    after++;
                }
                var minor = Interlocked.Increment(ref sequence);
                var start = clock.Elapsed;
                var credit = await pay(till, minor);
                paid.Add((credit, minor, start, clock.Elapsed));
            }
        }
        var running = Enumerable.Range(0, tills).Select(till => Task.Run(() => PayUntilAsync(till))).ToList();
        while (paid.Count < 20)
        {
            await Task.Delay(5);
        }
        var cashupStart = clock.Elapsed;
        var counted = await cashup();
        var cashupEnd = clock.Elapsed;
        cashupDone.Cancel();
        await Task.WhenAll(running);
        return (paid, cashupStart, cashupEnd, counted);
    }
}
