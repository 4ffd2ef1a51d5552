using Dapper;
namespace Fiscus.Server.Tests;

/// <summary>Register sessions and cash-ups: the live session, quick and two-phase cash-ups, reconciliation lines.</summary>
public sealed class CashupTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    [Fact]
    public async Task The_live_session_shows_float_takings_payouts_expected_cash_and_bankable()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 100m);
        await fiscus.SellAsync(register, 2.50m, "PRINT", "CASH");
        await fiscus.SellAsync(register, 4.00m, "COPY", "CARD");
        var sold = await fiscus.SellAsync(register, 1.20m, "COPY", "CASH");
        var patron = await fiscus.PatronAsync();
        var fee = await fiscus.DebitAsync(patron, 7m, "OVERDUE");
        using (var paid = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 7m, payment_type = "CASH", cash_register_id = register })))
        {
            await paid.ExpectAsync(HttpStatusCode.Created);
        }
        using (var refund = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/cash_registers/{register}/refunds",
                   Json.Body(new { account_line_id = sold["debits"]![0]!["account_line_id"]!.GetValue<long>(), amount = 0.20m })))
        {
            await refund.ExpectAsync(HttpStatusCode.Created);
        }

        var session = await fiscus.SessionAsync(register);
        var summary = session["summary"]!;
        Assert.Equal("open", session["status"]!.GetValue<string>());
        Assert.Equal(100m, summary.Money("float"));
        Assert.Null(summary["to_date"]);
        Assert.Equal(14.70m, summary.Money("income_total"));
        Assert.Equal(0.20m, summary.Money("payout_total"));
        Assert.Equal(14.50m, summary.Money("total"));
        var cash = summary.PaymentType("CASH");
        Assert.Equal((3L, 10.70m, 1L, 0.20m, 10.50m), (cash["income_count"]!.GetValue<long>(), cash.Money("income"),
            cash["payout_count"]!.GetValue<long>(), cash.Money("payouts"), cash.Money("total")));
        Assert.Equal(4.00m, summary.PaymentType("CARD").Money("total"));
        Assert.True(cash["counts_as_cash"]!.GetValue<bool>());
        Assert.False(summary.PaymentType("CARD")["counts_as_cash"]!.GetValue<bool>());
        Assert.Equal(110.50m, summary.Money("expected_cash_in_drawer"));
        Assert.Equal(10.50m, summary.Money("bankable"));
        // Koha's order: by the debit type's description (Overdue fine, Photocopy, Printing).
        Assert.Equal([("OVERDUE", 7.00m), ("COPY", 5.20m), ("PRINT", 2.50m)],
            summary["income_grouped"]!.AsArray().Select(g => (g!["debit_type_code"]!.GetValue<string>(), g.Money("total"))).ToArray());
        Assert.Equal(1, summary["payouts"]!["count"]!.GetValue<long>());

        // The session's lines are paged with Koha's headers; the patron's unpaid debit is not journaled to the register.
        Assert.DoesNotContain(session["lines"]!.AsArray(), l => l!["account_line_id"]!.GetValue<long>() == fee["account_line_id"]!.GetValue<long>());
        using var page = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/cash_registers/{register}/session?_per_page=2&_page=2");
        var second = await page.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, second["lines"]!.AsArray().Count);
        Assert.Equal(summary["line_count"]!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture),
            page.Headers.GetValues("X-Total-Count").Single());
    }

    [Fact]
    public async Task A_quick_cashup_closes_the_session_records_the_count_and_starts_a_new_one()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 50m);
        var manager = await fiscus.StaffAsync("manager");
        await fiscus.SellAsync(register, 10m, "PRINT", "CASH");
        await fiscus.SellAsync(register, 5m, "COPY", "CARD");
        var before = await fiscus.SessionAsync(register);

        using var response = await manager.Http.PostCashupAsync(register, new
        {
            reconciliations = new object[] { new { payment_type = "CASH", counted = 10m }, new { payment_type = "CARD", counted = 5m } },
            note = "Evening count",
        });
        var cashup = await response.ExpectAsync(HttpStatusCode.Created);

        Assert.Equal(register, cashup["cash_register_id"]!.GetValue<int>());
        Assert.Equal(manager.UserId, cashup["manager_id"]!.GetValue<long>());
        Assert.Equal(15m, cashup.Money("amount"));
        // Koha's keys, and (the answer to a cash-up embeds everything) Fiscus's own facts under fiscus.
        var fiscusFacts = cashup["fiscus"]!;
        Assert.Equal("completed", fiscusFacts["status"]!.GetValue<string>());
        Assert.Equal("Evening count", fiscusFacts["note"]!.GetValue<string>());
        Assert.NotNull(cashup["timestamp"]);
        Assert.All(fiscusFacts["reconciliations"]!.AsArray(), r => Assert.Null(r!["account_line_id"]));
        Assert.Equal([0m, 0m], fiscusFacts["reconciliations"]!.AsArray().Select(r => r!.Money("difference")).ToArray());
        Assert.Equal($"/api/v1/cashups/{cashup["cashup_id"]}", response.Headers.Location!.OriginalString);
        Assert.Equal(before["register_session_id"]!.GetValue<long>(), fiscusFacts["register_session_id"]!.GetValue<long>());

        // The summary is Koha's shape, frozen, with to_date set.
        var summary = cashup["summary"]!;
        Assert.Equal(15m, summary.Money("income_total"));
        Assert.Equal(15m, summary.Money("total"));
        Assert.NotNull(summary["to_date"]);
        foreach (var field in new[] { "from_date", "income_grouped", "payout_grouped", "payout_total", "total_grouped", "reconciliations" })
        {
            Assert.True(summary.AsObject().ContainsKey(field), field);
        }

        // A new, empty session with the register's float.
        var after = await fiscus.SessionAsync(register);
        Assert.NotEqual(before["register_session_id"]!.GetValue<long>(), after["register_session_id"]!.GetValue<long>());
        Assert.Equal(0, after["summary"]!["line_count"]!.GetValue<long>());
        Assert.Equal(50m, after["summary"]!.Money("expected_cash_in_drawer"));
        Assert.Empty(after["lines"]!.AsArray());

        // Nothing to count now.
        using var empty = await manager.Http.PostCashupAsync(register);
        await empty.ExpectProblemAsync(HttpStatusCode.Conflict, "session_empty");
    }

    [Fact]
    public async Task Surplus_and_deficit_are_journaled_as_lines_with_their_notes_in_the_counted_session()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 20m);
        await fiscus.SellAsync(register, 20m, "PRINT", "CASH");
        await fiscus.SellAsync(register, 8m, "COPY", "SIP00");

        var cashup = await fiscus.CashupAsync(register, new
        {
            reconciliations = new object[]
            {
                new { payment_type = "CASH", counted = 25m, note = "  found a fiver under the till  " },
                new { payment_type = "SIP00", counted = 7.50m, note = "   " },
            },
        });

        var lines = cashup["fiscus"]!["reconciliations"]!.AsArray().ToDictionary(r => r!["payment_type"]!.GetValue<string>(), r => r!);
        Assert.Equal((20m, 25m, 5m), (lines["CASH"].Money("expected"), lines["CASH"].Money("counted"), lines["CASH"].Money("difference")));
        Assert.Equal("found a fiver under the till", lines["CASH"]["note"]!.GetValue<string>());
        Assert.Equal(-0.50m, lines["SIP00"].Money("difference"));
        Assert.Null(lines["SIP00"]["note"]);
        Assert.Equal(32.50m, cashup.Money("amount"));

        var surplus = await fiscus.QueryAsync<(string? Credit, string? Debit, long Amount, long Outstanding, string PaymentType, int Register, long Session, string? Note, long? Patron)>(
            """
            SELECT credit_type_code, debit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id, register_session_id,
                   internal_note, patron_id
            FROM account_lines WHERE account_line_id = ANY(@ids) ORDER BY payment_type
            """,
            new { ids = new[] { lines["CASH"]["account_line_id"]!.GetValue<long>(), lines["SIP00"]["account_line_id"]!.GetValue<long>() } });
        var session = cashup["fiscus"]!["register_session_id"]!.GetValue<long>();
        // Unlike Koha's fork (outstanding 0 with no offset to say why), a difference stays an unapplied line of the
        // register, never of a patron: outstanding is always what the offsets leave.
        Assert.Equal(("CASHUP_SURPLUS", (string?)null, -500L, -500L, "CASH", register, session, "found a fiver under the till", (long?)null), surplus[0]);
        Assert.Equal(((string?)null, "CASHUP_DEFICIT", 50L, 50L, "SIP00", register, session, (string?)null, (long?)null), surplus[1]);

        // Differences are reconciliations, not income or payouts.
        var summary = cashup["summary"]!;
        Assert.Equal(28m, summary.Money("income_total"));
        Assert.Equal(0m, summary.Money("payout_total"));
        Assert.Equal(2, summary["reconciliations"]!.AsArray().Count);
        await fiscus.AssertLedgerConsistentAsync();
    }

    [Fact]
    public async Task Cash_that_moved_must_be_counted_and_each_payment_type_counted_once()
    {
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, 3m, "PRINT", "CASH");
        var admin = await fiscus.AdminAsync();

        using var uncounted = await admin.PostCashupAsync(register, new { reconciliations = Array.Empty<object>() });
        Assert.NotNull((await uncounted.ExpectAsync(HttpStatusCode.BadRequest))["errors"]!["reconciliations"]);
        using var twice = await admin.PostCashupAsync(register, new
        {
            reconciliations = new object[] { new { payment_type = "CASH", counted = 3m }, new { payment_type = "CASH", counted = 3m } },
        });
        await twice.ExpectAsync(HttpStatusCode.BadRequest);
        using var unknown = await admin.PostCashupAsync(register, new
        {
            reconciliations = new object[] { new { payment_type = "CASH", counted = 3m }, new { payment_type = "GOLD", counted = 1m } },
        });
        await unknown.ExpectAsync(HttpStatusCode.BadRequest);
        using var fraction = await admin.PostCashupAsync(register, new { reconciliations = new object[] { new { payment_type = "CASH", counted = 3.001m } } });
        await fraction.ExpectAsync(HttpStatusCode.BadRequest);
        using var nothing = await admin.PostAsync($"/api/v1/cash_registers/{register}/cashups", Json.Raw("{\"reconciliations\":[null]}"));
        Assert.NotNull((await nothing.ExpectAsync(HttpStatusCode.BadRequest))["errors"]!["reconciliations[0]"]);

        Assert.Equal(0, await fiscus.ScalarAsync<int>("SELECT count(*) FROM cashups WHERE cash_register_id = @register", new { register }));
        Assert.Equal("open", (await fiscus.SessionAsync(register))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_note_can_be_required_for_any_difference_by_configuration()
    {
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, 3m, "PRINT", "CASH");
        await using var strict = new FiscusFactory(fiscus.Factory.Database,
            new Dictionary<string, string?> { ["FISCUS_CASHUP_NOTE_REQUIRED"] = "true" });
        // Two instances of Fiscus on one database keep one time between them (the database refuses a session counted well
        // before it opened), and the class's clock may have been moved on.
        strict.Clock.Advance(fiscus.Clock.GetUtcNow() - strict.Clock.GetUtcNow());
        var http = strict.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", await fiscus.LoginAsync("admin", FiscusFactory.AdminPassword));

        using var noNote = await http.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 2m } } });
        Assert.NotNull((await noNote.ExpectAsync(HttpStatusCode.BadRequest))["errors"]!["reconciliations[0].note"]);
        using var blank = await http.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 2m, note = " " } } });
        await blank.ExpectAsync(HttpStatusCode.BadRequest);
        using var noted = await http.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 2m, note = "short" } } });
        await noted.ExpectAsync(HttpStatusCode.Created);

        // Without the setting a difference needs no note; with it, a balanced count needs none either.
        await fiscus.SellAsync(register, 3m, "PRINT", "CASH");
        using var balanced = await http.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 3m } } });
        await balanced.ExpectAsync(HttpStatusCode.Created);
        await fiscus.SellAsync(register, 3m, "PRINT", "CASH");
        await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 1m } } });
    }

    [Fact]
    public async Task Two_phase_cashup_sales_while_counting_fall_in_the_next_session()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 30m);
        var manager = await fiscus.StaffAsync("manager");
        var admin = await fiscus.AdminAsync();
        await fiscus.SellAsync(register, 5m, "PRINT", "CASH");
        var counted = await fiscus.SessionAsync(register);

        using var start = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/cashups/start", null);
        var started = await start.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("counting", started["fiscus"]!["status"]!.GetValue<string>());
        // Koha's amount is a number: while counting, what the session's lines say (it takes no more money).
        Assert.Equal(5m, started.Money("amount"));
        Assert.Equal(counted["register_session_id"]!.GetValue<long>(), started["fiscus"]!["register_session_id"]!.GetValue<long>());
        using (var twice = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/cashups/start", null))
        {
            await twice.ExpectProblemAsync(HttpStatusCode.Conflict, "cashup_in_progress");
        }

        // Selling goes on, into a new session; the count in progress does not move.
        fiscus.Clock.Advance(TimeSpan.FromMinutes(20));
        await fiscus.SellAsync(register, 8m, "COPY", "CASH");
        var live = await fiscus.SessionAsync(register);
        Assert.NotEqual(counted["register_session_id"]!.GetValue<long>(), live["register_session_id"]!.GetValue<long>());
        Assert.Equal(8m, live["summary"]!.Money("income_total"));
        using (var preview = await admin.GetEmbeddedAsync($"/api/v1/cashups/{started["cashup_id"]}", "summary,fiscus"))
        {
            var inProgress = await preview.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal("counting", inProgress["fiscus"]!["status"]!.GetValue<string>());
            Assert.Equal(5m, inProgress["summary"]!.Money("income_total"));
        }
        // Money cannot be journaled into the session being counted, even by hand.
        var exception = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => fiscus.ScalarAsync<long>("""
            INSERT INTO account_lines (credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                       register_session_id, interface, posted_at)
            VALUES ('PURCHASE', -100, 0, 'CASH', @register, @session, 'test', now()) RETURNING account_line_id
            """, new { register, session = counted["register_session_id"]!.GetValue<long>() }));
        Assert.Equal("FL003", exception.SqlState);

        // Completing reconciles the counted session only; its window ends where counting started.
        fiscus.Clock.Advance(TimeSpan.FromMinutes(20));
        using var complete = await manager.Http.PostCashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 5m } } });
        var done = await complete.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(started["cashup_id"]!.GetValue<long>(), done["cashup_id"]!.GetValue<long>());
        Assert.Equal(5m, done.Money("amount"));
        Assert.Equal(5m, done["summary"]!.Money("income_total"));
        Assert.Equal(0m, Assert.Single(done["fiscus"]!["reconciliations"]!.AsArray())!.Money("difference"));

        // The next cash-up counts what was sold while counting.
        var next = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 8m } } });
        Assert.Equal(8m, next["summary"]!.Money("income_total"));
        Assert.Equal(done["summary"]!["to_date"]!.GetValue<DateTime>(), next["summary"]!["from_date"]!.GetValue<DateTime>());
        Assert.Equal(started["fiscus"]!["started_at"]!.GetValue<DateTime>(), done["summary"]!["to_date"]!.GetValue<DateTime>());
        Assert.True(done["timestamp"]!.GetValue<DateTime>() > done["summary"]!["to_date"]!.GetValue<DateTime>());
    }

    [Fact]
    public async Task Cashups_are_listed_newest_first_and_read_with_their_summary()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        using (var none = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups"))
        {
            Assert.Empty((await none.ExpectAsync(HttpStatusCode.OK)).AsArray());
        }
        var ids = new List<long>();
        foreach (var amount in new[] { 1m, 2m, 3m })
        {
            await fiscus.SellAsync(register, amount, "PRINT", "CARD");
            ids.Add((await fiscus.CashupAsync(register))["cashup_id"]!.GetValue<long>());
        }

        using var list = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups?_per_page=2");
        var page = await list.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([ids[2], ids[1]], page.AsArray().Select(c => c!["cashup_id"]!.GetValue<long>()).ToArray());
        Assert.Equal("3", list.Headers.GetValues("X-Total-Count").Single());
        Assert.All(page.AsArray(), c => Assert.Null(c!["summary"]));

        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cash_registers/{register}/cashups");
        request.Headers.Add("x-koha-embed", "summary");
        using var embedded = await admin.SendAsync(request);
        Assert.Equal([3m, 2m, 1m], (await embedded.ExpectAsync(HttpStatusCode.OK)).AsArray().Select(c => c!["summary"]!.Money("total")).ToArray());

        using var one = await admin.GetEmbeddedAsync($"/api/v1/cashups/{ids[0]}", "summary");
        var first = await one.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(1m, first["summary"]!.Money("income_total"));
        Assert.Equal(1m, first.Money("amount"));
        using (var plain = await admin.GetAsync($"/api/v1/cashups/{ids[0]}"))
        {
            Assert.Null((await plain.ExpectAsync(HttpStatusCode.OK))["summary"]);
        }
        using var missing = await admin.GetAsync("/api/v1/cashups/987654321");
        Assert.Equal("Cashup not found", (await missing.ExpectProblemAsync(HttpStatusCode.NotFound, "cashup_not_found"))["error"]!.GetValue<string>());
        using var noRegister = await admin.GetAsync("/api/v1/cash_registers/987654/cashups");
        Assert.Equal("Register not found", (await noRegister.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found"))["error"]!.GetValue<string>());

        // A client bound to another register sees neither its cash-ups nor its session.
        var other = await fiscus.ClientAsync(["registers:read"], cashRegisterId: await fiscus.RegisterAsync());
        using var foreign = await other.Http.GetAsync($"/api/v1/cashups/{ids[0]}");
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        using var foreignSession = await other.Http.GetAsync($"/api/v1/cash_registers/{register}/session");
        Assert.Equal(HttpStatusCode.Forbidden, foreignSession.StatusCode);
    }

    [Fact]
    public async Task Only_managers_cash_up_and_a_register_with_uncounted_money_cannot_be_archived()
    {
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, 2m, "PRINT", "CARD");
        var cashier = await fiscus.StaffAsync("cashier");
        using var refused = await cashier.Http.PostCashupAsync(register);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var session = await cashier.Http.GetAsync($"/api/v1/cash_registers/{register}/session");
        await session.ExpectAsync(HttpStatusCode.OK);

        var admin = await fiscus.AdminAsync();
        using var archive = await admin.PostAsync($"/api/v1/cash_registers/{register}/archive", null);
        await archive.ExpectProblemAsync(HttpStatusCode.Conflict, "register_not_cashed_up");
        await fiscus.CashupAsync(register);
        using var archived = await admin.PostAsync($"/api/v1/cash_registers/{register}/archive", null);
        await archived.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Completed_cashups_and_closed_sessions_cannot_be_rewritten()
    {
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, 2m, "PRINT", "CARD");
        var cashup = await fiscus.CashupAsync(register);
        var id = cashup["cashup_id"]!.GetValue<long>();

        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            fiscus.ScalarAsync<int>("UPDATE cashups SET amount_minor = 0 WHERE cashup_id = @id RETURNING 1", new { id }));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            fiscus.ScalarAsync<int>("DELETE FROM cashups WHERE cashup_id = @id RETURNING 1", new { id }));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => fiscus.ScalarAsync<int>(
            "UPDATE register_sessions SET status = 'open' WHERE register_session_id = @session RETURNING 1",
            new { session = cashup["fiscus"]!["register_session_id"]!.GetValue<long>() }));
    }
    [Fact]
    public async Task The_verifier_recomputes_the_register_movements_from_the_ledger()
    {
        var register = await fiscus.RegisterAsync();
        await fiscus.SellAsync(register, 2m, "PRINT", "CARD");
        await fiscus.AssertLedgerConsistentAsync();

        // Only a superuser bypassing every trigger can do this; the verifier is the second line of defence.
        const string Check = "register movements match the lines and offsets";
        await fiscus.ScalarAsync<int>("""
            SET session_replication_role = replica;
            INSERT INTO register_movements (register_session_id, cash_register_id, posted_at, kind, payment_type, count, amount_minor)
            SELECT register_session_id, cash_register_id, now(), 'in', 'CARD', 0, 7 FROM register_sessions WHERE cash_register_id = @register AND status = 'open';
            SET session_replication_role = origin;
            SELECT 1;
            """, new { register });
        await using (var connection = await fiscus.Db.OpenConnectionAsync())
        {
            var report = await Fiscus.Ledger.Verification.LedgerVerifier.VerifyAsync(connection, CancellationToken.None);
            var violation = Assert.Single(report.Violations);
            Assert.Equal(Check, violation.Check);
            Assert.Contains("in CARD: the ledger says 1 for 200, the register movements 1 for 207", violation.Detail, StringComparison.Ordinal);
        }
        await fiscus.ScalarAsync<int>("""
            SET session_replication_role = replica;
            DELETE FROM register_movements WHERE cash_register_id = @register AND count = 0 AND amount_minor = 7;
            SET session_replication_role = origin;
            SELECT 1;
            """, new { register });
        await fiscus.AssertLedgerConsistentAsync();
    }
    [Fact]
    public async Task A_voided_cash_payment_leaves_the_drawer_it_came_into_in_the_session_it_is_voided_in()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 10m);
        var admin = await fiscus.AdminAsync();
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 5m, "OVERDUE");
        long credit;
        using (var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 5m, payment_type = "CASH", cash_register_id = register })))
        {
            credit = (await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();
        }
        var first = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 5m } } });

        // The money leaves this drawer: a client bound to another register may not take it out.
        var bound = await fiscus.ClientAsync(["refunds:write"], cashRegisterId: await fiscus.RegisterAsync());
        using (var refused = await bound.Http.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", Json.Body(new { })))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        }
        using (var voided = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", Json.Body(new { note = "keyed twice" })))
        {
            await voided.ExpectAsync(HttpStatusCode.OK);
        }

        // The void is a payout of this session; the counted session's history does not move.
        var live = (await fiscus.SessionAsync(register))["summary"]!;
        Assert.Equal(0m, live.Money("income_total"));
        Assert.Empty(live["income_grouped"]!.AsArray());
        var payout = Assert.Single(live["payout_grouped"]!.AsArray())!;
        Assert.Equal(("VOID", "PAYMENT", 5m), (payout["debit_type_code"]!.GetValue<string>(), payout["credit_type_code"]!.GetValue<string>(), payout.Money("total")));
        Assert.Equal(-5m, live.Money("total"));
        Assert.Equal(5m, live.Money("expected_cash_in_drawer"));
        Assert.Equal(500, await fiscus.ScalarAsync<long>(
            "SELECT sum(amount_minor) FROM register_movements WHERE register_session_id = @session AND kind = 'income'",
            new { session = first["fiscus"]!["register_session_id"]!.GetValue<long>() }));
        using var reread = await admin.GetEmbeddedAsync($"/api/v1/cashups/{first["cashup_id"]}", "summary");
        Assert.Equal(5m, Assert.Single((await reread.ExpectAsync(HttpStatusCode.OK))["summary"]!["income_grouped"]!.AsArray())!.Money("total"));
    }

    [Fact]
    public async Task An_archived_register_takes_no_money_not_even_a_void_or_a_line_written_by_hand()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 2m, "OVERDUE");
        long credit;
        using (var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 2m, payment_type = "CASH", cash_register_id = register })))
        {
            credit = (await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();
        }
        await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 2m } } });
        using (var archive = await admin.PostAsync($"/api/v1/cash_registers/{register}/archive", null))
        {
            await archive.ExpectAsync(HttpStatusCode.OK);
        }

        using var voided = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", Json.Body(new { }));
        await voided.ExpectProblemAsync(HttpStatusCode.Conflict, "register_archived");
        var exception = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => fiscus.ScalarAsync<long>("""
            INSERT INTO account_lines (credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                       register_session_id, interface, posted_at)
            SELECT 'PURCHASE', -100, 0, 'CASH', cash_register_id, register_session_id, 'api', now()
            FROM register_sessions WHERE cash_register_id = @register AND status = 'open'
            RETURNING account_line_id
            """, new { register }));
        Assert.Equal("FL004", exception.SqlState);
    }

    [Fact]
    public async Task A_count_too_far_from_the_expected_to_record_as_one_line_is_400_not_a_fault()
    {
        // Two of the largest sales a line can hold (10,000,000,000.00 each, written as the POS would, every trigger
        // and commit check running, dated by the test's clock as the server dates them): a CARD count of 0 would need a deficit line
        // of twice the line bound.
        var register = await fiscus.RegisterAsync();
        await using (var connection = await fiscus.Db.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = 0; i < 2; i++)
            {
                await connection.ExecuteAsync("""
                    WITH open_session AS (
                        SELECT register_session_id AS id FROM register_sessions WHERE cash_register_id = @register AND status = 'open'),
                    admin AS (SELECT user_id FROM staff_users WHERE username = 'admin'),
                    debit AS (
                        INSERT INTO account_lines (debit_type_code, amount_minor, amount_outstanding_minor, cash_register_id, register_session_id,
                                                   library_id, user_id, interface, status, description, quantity, posted_at)
                        VALUES ('PRINT', 1000000000000, 0, @register, (SELECT id FROM open_session), 'MAIN', (SELECT user_id FROM admin), 'pos',
                                'PAID', 'huge', 1, @now)
                        RETURNING account_line_id),
                    credit AS (
                        INSERT INTO account_lines (credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                                   register_session_id, library_id, user_id, interface, description, posted_at)
                        VALUES ('PURCHASE', -1000000000000, 0, 'CARD', @register, (SELECT id FROM open_session), 'MAIN', (SELECT user_id FROM admin),
                                'pos', 'huge', @now)
                        RETURNING account_line_id)
                    INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
                    SELECT NULL, debit.account_line_id, 'CREATE', 1000000000000, now() FROM debit
                    UNION ALL SELECT credit.account_line_id, NULL, 'CREATE', -1000000000000, now() FROM credit
                    UNION ALL SELECT credit.account_line_id, debit.account_line_id, 'APPLY', -1000000000000, now() FROM debit, credit
                    """, new { register, now = fiscus.Clock.GetUtcNow() }, transaction);
            }
            await transaction.CommitAsync();
        }
        var lines = await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE cash_register_id = @register", new { register });

        using var response = await (await fiscus.AdminAsync()).PostCashupAsync(register,
            new { reconciliations = new[] { new { payment_type = "CARD", counted = 0m } } });

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]!["reconciliations[0].counted"]);
        Assert.Equal(lines, await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE cash_register_id = @register", new { register }));
    }
}
