using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Server.Tests;

/// <summary>
/// Issue 16's review: a transaction orphaned by a partition (the COMMIT never reached PostgreSQL, whose side of the
/// connection stays open) must not hold the patron's account for hours. The pool's idle_in_transaction_session_timeout
/// (PoolDefaults) ends it within the window the lost COMMIT is asked about in: here 1.5 s and 4 s, as 10 s and 15 s by default.
/// </summary>
public sealed class OrphanedTransactionTests(OrphanedTransactionTests.Fixture fiscus) : IClassFixture<OrphanedTransactionTests.Fixture>
{
    public sealed class Fixture : FiscusFixture
    {
        public BreakingLink Link { get; } = new(TestDatabases.ServerConnectionString);

        protected override IReadOnlyDictionary<string, string?>? Settings() => Link.ServerSettings(DatabaseName, 4, c =>
        {
            c.CommandTimeout = 2;
            c.Options = "-c idle_in_transaction_session_timeout=1500";
        });

        public override Task DisposeAsync() => Link.DisposeAfterAsync(base.DisposeAsync);
    }

    const string PaymentWrite = "INSERT INTO account_lines";

    Task<long> PaymentsOfAsync(long patron) =>
        fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'", new { patron });

    /// <summary>
    /// The lost transaction of a partition stays open on its backend, idle in transaction, until the server's TCP keepalive
    /// gives up on the dead peer (Linux: about 2 h 11 min), holding the patron's account row and the key: every later payment
    /// for the patron waited on it into a 500. PostgreSQL's idle_in_transaction_session_timeout, which Fiscus's pool sets
    /// shorter than the resolve window (PoolDefaults), ends the orphan in time: the instance asking about the lost COMMIT
    /// sees it rolled back and writes the payment, once.
    /// </summary>
    [Fact]
    public async Task A_transaction_left_open_by_a_partition_does_not_block_the_patrons_next_payment()
    {
        var kiosk = await fiscus.ClientAsync(["payments:write"]);
        var patron = await fiscus.PatronAsync();
        using (await kiosk.Http.GetAsync($"/api/v1/patrons/{patron}/account"))
        {
        }
        HttpRequestMessage Pay(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patrons/{patron}/account/payments")
            {
                Content = Json.Body(new { debit_type = "PRINT", amount = 1.25m, payment_type = "CASH", register_id = 1 }),
            };
            request.Headers.Add("Idempotency-Key", key);
            return request;
        }

        fiscus.Link.Arm(BreakingLink.Moment.BeforeCommit, PaymentWrite, halfOpen: true);
        try
        {
            var key = Guid.NewGuid().ToString();
            // The orphan ends after 1.5 s idle; the resolution, waiting on its key, then writes the payment.
            using (var resolved = await kiosk.Http.SendAsync(Pay(key)))
            {
                await resolved.ExpectAsync(HttpStatusCode.Created);
            }
            // And the patron's next payment goes through.
            using var next = await kiosk.Http.SendAsync(Pay(Guid.NewGuid().ToString()));
            await next.ExpectAsync(HttpStatusCode.Created);
            Assert.Equal(2, await PaymentsOfAsync(patron));
        }
        finally
        {
            fiscus.Link.Down();
            fiscus.Link.Up();
        }
    }
}
