using Dapper;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>The intake share-locks the register's open session in the round trip that locks the account (issue 15): what
/// racing that lock does.</summary>
public sealed class IntakeSessionLockTests(FiscusFixture fiscus) : IClassFixture<FiscusFixture>
{
    /// <summary>
    /// A quick cash-up holds the open session FOR UPDATE (stalled at its cashups insert by a table lock); an intake then waits
    /// in its preload for the session. When the cash-up commits, the preload finds no open session (the closed row fails the
    /// re-check and the new session is not in its snapshot): the writer must look again and land the payment in the new one.
    /// </summary>
    [Fact]
    public async Task Intake_waiting_in_its_preload_behind_a_cashup_lands_in_the_new_session()
    {
        var register = await fiscus.RegisterAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"], cashRegisterId: register);
        var manager = await fiscus.StaffAsync("manager");
        var patron = await fiscus.PatronAsync();
        using (var first = await kiosk.Http.PostAsync($"/api/v1/patrons/{patron}/account/payments",
                   Json.Body(new { debit_type = "PRINT", amount = 1.00m, payment_type = "CARD" })))
        {
            await first.ExpectAsync(HttpStatusCode.Created);
        }
        var oldSession = (await fiscus.SessionAsync(register))["register_session_id"]!.GetValue<long>();

        await using var blocker = await fiscus.Db.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await blocker.ExecuteAsync("LOCK TABLE cashups IN EXCLUSIVE MODE", transaction: hold);

        var cashup = Task.Run(async () =>
        {
            using var response = await manager.Http.PostCashupAsync(register);
            return await response.ExpectAsync(HttpStatusCode.Created);
        });
        await WaitForAsync("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'cashups' AND NOT l.granted");

        var intake = Task.Run(async () =>
        {
            using var response = await kiosk.Http.PostAsync($"/api/v1/patrons/{patron}/account/payments",
                Json.Body(new { debit_type = "PRINT", amount = 2.00m, payment_type = "CARD" }));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        });
        await WaitForAsync("""
            SELECT count(*) FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%register_sessions%FOR SHARE%'
            """);

        await hold.CommitAsync();
        var counted = await cashup;
        var (status, body) = await intake;
        Assert.True(status == HttpStatusCode.Created, $"{(int)status}: {body}");
        var credit = JsonNode.Parse(body)!["credit"]!["account_line_id"]!.GetValue<long>();
        var newSession = (await fiscus.SessionAsync(register))["register_session_id"]!.GetValue<long>();
        Assert.NotEqual(oldSession, newSession);
        Assert.Equal(oldSession, counted["register_session_id"]?.GetValue<long>() ?? oldSession);
        Assert.Equal(newSession, await fiscus.ScalarAsync<long>(
            "SELECT register_session_id FROM account_lines WHERE account_line_id = @credit", new { credit }));
        await fiscus.AssertLedgerConsistentAsync();
    }

    /// <summary>
    /// The intake holds the session's share lock from its first round trip; archiving the register locks the register row
    /// FOR UPDATE, then the session FOR UPDATE; the intake's line insert then needs a key-share lock on the register row (its
    /// foreign key). A deadlock: PostgreSQL aborts one, and it must be retried (or refused), never answered 500.
    /// </summary>
    [Fact]
    public async Task Intake_and_register_archive_deadlock_is_retried_not_a_500()
    {
        var register = await fiscus.RegisterAsync();
        var kiosk = await fiscus.ClientAsync(["payments:write"], cashRegisterId: register);
        var admin = await fiscus.AdminAsync();
        var patron = await fiscus.PatronAsync();

        await using var blocker = await fiscus.Db.OpenConnectionAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await blocker.ExecuteAsync("LOCK TABLE account_lines IN EXCLUSIVE MODE", transaction: hold);

        var intake = Task.Run(async () =>
        {
            using var response = await kiosk.Http.PostAsync($"/api/v1/patrons/{patron}/account/payments",
                Json.Body(new { debit_type = "PRINT", amount = 2.00m, payment_type = "CARD" }));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        });
        // The intake has its session share lock and waits to insert.
        await WaitForAsync("""
            SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = 'account_lines' AND NOT l.granted AND l.mode = 'RowExclusiveLock'
            """);
        var archive = Task.Run(async () =>
        {
            using var response = await admin.PostAsync($"/api/v1/cash_registers/{register}/archive", null);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        });
        // The archive holds the register row and waits for the session.
        await WaitForAsync("""
            SELECT count(*) FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE '%register_sessions%status <> ''closed''%FOR UPDATE%'
            """);
        await hold.CommitAsync();
        var (intakeStatus, intakeBody) = await intake;
        var (archiveStatus, archiveBody) = await archive;
        Assert.True(intakeStatus is HttpStatusCode.Created or HttpStatusCode.BadRequest, $"intake {(int)intakeStatus}: {intakeBody}");
        Assert.True(archiveStatus is HttpStatusCode.OK or HttpStatusCode.Conflict, $"archive {(int)archiveStatus}: {archiveBody}");
        // Exactly one of them won.
        Assert.True((intakeStatus == HttpStatusCode.Created) != (archiveStatus == HttpStatusCode.OK),
            $"intake {(int)intakeStatus}: {intakeBody}; archive {(int)archiveStatus}: {archiveBody}");
        await fiscus.AssertLedgerConsistentAsync();
    }

    async Task WaitForAsync(string countSql)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await fiscus.ScalarAsync<long>(countSql) > 0)
            {
                return;
            }
            await Task.Delay(25);
        }
        Assert.Fail($"Timed out waiting for: {countSql}");
    }
}
