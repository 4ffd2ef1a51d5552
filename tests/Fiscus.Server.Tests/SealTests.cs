using Dapper;
using Fiscus.Ledger.Sealing;
using Fiscus.Ledger.Verification;
using Fiscus.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// The ledger's seal over what the API writes: every kind of row sealed and recomputed, the Z-report carrying the latest
/// seal, a superuser's edit of a closed shift named, and the background sealer doing it by itself.
/// </summary>
public sealed class SealTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    /// <summary>A staff member at the POS shifts API (a staff session, as the dialect wants).</summary>
    async Task<(TestUser User, HttpClient Http)> CashierAsync()
    {
        var user = await fiscus.UserAsync("manager", "MAIN");
        var http = fiscus.Anonymous();
        http.DefaultRequestHeaders.Add("Cookie", $"access_token={user.Token}");
        return (user, http);
    }

    /// <summary>A shift at a register of its own: started, 5.00 paid in, ended with the drawer counted; returns its id.</summary>
    async Task<Guid> ShiftAsync()
    {
        var register = await fiscus.RegisterAsync();
        var (user, http) = await CashierAsync();
        using (var start = await http.PostAsync("/api/v1/shifts/start", Json.Body(new { start_cash = 1000, password = user.Password, cash_register_id = register })))
        {
            await start.ExpectAsync(HttpStatusCode.Created);
        }
        using (var cash = await http.PostAsync("/api/v1/shifts/cash-transaction", Json.Body(new { type = "cash_in", amount = 500, category = "deposit" })))
        {
            await cash.ExpectAsync(HttpStatusCode.Created);
        }
        using var end = await http.PostAsync("/api/v1/shifts/end", Json.Body(new { password = user.Password, actual_cash_end = 1500 }));
        return Guid.Parse((await end.ExpectAsync(HttpStatusCode.OK))["data"]!["id"]!.GetValue<string>());
    }

    async Task<VerificationReport> VerifyAsync(byte[]? against = null)
    {
        await using var connection = await fiscus.Db.OpenConnectionAsync();
        return await LedgerVerifier.VerifyAsync(connection, CancellationToken.None, against);
    }

    [Fact]
    public async Task Every_kind_of_row_the_API_writes_is_sealed_and_recomputes()
    {
        var register = await fiscus.RegisterAsync(startingFloat: 10m);
        var sale = await fiscus.SellAsync(register, 2.50m, "PRINT", "CASH");
        using (var refund = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/cash_registers/{register}/refunds",
                   Json.Body(new { account_line_id = sale["debits"]![0]!["account_line_id"]!.GetValue<long>(), amount = 0.50m })))
        {
            await refund.ExpectAsync(HttpStatusCode.Created);
        }
        using (var start = await (await fiscus.AdminAsync()).PostAsync($"/api/v1/cash_registers/{register}/cashups/start", null))
        {
            await start.ExpectAsync(HttpStatusCode.Created);
        }
        // Counted 0.10 short: a reconciliation and its deficit line.
        await fiscus.CashupAsync(register, new { reconciliations = new[] { new { payment_type = "CASH", counted = 11.90m, note = "short" } } });
        await ShiftAsync();

        // As the server's sealer works: as the runtime role.
        Assert.NotEqual(SealOutcome.OtherSealer,
            (await LedgerSealer.SealAsync(fiscus.Factory.Services.GetRequiredService<NpgsqlDataSource>(), CancellationToken.None)).Outcome);
        await fiscus.SealAllAsync();
        var parts = await fiscus.QueryAsync<string>("SELECT DISTINCT source FROM ledger_seal_chunks");
        Assert.Equal(SealedSources.All.Select(s => s.Name).Order(StringComparer.Ordinal), parts.Order(StringComparer.Ordinal));
        var report = await VerifyAsync();
        Assert.True(report.IsClean, string.Join("; ", report.Violations.Select(v => v.Detail)));
        Assert.Equal(0, report.Seal.Status.RowsWaiting);
    }

    [Fact]
    public async Task The_Z_report_carries_the_latest_seal()
    {
        var register = await fiscus.RegisterAsync();
        var admin = await fiscus.AdminAsync();
        var before = await fiscus.QueryAsync<string>("SELECT encode(hash, 'hex') FROM ledger_seals ORDER BY seal_no DESC LIMIT 1");
        using (var unsealed = await admin.GetAsync($"/api/v1/reports/daily?cash_register_id={register}"))
        {
            var report = await unsealed.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(before.SingleOrDefault(), report["seal"]?["hash"]?.GetValue<string>());
        }

        await fiscus.SellAsync(register, 1.00m);
        var seal = await fiscus.SealAllAsync();

        using var response = await admin.GetAsync($"/api/v1/reports/daily?cash_register_id={register}");
        var z = (await response.ExpectAsync(HttpStatusCode.OK))["seal"]!;
        Assert.Equal(seal.HashHex, z["hash"]!.GetValue<string>());
        Assert.Equal(seal.SealNo, z["seal_no"]!.GetValue<long>());
        Assert.Equal(seal.RowCount, z["row_count"]!.GetValue<long>());
        Assert.Equal(seal.SealedAt, z["sealed_at"]!.GetValue<DateTimeOffset>());

        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/reports/daily?cash_register_id={register}");
        request.Headers.Accept.ParseAdd("text/csv");
        using var csv = await admin.SendAsync(request);
        var rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith($",,,seal,{seal.HashHex},{seal.SealNo},", rows[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_shift_edited_by_a_superuser_is_named_until_it_is_put_back()
    {
        var shift = await ShiftAsync();
        await fiscus.SealAllAsync();

        await fiscus.ScalarAsync<int>("""
            SET session_replication_role = replica;
            UPDATE shifts SET actual_cash_end_minor = 1400 WHERE shift_id = @shift;
            SET session_replication_role = origin;
            SELECT 1;
            """, new { shift });
        var edited = await VerifyAsync();

        var finding = Assert.Single(edited.Seal.Findings);
        Assert.Equal((SealFindingKind.Altered, "shifts", shift.ToString(), "closed"), (finding.Kind, finding.Table, finding.Key, finding.Part));
        Assert.Contains(edited.Violations, v => v.Detail.StartsWith($"shifts {shift} (closed): altered since seal", StringComparison.Ordinal));

        await fiscus.ScalarAsync<int>("""
            SET session_replication_role = replica;
            UPDATE shifts SET actual_cash_end_minor = 1500 WHERE shift_id = @shift;
            SET session_replication_role = origin;
            SELECT 1;
            """, new { shift });
        Assert.True((await VerifyAsync()).IsClean);
    }

    [Fact]
    public async Task The_background_sealer_seals_what_was_written_within_its_interval()
    {
        var database = TestDatabases.NewName("sealer");
        await TestDatabases.CreateAsync(database, await TemplateDatabase.NameAsync());
        try
        {
            await using (var factory = new FiscusFactory(database, new Dictionary<string, string?> { ["FISCUS_SEAL_INTERVAL_SECONDS"] = "1" }))
            {
                using var http = factory.CreateClient();
                using var login = await http.PostAsync("/api/v1/auth/login",
                    Json.Body(new { username = "admin", password = FiscusFactory.AdminPassword }));
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                    "Bearer", (await login.ExpectAsync(HttpStatusCode.OK))["access_token"]!.GetValue<string>());
                using var sale = await http.PostSaleAsync(1, new { debit_type = "PRINT", amount = 1.00m, payment_type = "CASH" });
                var credit = (await sale.ExpectAsync(HttpStatusCode.Created))["credit"]!["account_line_id"]!.GetValue<long>();

                await using var db = NpgsqlDataSource.Create(TestDatabases.ConnectionStringFor(database));
                await using var connection = await db.OpenConnectionAsync();
                var sealedWithin = System.Diagnostics.Stopwatch.StartNew();
                while (!await connection.ExecuteScalarAsync<bool>(
                           "SELECT EXISTS (SELECT 1 FROM ledger_seal_chunks WHERE source = 'account_lines' AND @credit::text = ANY(row_keys))", new { credit }))
                {
                    Assert.True(sealedWithin.Elapsed < TimeSpan.FromSeconds(30), "the background sealer did not seal the sale within 30 s");
                    await Task.Delay(200);
                }
                var report = await LedgerVerifier.VerifyAsync(connection, CancellationToken.None);
                Assert.True(report.IsClean, string.Join("; ", report.Violations.Select(v => v.Detail)));
                Assert.NotNull(report.Seal.Status.Latest);
            }
        }
        finally
        {
            await TestDatabases.DropAsync(database);
        }
    }
}
