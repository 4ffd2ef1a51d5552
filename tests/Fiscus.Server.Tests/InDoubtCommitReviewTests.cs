using Fiscus.Server.Tests.Sip2;
using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// Review of issue 16's in-doubt commits: the ways in that <see cref="InDoubtCommitTests"/> does not cover. A kiosk's Fee Paid
/// whose COMMIT lost its answer, and a database that keeps the lost transaction open (a partition: its backend is idle in
/// transaction, holding its locks) while the runner asks about it longer than a command may wait.
/// </summary>
public sealed class InDoubtCommitReviewTests(InDoubtCommitReviewTests.Fixture fiscus) : IClassFixture<InDoubtCommitReviewTests.Fixture>
{
    const string Usd = Sip2Fixture.Currency;

    // Only a payment's own transaction writes lines: the relay breaks that one and no other.
    const string PaymentWrite = "INSERT INTO account_lines";

    /// <summary>
    /// SIP2 and HTTP through a <see cref="BreakingLink"/>; a lost COMMIT is asked about for 4 s, and a statement may run for 2 s
    /// (Npgsql's Command Timeout), so a claim that waits on a transaction the database still holds outlasts a statement.
    /// </summary>
    public sealed class Fixture : Sip2Fixture
    {
        public BreakingLink Link { get; } = new(TestDatabases.ServerConnectionString);

        protected override IReadOnlyDictionary<string, string?>? Settings() =>
            base.Settings()!.Concat(Link.ServerSettings(DatabaseName, 4, c =>
            {
                c.CommandTimeout = 2;
                // Without PoolDefaults' idle_in_transaction_session_timeout: an operator's own Options, say, that leaves it out.
                c.Options = "-c application_name=fiscus-review";
            })).ToDictionary();

        public override Task DisposeAsync() => Link.DisposeAfterAsync(base.DisposeAsync);
    }

    Task<long> PaymentsOfAsync(long patron) =>
        fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'", new { patron });

    [Theory]
    [InlineData(null)]
    [InlineData("BK-DOUBT-1")]
    public async Task A_kiosk_payment_that_was_kept_but_cannot_be_confirmed_is_not_answered_as_a_failure_to_pay_again(string? transactionId)
    {
        var (kiosk, _, _) = await fiscus.KioskAsync();
        await using var _ = kiosk;
        var (patron, card, _) = await fiscus.PatronWithFinesAsync(null, "MAIN", 10m);
        var breaks = fiscus.Link.Breaks;

        fiscus.Link.Arm(BreakingLink.Moment.AfterCommit, PaymentWrite, thenDown: true);
        Sip2Response answer;
        try
        {
            answer = await kiosk.FeePaidAsync("MAIN", card, "3.00", Usd, transactionId: transactionId);
        }
        finally
        {
            fiscus.Link.Up();
        }

        Assert.Equal(breaks + 1, fiscus.Link.Breaks);
        Assert.Equal(1, await PaymentsOfAsync(patron));
        // SIP2 has no "unknown": the 38 cannot say Y for a payment nobody saw kept, but its screen message must not send the
        // patron to pay again ("please try again" did, for a payment that was kept).
        Assert.Equal("38", answer.CommandId);
        Assert.Equal("N", answer.FixedAt(0, 1));
        Assert.DoesNotContain("try again", answer.Field("AF"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("may have been recorded", answer.Field("AF"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lost_commit_whose_transaction_the_database_still_holds_is_outcome_unknown_not_a_500()
    {
        var kiosk = await fiscus.ClientAsync(["payments:write"]);
        var patron = await fiscus.PatronAsync();
        // The kiosk's token is checked and cached before the relay is armed.
        using (await kiosk.Http.GetAsync($"/api/v1/patrons/{patron}/account"))
        {
        }
        var key = Guid.NewGuid().ToString();

        // The COMMIT never reaches PostgreSQL and the server's connection is gone, but PostgreSQL's side stays open: the
        // payment's transaction (its key, its account lock) lives on, idle. Claiming the key again waits on it, longer than a
        // statement may run.
        fiscus.Link.Arm(BreakingLink.Moment.BeforeCommit, PaymentWrite, halfOpen: true);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patrons/{patron}/account/payments")
            {
                Content = Json.Body(new { debit_type = "PRINT", amount = 1.25m, payment_type = "CASH", register_id = 1 }),
            };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await kiosk.Http.SendAsync(request);

            var problem = await response.ExpectAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("outcome_unknown", problem["code"]!.GetValue<string>());
            Assert.Equal(0, await PaymentsOfAsync(patron));
        }
        finally
        {
            // The partition heals: PostgreSQL sees the connection go and rolls the payment back.
            fiscus.Link.Down();
            fiscus.Link.Up();
        }
    }
    [Fact]
    public async Task A_write_outside_the_command_runner_whose_commit_is_lost_does_not_promise_a_key_it_cannot_take()
    {
        var admin = await fiscus.AdminAsync();
        using (await admin.GetAsync("/api/v1/clients"))
        {
        }
        var name = fiscus.Unique("Doubt ");

        fiscus.Link.Arm(BreakingLink.Moment.AfterCommit, "INSERT INTO api_clients", thenDown: true);
        HttpResponseMessage response;
        try
        {
            response = await admin.PostAsync("/api/v1/clients", Json.Body(new { name, scopes = new[] { "registers:read" } }));
        }
        finally
        {
            fiscus.Link.Up();
        }

        using (response)
        {
            // Kept (its secret never shown), and this endpoint takes no Idempotency-Key: the answer must not send the caller to one.
            var problem = await response.ExpectAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("outcome_unknown", problem["code"]!.GetValue<string>());
            Assert.DoesNotContain("Idempotency-Key", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        Assert.Equal(1, await fiscus.ScalarAsync<long>("SELECT count(*) FROM api_clients WHERE name = @name", new { name }));
    }
}
