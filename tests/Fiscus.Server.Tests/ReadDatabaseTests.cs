using System.Globalization;
using Fiscus.Server.Startup;
using Fiscus.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// FISCUS_READ_DATABASE (issue 16): the reports and the audit log are read from it, everything else from FISCUS_DATABASE.
/// To tell the two apart, the "replica" here is another database with a ledger of its own (another Fiscus on it writes
/// different sums), so a report that answers with the replica's sums was read there, while the payments and sales sent to
/// this server are in the main database only.
/// </summary>
public sealed class ReadDatabaseTests(ReadDatabaseTests.Fixture fiscus) : IClassFixture<ReadDatabaseTests.Fixture>
{
    public sealed class Fixture : FiscusFixture
    {
        public const string ApplicationName = "fiscus-read";

        /// <summary>A Fiscus of its own on the database this one reads its reports from.</summary>
        public FiscusFixture Replica { get; } = new();

        public override async Task InitializeAsync()
        {
            await Replica.InitializeAsync();
            await base.InitializeAsync();
        }

        protected override IReadOnlyDictionary<string, string?>? Settings() => new Dictionary<string, string?>
        {
            ["FISCUS_READ_DATABASE"] = new NpgsqlConnectionStringBuilder(TestDatabases.RuntimeConnectionStringFor(Replica.Factory.Database))
            {
                ApplicationName = ApplicationName,
            }.ConnectionString,
        };

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await Replica.DisposeAsync();
        }
    }

    const decimal MainSale = 2.13m;
    const decimal ReplicaSale = 7.31m;

    static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Reports_and_the_audit_log_answer_from_the_read_database_while_money_goes_to_the_main_one()
    {
        var mainRegister = await fiscus.RegisterAsync();
        await fiscus.SellAsync(mainRegister, MainSale);
        var replicaRegister = await fiscus.Replica.RegisterAsync();
        await fiscus.Replica.SellAsync(replicaRegister, ReplicaSale);
        var day = Day(fiscus.Replica.Clock.GetUtcNow());
        var admin = await fiscus.AdminAsync();

        // The sale this server took is in the main database, and not in the replica's.
        Assert.Equal(1L, await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE amount_minor = 213"));
        Assert.Equal(0L, await fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE amount_minor = 731"));
        Assert.Equal(0L, await fiscus.Replica.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE amount_minor = 213"));

        using (var response = await admin.GetAsync($"/api/v1/reports/daily?date={day}&library_id=MAIN"))
        {
            Assert.Equal(ReplicaSale, (await response.ExpectAsync(HttpStatusCode.OK))["totals"]!.Money("income_total"));
        }
        using (var response = await admin.GetAsync($"/api/v1/reports/income_by_day?from={day}&library_id=MAIN"))
        {
            Assert.Equal(ReplicaSale, (await response.ExpectAsync(HttpStatusCode.OK)).Money("income_total"));
        }
        using (var response = await admin.GetAsync($"/api/v1/reports/cash_drawer_reconciliation?from={day}"))
        {
            var movement = Assert.Single((await response.ExpectAsync(HttpStatusCode.OK))["report_data"]!.AsArray())!;
            Assert.Equal(ReplicaSale, movement.Money("amount"));
        }
        using (var response = await admin.GetAsync($"/api/v1/reports/shifts?from={day}"))
        {
            await response.ExpectAsync(HttpStatusCode.OK);
        }

        // The audit log is the replica's: its sale and not this server's, as many entries as it holds, in JSON and CSV.
        var replicaEntries = await fiscus.Replica.ScalarAsync<long>("SELECT count(*) FROM audit_log");
        using (var response = await admin.GetAsync("/api/v1/audit?_per_page=1000"))
        {
            var entries = (await response.ExpectAsync(HttpStatusCode.OK)).AsArray();
            Assert.Equal(replicaEntries.ToString(CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues("X-Total-Count")));
            var amounts = entries.Select(e => e!["amount"]?.GetValue<decimal>()).ToList();
            Assert.Contains(ReplicaSale, amounts);
            Assert.DoesNotContain(MainSale, amounts);
        }
        using (var response = await admin.GetAsync("/api/v1/audit?format=csv"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var csv = await response.Content.ReadAsStringAsync();
            Assert.Contains(ReplicaSale.ToString(CultureInfo.InvariantCulture), csv, StringComparison.Ordinal);
            Assert.DoesNotContain(MainSale.ToString(CultureInfo.InvariantCulture), csv, StringComparison.Ordinal);
        }

        // The read pool's connections are in the replica's database, under the name its connection string gives them.
        Assert.True(await fiscus.Replica.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @name",
            new { name = Fixture.ApplicationName }) > 0);

        // What a cashier reads before taking money is the main database's: the register's session holds this server's sale.
        var session = await fiscus.SessionAsync(mainRegister);
        Assert.Equal(MainSale, session["summary"]!.Money("income_total"));
    }

    [Fact]
    public void The_read_pool_is_a_pool_of_its_own_with_the_runtime_pools_defaults()
    {
        var read = fiscus.Factory.Services.GetRequiredService<ReadDatabase>();
        Assert.True(read.IsSeparate);
        Assert.NotSame(fiscus.Factory.Services.GetRequiredService<NpgsqlDataSource>(), read.DataSource);
        var settings = new NpgsqlConnectionStringBuilder(read.DataSource.ConnectionString);
        Assert.Equal((PoolDefaults.MaxAutoPrepare, PoolDefaults.HostRecheckSeconds, Fixture.ApplicationName),
            (settings.MaxAutoPrepare, settings.HostRecheckSeconds, settings.ApplicationName));
    }

    [Fact]
    public async Task A_read_database_that_is_down_makes_the_reports_503_while_payments_go_on()
    {
        var nowhere = new NpgsqlConnectionStringBuilder(TestDatabases.RuntimeConnectionStringFor(fiscus.Factory.Database))
        {
            Host = "127.0.0.1", Port = 1, Timeout = 3,
        }.ConnectionString;
        await using var host = fiscus.Factory.WithWebHostBuilder(b => b.UseSetting("FISCUS_READ_DATABASE", nowhere));
        var admin = host.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", await fiscus.LoginAsync("admin", FiscusFactory.AdminPassword));
        var day = Day(fiscus.Clock.GetUtcNow());

        foreach (var url in new[]
                 {
                     $"/api/v1/reports/daily?date={day}&library_id=MAIN", $"/api/v1/reports/income_by_day?from={day}",
                     $"/api/v1/reports/cash_drawer_reconciliation?from={day}", $"/api/v1/reports/shifts?from={day}",
                     $"/api/v1/reports/daily?date={day}&library_id=MAIN&format=csv", "/api/v1/audit", "/api/v1/audit?format=csv",
                 })
        {
            using var response = await admin.GetAsync(url);
            await response.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        }

        // Everything else reads and writes the primary: ready, the account a cashier looks at, a payment, the cash-ups.
        using (var ready = await admin.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        var patron = await fiscus.PatronAsync();
        await fiscus.DebitAsync(patron, 4.00m);
        using (var account = await admin.GetAsync($"/api/v1/patrons/{patron}/account"))
        {
            Assert.Equal(4.00m, (await account.ExpectAsync(HttpStatusCode.OK)).Money("balance"));
        }
        using (var payment = await admin.PostAsync($"/api/v1/patrons/{patron}/account/credits", Json.Body(new { amount = 4.00m, payment_type = "CARD" })))
        {
            await payment.ExpectAsync(HttpStatusCode.Created);
        }
        Assert.Equal(0m, await fiscus.BalanceAsync(patron));
        var register = await fiscus.RegisterAsync();
        using (var cashups = await admin.GetAsync($"/api/v1/cash_registers/{register}/cashups"))
        {
            await cashups.ExpectAsync(HttpStatusCode.OK);
        }
    }
}
