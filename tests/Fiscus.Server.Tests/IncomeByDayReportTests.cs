using System.Globalization;

namespace Fiscus.Server.Tests;

/// <summary><c>/reports/income_by_day</c>: the Z-report's income figures for every business day of a range, as JSON and CSV.</summary>
public sealed class IncomeByDayReportTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    async Task<string> LibraryAsync(string timeZone)
    {
        var id = fiscus.Unique("IB");
        using var response = await (await fiscus.AdminAsync()).PostAsync("/api/v1/libraries", Json.Body(new { library_id = id, name = $"Branch {id}", time_zone = timeZone }));
        await response.ExpectAsync(HttpStatusCode.Created);
        return id;
    }

    static Dictionary<string, decimal> Shares(JsonNode node, string field) =>
        node[field]!.AsArray().ToDictionary(s => s!["code"]!.GetValue<string>(), s => s!.Money("total"));

    [Fact]
    public async Task Each_day_of_the_range_has_the_z_report_income_by_payment_type_and_by_debit_type()
    {
        // A zone whose midnight is the next full UTC hour (as in ReportsTests), so the test can sell either side of it
        // without moving the clock further than a token lives.
        var now = fiscus.Clock.GetUtcNow();
        var midnight = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(now.Minute >= 55 ? 2 : 1);
        var offset = (24 - midnight.Hour) % 24;
        offset = offset > 14 ? offset - 24 : offset;
        var library = await LibraryAsync(offset switch { 0 => "Etc/GMT", > 0 => $"Etc/GMT-{offset}", _ => $"Etc/GMT+{-offset}" });
        var register = await fiscus.RegisterAsync(libraryId: library);
        var other = await fiscus.RegisterAsync(libraryId: library);
        var admin = await fiscus.AdminAsync();
        var first = DateOnly.FromDateTime(midnight.ToOffset(TimeSpan.FromHours(offset)).DateTime).AddDays(-1);

        fiscus.Clock.Advance(midnight.AddMinutes(-1) - fiscus.Clock.GetUtcNow());
        await fiscus.SellAsync(register, 2.00m, "PRINT", "CASH");
        using (var basket = await admin.PostSaleAsync(register, new
               {
                   payment_type = "CARD",
                   items = new[] { new { debit_type = "COPY", price = 0.25m, quantity = 4, description = "copies" }, new { debit_type = "PRINT", price = 1.50m, quantity = 1, description = "print" } },
               }))
        {
            await basket.ExpectAsync(HttpStatusCode.Created);
        }
        await fiscus.SellAsync(other, 3.00m, "COPY", "CASH");
        fiscus.Clock.Advance(TimeSpan.FromMinutes(2));
        await fiscus.SellAsync(register, 4.00m, "PRINT", "CASH");
        // The range runs a day past the last sale: a day with nothing is listed too.
        var third = first.AddDays(2);

        using var response = await admin.GetAsync($"/api/v1/reports/income_by_day?from={Day(first)}&to={Day(third)}&library_id={library}");
        var report = await response.ExpectAsync(HttpStatusCode.OK);
        var days = report["days"]!.AsArray();
        Assert.Equal([Day(first), Day(first.AddDays(1)), Day(third)], days.Select(d => d!["date"]!.GetValue<string>()).ToArray());
        Assert.Equal(11.50m, report.Money("income_total"));
        Assert.Equal(new Dictionary<string, decimal> { ["CASH"] = 9.00m, ["CARD"] = 2.50m }, Shares(report, "by_payment_type"));
        Assert.Equal(new Dictionary<string, decimal> { ["PRINT"] = 7.50m, ["COPY"] = 4.00m }, Shares(report, "by_debit_type"));
        Assert.Equal("Cash", report["by_payment_type"]![0]!["description"]!.GetValue<string>());

        var day1 = days[0]!;
        Assert.Equal(7.50m, day1.Money("income_total"));
        Assert.Equal(new Dictionary<string, decimal> { ["CASH"] = 5.00m, ["CARD"] = 2.50m }, Shares(day1, "by_payment_type"));
        Assert.Equal(new Dictionary<string, decimal> { ["PRINT"] = 3.50m, ["COPY"] = 4.00m }, Shares(day1, "by_debit_type"));
        Assert.Equal(new Dictionary<string, decimal> { ["PRINT"] = 4.00m }, Shares(days[1]!, "by_debit_type"));
        Assert.Equal(0m, days[2]!.Money("income_total"));
        Assert.Empty(days[2]!["by_payment_type"]!.AsArray());

        // The same figures as each day's Z-report.
        foreach (var day in days)
        {
            using var daily = await admin.GetAsync($"/api/v1/reports/daily?date={day!["date"]}&library_id={library}");
            var totals = (await daily.ExpectAsync(HttpStatusCode.OK))["totals"]!;
            Assert.Equal(totals.Money("income_total"), day.Money("income_total"));
            Assert.Equal(totals["income_grouped"]!.AsArray().ToDictionary(g => g!["debit_type_code"]!.GetValue<string>(), g => g!.Money("total")),
                Shares(day, "by_debit_type"));
        }

        // One register.
        using var one = await admin.GetAsync($"/api/v1/reports/income_by_day?from={Day(first)}&cash_register_id={other}");
        var single = await one.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal((other, 3.00m), (single["cash_register_id"]!.GetValue<int>(), single.Money("income_total")));
        Assert.Single(single["days"]!.AsArray());

        // CSV: a row per day and group.
        using var csv = await admin.GetAsync($"/api/v1/reports/income_by_day?from={Day(first)}&to={Day(third)}&library_id={library}&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("date,group,code,description,count,amount", rows[0]);
        Assert.Contains($"{Day(first)},payment_type,CARD,Card,1,2.50", rows);
        Assert.Contains($"{Day(first)},debit_type,COPY,Photocopy,2,4.00", rows);
        Assert.Contains($"{Day(first.AddDays(1))},debit_type,PRINT,Printing,1,4.00", rows);
        Assert.Equal(7, rows.Length);
    }

    [Theory]
    [InlineData("", "from")]
    [InlineData("from=2026-02-10&to=2026-02-01", "to")]
    [InlineData("from=2024-01-01&to=2026-01-01", "to")]
    [InlineData("from=2026-01-01&user_id=3", "user_id")]
    [InlineData("from=2026-01-01&cash_register_id=x", "cash_register_id")]
    public async Task Parameters_are_checked(string query, string field)
    {
        using var response = await (await fiscus.AdminAsync()).GetAsync($"/api/v1/reports/income_by_day?{query}");
        Assert.NotNull((await response.ExpectAsync(HttpStatusCode.BadRequest))["errors"]![field]);
    }

    [Fact]
    public async Task A_cashier_may_not_and_a_client_bound_to_a_register_sees_only_its_own()
    {
        var library = await LibraryAsync("UTC");
        var register = await fiscus.RegisterAsync(libraryId: library);
        var other = await fiscus.RegisterAsync(libraryId: library);
        await fiscus.SellAsync(register, 1m, "PRINT", "CARD");
        await fiscus.SellAsync(other, 7m, "PRINT", "CARD");
        var today = Day(DateOnly.FromDateTime(fiscus.Clock.GetUtcNow().UtcDateTime));

        var cashier = await fiscus.StaffAsync("cashier");
        using var denied = await cashier.Http.GetAsync($"/api/v1/reports/income_by_day?from={today}&library_id={library}");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var bound = await fiscus.ClientAsync(["reports:read"], cashRegisterId: register);
        using var own = await bound.Http.GetAsync($"/api/v1/reports/income_by_day?from={today}");
        Assert.Equal(1m, (await own.ExpectAsync(HttpStatusCode.OK)).Money("income_total"));
        using var foreign = await bound.Http.GetAsync($"/api/v1/reports/income_by_day?from={today}&cash_register_id={other}");
        await foreign.ExpectProblemAsync(HttpStatusCode.Forbidden, "outside_binding");
    }
}
