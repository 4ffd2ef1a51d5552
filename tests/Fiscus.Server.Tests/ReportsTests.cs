using System.Globalization;

namespace Fiscus.Server.Tests;

/// <summary>The Z-report (<c>/reports/daily</c>) and the cash drawer reconciliation report, as JSON and CSV.</summary>
public sealed class ReportsTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    async Task<string> LibraryAsync(string timeZone = "UTC")
    {
        var id = fiscus.Unique("ZR");
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = id, name = $"Branch {id}", time_zone = timeZone }));
        await response.ExpectAsync(HttpStatusCode.Created);
        return id;
    }

    static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_daily_report_reckons_the_business_day_in_the_library_time_zone()
    {
        // A zone whose midnight is the next full UTC hour, so the test can sell either side of it.
        var now = fiscus.Clock.GetUtcNow();
        var midnight = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(now.Minute >= 55 ? 2 : 1);
        var offset = (24 - midnight.Hour) % 24;
        offset = offset > 14 ? offset - 24 : offset;
        var zone = offset switch { 0 => "Etc/GMT", > 0 => $"Etc/GMT-{offset}", _ => $"Etc/GMT+{-offset}" };
        var library = await LibraryAsync(zone);
        var register = await fiscus.RegisterAsync(startingFloat: 10m, libraryId: library);
        var manager = await fiscus.StaffAsync("manager");
        var day = DateOnly.FromDateTime(midnight.ToOffset(TimeSpan.FromHours(offset)).DateTime).AddDays(-1);

        fiscus.Clock.Advance(midnight.AddMinutes(-1) - fiscus.Clock.GetUtcNow());
        var print = await fiscus.SellAsync(register, 2.00m, "PRINT", "CASH");
        await fiscus.SellAsync(register, 0.50m, "COPY", "CARD");
        using (var refund = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds",
                   Json.Body(new { account_line_id = print["debits"]![0]!["account_line_id"]!.GetValue<long>(), amount = 0.50m })))
        {
            await refund.ExpectAsync(HttpStatusCode.Created);
        }
        var cashup = await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 1.40m, note = "short" } } });
        fiscus.Clock.Advance(TimeSpan.FromMinutes(2));
        await fiscus.SellAsync(register, 3.00m, "PRINT", "CASH");

        var admin = await fiscus.AdminAsync();
        using var response = await admin.GetAsync($"/api/v1/reports/daily?date={Day(day)}&library_id={library}");
        var report = await response.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(zone, report["time_zone"]!.GetValue<string>());
        Assert.Equal(Day(day), report["date"]!.GetValue<string>());
        Assert.Equal(midnight.AddDays(-1), report["from"]!.GetValue<DateTimeOffset>());
        Assert.Equal(midnight, report["to"]!.GetValue<DateTimeOffset>());
        var totals = report["totals"]!;
        Assert.Equal(2.50m, totals.Money("income_total"));
        Assert.Equal(0.50m, totals.Money("payout_total"));
        Assert.Equal(2.00m, totals.Money("total"));
        var cash = totals.PaymentType("CASH");
        Assert.Equal((1L, 2.00m, 1L, 0.50m), (cash["income_count"]!.GetValue<long>(), cash.Money("income"), cash["payout_count"]!.GetValue<long>(), cash.Money("payouts")));
        Assert.Equal(0.50m, totals.PaymentType("CARD").Money("income"));
        Assert.Equal([("COPY", 0.50m), ("PRINT", 2.00m)],
            totals["income_grouped"]!.AsArray().Select(g => (g!["debit_type_code"]!.GetValue<string>(), g.Money("total"))).ToArray());
        Assert.Equal((1L, 0.50m), (totals["refunds"]!["count"]!.GetValue<long>(), totals["refunds"]!.Money("total")));
        Assert.Equal(1, report["cashup_count"]!.GetValue<long>());
        Assert.Equal(-0.10m, report.Money("cashup_difference"));
        var till = Assert.Single(report["registers"]!.AsArray())!;
        Assert.Equal(register, till["cash_register_id"]!.GetValue<int>());
        var tillCashup = Assert.Single(till["cashups"]!.AsArray())!;
        Assert.Equal(cashup["cashup_id"]!.GetValue<long>(), tillCashup["cashup_id"]!.GetValue<long>());
        Assert.Equal("short", Assert.Single(tillCashup["reconciliations"]!.AsArray())!["note"]!.GetValue<string>());

        // The sale after local midnight is the next business day's.
        using var next = await admin.GetAsync($"/api/v1/reports/daily?date={Day(day.AddDays(1))}&cash_register_id={register}");
        var tomorrow = await next.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(library, tomorrow["library_id"]!.GetValue<string>());
        Assert.Equal(register, tomorrow["cash_register_id"]!.GetValue<int>());
        Assert.Equal(3.00m, tomorrow["totals"]!.Money("income_total"));
        Assert.Equal(0, tomorrow["cashup_count"]!.GetValue<long>());

        // As CSV: one row per figure, money in the currency's decimals.
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/reports/daily?date={Day(day)}&library_id={library}");
        request.Headers.Accept.ParseAdd("text/csv");
        using var csv = await admin.SendAsync(request);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", csv.Content.Headers.ContentDisposition!.ToString());
        var rows = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("library_id,date,cash_register_id,cash_register,section,name,count,amount", rows[0]);
        Assert.Contains(rows, r => r.StartsWith($"{library},{Day(day)},{register},", StringComparison.Ordinal) && r.EndsWith(",payment_type_in,CASH,1,2.00", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.EndsWith($",cashup_difference,{cashup["cashup_id"]} CASH,,-0.10", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith($"{library},{Day(day)},,All registers,total,net,", StringComparison.Ordinal) && r.EndsWith(",2.00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Daily_report_parameters_are_checked()
    {
        var admin = await fiscus.AdminAsync();
        var library = await LibraryAsync();
        var register = await fiscus.RegisterAsync(libraryId: library);

        foreach (var date in new[] { "2026-13-01", "0001-01-01", "9999-12-31", "2026-1-1" })
        {
            using var badDate = await admin.GetAsync($"/api/v1/reports/daily?date={date}&library_id={library}");
            Assert.NotNull((await badDate.ExpectAsync(HttpStatusCode.BadRequest))["errors"]!["date"]);
        }
        using var badRegister = await admin.GetAsync("/api/v1/reports/daily?cash_register_id=abc");
        Assert.NotNull((await badRegister.ExpectAsync(HttpStatusCode.BadRequest))["errors"]!["cash_register_id"]);
        using var noLibrary = await admin.GetAsync("/api/v1/reports/daily?library_id=NOPE");
        await noLibrary.ExpectProblemAsync(HttpStatusCode.NotFound, "library_not_found");
        using var noRegister = await admin.GetAsync("/api/v1/reports/daily?cash_register_id=987654");
        await noRegister.ExpectProblemAsync(HttpStatusCode.NotFound, "register_not_found");
        using var mismatch = await admin.GetAsync($"/api/v1/reports/daily?library_id=MAIN&cash_register_id={register}");
        await mismatch.ExpectAsync(HttpStatusCode.BadRequest);
        using var which = await admin.GetAsync("/api/v1/reports/daily");
        Assert.NotNull((await which.ExpectAsync(HttpStatusCode.BadRequest))["errors"]!["library_id"]);

        // Without a date: today, in the library's zone.
        using var today = await admin.GetAsync($"/api/v1/reports/daily?library_id={library}");
        Assert.Equal(Day(DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime)), (await today.ExpectAsync(HttpStatusCode.OK))["date"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reports_need_reports_read_and_bound_clients_see_only_their_register_or_library()
    {
        var library = await LibraryAsync();
        var register = await fiscus.RegisterAsync(libraryId: library);
        var other = await fiscus.RegisterAsync(libraryId: library);
        await fiscus.SellAsync(register, 1m, "PRINT", "CARD");
        await fiscus.SellAsync(other, 7m, "PRINT", "CARD");

        var cashier = await fiscus.StaffAsync("cashier");
        using var denied = await cashier.Http.GetAsync($"/api/v1/reports/daily?library_id={library}");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var manager = await fiscus.StaffAsync("manager");
        using var allowed = await manager.Http.GetAsync($"/api/v1/reports/daily?library_id={library}");
        Assert.Equal(8m, (await allowed.ExpectAsync(HttpStatusCode.OK))["totals"]!.Money("income_total"));

        var bound = await fiscus.ClientAsync(["reports:read"], cashRegisterId: register);
        using var own = await bound.Http.GetAsync("/api/v1/reports/daily");
        var ownReport = await own.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(register, ownReport["cash_register_id"]!.GetValue<int>());
        Assert.Equal(1m, ownReport["totals"]!.Money("income_total"));
        using var foreign = await bound.Http.GetAsync($"/api/v1/reports/daily?cash_register_id={other}");
        await foreign.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        using var drawer = await bound.Http.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={Day(DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime))}");
        Assert.Equal(1m, (await drawer.ExpectAsync(HttpStatusCode.OK))["report_stats"]!["total"]!.Money("net"));

        var branch = await fiscus.ClientAsync(["reports:read"], libraryId: library);
        using var otherLibrary = await branch.Http.GetAsync("/api/v1/reports/daily?library_id=MAIN");
        await otherLibrary.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
        using var branchReport = await branch.Http.GetAsync("/api/v1/reports/daily");
        Assert.Equal(library, (await branchReport.ExpectAsync(HttpStatusCode.OK))["library_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_cash_drawer_report_lists_money_in_and_out_by_staff_member_payment_type_debit_type_and_register()
    {
        var library = await LibraryAsync();
        var register = await fiscus.RegisterAsync(libraryId: library);
        var second = await fiscus.RegisterAsync(libraryId: library);
        var alice = await fiscus.UserAsync("cashier");
        var bob = await fiscus.UserAsync("cashier");
        var manager = await fiscus.StaffAsync("manager");
        var today = Day(DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime));

        async Task<JsonNode> Sell(TestUser who, int till, decimal amount, string type, string payment)
        {
            using var response = await who.Http.PostSaleAsync(till, new { debit_type = type, amount, payment_type = payment });
            return await response.ExpectAsync(HttpStatusCode.Created);
        }
        var printed = await Sell(alice, register, 1.00m, "PRINT", "CASH");
        await Sell(alice, register, 2.00m, "COPY", "CARD");
        await Sell(bob, second, 5.00m, "PRINT", "CASH");
        using (var refund = await manager.Http.PostAsync($"/api/v1/cash_registers/{register}/refunds",
                   Json.Body(new { account_line_id = printed["debits"]![0]!["account_line_id"]!.GetValue<long>() })))
        {
            await refund.ExpectAsync(HttpStatusCode.Created);
        }
        await fiscus.CashupAsync(second, new { reconciliations = new[] { new { payment_type = "CASH", counted = 5.20m } } });

        var admin = await fiscus.AdminAsync();
        using var response = await admin.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}&to={today}&library_id={library}");
        var report = await response.ExpectAsync(HttpStatusCode.OK);
        var data = report["report_data"]!.AsArray();
        Assert.Equal(4, data.Count);
        Assert.Equal(1, data.Count(m => m!["action"]!.GetValue<string>() == "payout"));
        var payout = data.Single(m => m!["action"]!.GetValue<string>() == "payout")!;
        Assert.Equal((-1.00m, "PRINT", "PAYOUT", manager.Username), (payout.Money("amount"), payout["debit_type"]!.GetValue<string>(),
            payout["type"]!.GetValue<string>(), payout["source"]!.GetValue<string>()));
        var stats = report["report_stats"]!;
        Assert.Equal((4L, 8.00m, 1.00m, 7.00m), (stats["total"]!["count"]!.GetValue<long>(), stats["total"]!.Money("in"), stats["total"]!.Money("out"), stats["total"]!.Money("net")));
        var bySource = stats["by_source"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!.Money("net"));
        Assert.Equal(3.00m, bySource[alice.Username]);
        Assert.Equal(5.00m, bySource[bob.Username]);
        Assert.Equal(-1.00m, bySource[manager.Username]);
        var byType = stats["by_payment_type"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!.Money("net"));
        Assert.Equal((5.00m, 2.00m), (byType["CASH"], byType["CARD"]));
        var byDebit = stats["by_debit_type"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!.Money("net"));
        Assert.Equal((5.00m, 2.00m), (byDebit["PRINT"], byDebit["COPY"]));
        Assert.Equal(2, stats["by_cash_register"]!.AsArray().Count);
        var cashup = Assert.Single(report["cashups"]!.AsArray())!;
        Assert.Equal((second, 5.00m, 5.20m, 0.20m), (cashup["cash_register_id"]!.GetValue<int>(), cashup.Money("expected"), cashup.Money("counted"), cashup.Money("difference")));

        // Filtered to one staff member, and to one register.
        using var onlyAlice = await admin.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}&library_id={library}&user_id={alice.UserId}");
        var aliceReport = await onlyAlice.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, aliceReport["report_data"]!.AsArray().Count);
        Assert.Equal(3.00m, aliceReport["report_stats"]!["total"]!.Money("net"));
        using var onlySecond = await admin.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}&cash_register_id={second}");
        Assert.Equal(5.00m, (await onlySecond.ExpectAsync(HttpStatusCode.OK))["report_stats"]!["total"]!.Money("net"));

        // Another day has nothing.
        var tomorrow = Day(DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime).AddDays(1));
        using var empty = await admin.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={tomorrow}&library_id={library}");
        Assert.Empty((await empty.ExpectAsync(HttpStatusCode.OK))["report_data"]!.AsArray());

        // CSV: a header and one row per movement.
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/reports/cash_drawer_reconciliation?from={today}&library_id={library}");
        request.Headers.Accept.ParseAdd("text/csv");
        using var csv = await admin.SendAsync(request);
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal(5, rows.Length);
        Assert.StartsWith("account_line_id,date,business_date,source,action,type,payment_type,amount,", rows[0]);
        Assert.Contains(rows, r => r.Contains($",{bob.Username},payment,PURCHASE,CASH,5.00,PRINT,{second},", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "from")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-02-10&to=2026-02-01", "to")]
    [InlineData("from=2024-01-01&to=2026-01-01", "to")]
    [InlineData("from=2026-01-01&user_id=x", "user_id")]
    [InlineData("from=2026-01-01&cash_register_id=0", "cash_register_id")]
    [InlineData("from=0001-01-01", "from")]
    [InlineData("from=9999-12-30&to=9999-12-31", "from")]
    public async Task Cash_drawer_report_parameters_are_checked(string query, string field)
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/reports/cash_drawer_reconciliation?{query}");
        Assert.NotNull((await response.ExpectAsync(HttpStatusCode.BadRequest))["errors"]![field]);
    }

    [Fact]
    public async Task Csv_fields_are_quoted_and_formula_text_is_defused()
    {
        var library = await LibraryAsync();
        var register = await fiscus.RegisterAsync(libraryId: library);
        using (var sale = await (await fiscus.AdminAsync()).PostSaleAsync(register,
                   new { debit_type = "PRINT", amount = 1m, payment_type = "CARD", description = "=HYPERLINK(\"http://x\",\"a, b\")" }))
        {
            await sale.ExpectAsync(HttpStatusCode.Created);
        }
        var request = new HttpRequestMessage(HttpMethod.Get,
            $"/api/v1/reports/cash_drawer_reconciliation?from={Day(DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime))}&library_id={library}&format=csv");
        using var csv = await (await fiscus.AdminAsync()).SendAsync(request);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.EndsWith(",\"'=HYPERLINK(\"\"http://x\"\",\"\"a, b\"\")\"\r\n", text);
    }
    [Fact]
    public async Task Money_through_a_register_belongs_to_the_registers_library_in_the_cash_drawer_report()
    {
        var library = await LibraryAsync();
        var register = await fiscus.RegisterAsync(libraryId: library);
        var admin = await fiscus.AdminAsync();
        var patron = await fiscus.PatronAsync(libraryId: "MAIN");
        await fiscus.DebitAsync(patron, 10m, "OVERDUE");
        long credit;
        using (var paid = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits",
                   Json.Body(new { amount = 10m, payment_type = "CASH", cash_register_id = register, library_id = "MAIN" })))
        {
            credit = (await paid.ExpectAsync(HttpStatusCode.Created))["account_line_id"]!.GetValue<long>();
        }
        using (var voided = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits/{credit}/void", Json.Body(new { })))
        {
            await voided.ExpectAsync(HttpStatusCode.OK);
        }
        var today = Day(DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime));

        foreach (var filter in new[] { $"cash_register_id={register}", $"library_id={library}" })
        {
            using var response = await admin.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}&{filter}");
            var report = await response.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal([("payment", 10m, library), ("payout", -10m, library)], report["report_data"]!.AsArray()
                .Select(m => (m!["action"]!.GetValue<string>(), m.Money("amount"), m["library_id"]!.GetValue<string>())).OrderBy(m => m.Item1).ToArray());
            Assert.Equal(0m, report["report_stats"]!["total"]!.Money("net"));
        }
        using var main = await admin.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={today}&library_id=MAIN");
        Assert.DoesNotContain((await main.ExpectAsync(HttpStatusCode.OK))["report_data"]!.AsArray(),
            m => m!["cash_register_id"]?.GetValue<int>() == register);
    }
}
