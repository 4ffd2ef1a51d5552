using Fiscus.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fiscus.Server.Tests;

/// <summary>
/// Issue 16: a COMMIT whose answer is lost. The server talks to PostgreSQL through a relay that breaks the connection just
/// after PostgreSQL committed a payment (its answer never arrives) or just before the COMMIT reaches it; the server must
/// find out which, and never answer a kept payment as failed (its client would pay again) nor lose or double one. When the
/// database cannot be asked in time, the answer is 503 <c>outcome_unknown</c>, and the same key later gives the truth.
/// </summary>
public sealed class InDoubtCommitTests(InDoubtCommitTests.Fixture fiscus) : IClassFixture<InDoubtCommitTests.Fixture>
{
    /// <summary>A Fiscus whose runtime pool goes through a <see cref="BreakingLink"/> and asks about a lost COMMIT for 3 s.</summary>
    public sealed class Fixture : FiscusFixture
    {
        public BreakingLink Link { get; } = new(TestDatabases.ServerConnectionString);

        // A connect that gets no answer gives up after 3 s (Npgsql's default is 15).
        protected override IReadOnlyDictionary<string, string?>? Settings() => Link.ServerSettings(DatabaseName, 3, c => c.Timeout = 3);

        public override Task DisposeAsync() => Link.DisposeAfterAsync(base.DisposeAsync);
    }

    // Only the payment's own transaction writes lines: the relay breaks that one and no other.
    const string PaymentWrite = "INSERT INTO account_lines";

    static async Task<HttpResponseMessage> PayAsync(HttpClient client, long patron, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/patrons/{patron}/account/payments")
        {
            Content = Json.Body(new { debit_type = "PRINT", amount = 1.25m, payment_type = "CASH", register_id = 1 }),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await client.SendAsync(request);
    }

    Task<long> PaymentsOfAsync(long patron) =>
        fiscus.ScalarAsync<long>("SELECT count(*) FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'", new { patron });

    async Task<(HttpClient Kiosk, long Patron)> ReadyAsync()
    {
        var kiosk = await fiscus.ClientAsync(["payments:write"]);
        var patron = await fiscus.PatronAsync();
        // The kiosk's token is checked and cached before the relay is armed.
        using var warm = await kiosk.Http.GetAsync($"/api/v1/patrons/{patron}/account");
        return (kiosk.Http, patron);
    }

    [Theory]
    [InlineData(BreakingLink.Moment.AfterCommit, true)]
    [InlineData(BreakingLink.Moment.AfterCommit, false)]
    [InlineData(BreakingLink.Moment.BeforeCommit, true)]
    [InlineData(BreakingLink.Moment.BeforeCommit, false)]
    public async Task A_payment_whose_commit_lost_its_answer_is_answered_as_what_the_database_kept(BreakingLink.Moment moment, bool withKey)
    {
        var (kiosk, patron) = await ReadyAsync();
        var key = withKey ? Guid.NewGuid().ToString() : null;
        var breaks = fiscus.Link.Breaks;

        fiscus.Link.Arm(moment, PaymentWrite);
        using var response = await PayAsync(kiosk, patron, key);

        Assert.Equal(breaks + 1, fiscus.Link.Breaks);
        var body = await response.ExpectAsync(HttpStatusCode.Created);
        // Exactly one payment, whether the first COMMIT was kept (AfterCommit) or never arrived (BeforeCommit: run again).
        Assert.Equal(1, await PaymentsOfAsync(patron));
        Assert.Equal(body["credit"]!["account_line_id"]!.GetValue<long>(), await fiscus.ScalarAsync<long>(
            "SELECT account_line_id FROM account_lines WHERE patron_id = @patron AND credit_type_code = 'PAYMENT'", new { patron }));
        if (key is not null)
        {
            // The key holds that one payment: sent again, the same answer and nothing more.
            using var again = await PayAsync(kiosk, patron, key);
            Assert.Equal(body.ToJsonString(), (await again.ExpectAsync(HttpStatusCode.Created)).ToJsonString());
            Assert.Equal(1, await PaymentsOfAsync(patron));
        }
    }

    [Theory]
    [InlineData(BreakingLink.Moment.AfterCommit, 1)]
    [InlineData(BreakingLink.Moment.BeforeCommit, 0)]
    public async Task When_the_database_cannot_be_asked_the_answer_is_outcome_unknown_and_the_same_key_tells_the_truth(
        BreakingLink.Moment moment, int kept)
    {
        var (kiosk, patron) = await ReadyAsync();
        var key = Guid.NewGuid().ToString();

        fiscus.Link.Arm(moment, PaymentWrite, thenDown: true);
        HttpResponseMessage unknown;
        try
        {
            unknown = await PayAsync(kiosk, patron, key);
        }
        finally
        {
            fiscus.Link.Up();
        }

        using (unknown)
        {
            var problem = await unknown.ExpectAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("outcome_unknown", problem["code"]!.GetValue<string>());
            Assert.NotNull(unknown.Headers.RetryAfter);
        }
        Assert.Equal(kept, await PaymentsOfAsync(patron));

        // Once the database answers again, the same request with the same key is the one payment: found, or written now.
        using var again = await PayAsync(kiosk, patron, key);
        await again.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(kept == 1 ? "true" : null, again.Headers.TryGetValues("Idempotency-Replayed", out var replayed) ? replayed.Single() : null);
        Assert.Equal(1, await PaymentsOfAsync(patron));
    }

    [Fact]
    public async Task A_database_whose_packets_vanish_is_503_database_unavailable_not_500()
    {
        var (kiosk, patron) = await ReadyAsync();
        // Pooled connections would fail at once on their cut sockets; new ones must be opened, and none gets an answer.
        fiscus.Factory.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().Clear();
        fiscus.Link.Silent();
        try
        {
            using var response = await PayAsync(kiosk, patron, Guid.NewGuid().ToString());
            var problem = await response.ExpectAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("database_unavailable", problem["code"]!.GetValue<string>());
        }
        finally
        {
            fiscus.Link.Up();
        }
        Assert.Equal(0, await PaymentsOfAsync(patron));
    }
}
