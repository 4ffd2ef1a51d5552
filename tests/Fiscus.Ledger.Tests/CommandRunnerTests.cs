using System.Text;
using Dapper;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Audit;
using Fiscus.Ledger.Commands;
using Fiscus.Ledger.Verification;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// The command runner below any transport: what SIP2, the CLI and every HTTP dialect rely on. One transaction claims
/// the keys, runs the operation, writes the audit and stores the answer; a replay answers the stored bytes; a reused key
/// with another request, a refusal and racing twins behave as Stripe's idempotency does.
/// </summary>
public sealed class CommandRunnerTests(LedgerDatabase database) : IClassFixture<LedgerDatabase>
{
    sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    static readonly CommandActor Cashier = new(
        new LedgerActor(LedgerDatabase.TesterUserId, null, "sip", null, Binding.None,
            new HashSet<string>([Scopes.AccountsWrite, Scopes.PaymentsWrite], StringComparer.Ordinal)),
        new AuditActor("user:1 (ledger-tester)", LedgerDatabase.TesterUserId, null, "192.0.2.7", "req-1"));

    readonly Clock clock = new();

    CommandRunner Runner => new(database.DataSource, clock);

    static CommandRequest Keyed(string key, string fingerprint, IdempotencyKeyKind kind = IdempotencyKeyKind.Request) =>
        new(Cashier, [new IdempotencyKey(kind, key)], Encoding.UTF8.GetBytes(fingerprint), "SIP2", "37 Fee Paid");

    /// <summary>Pays <paramref name="amountMinor"/> of a charge through the intake and answers the credit's id as the body.</summary>
    Task<CommandResult> PayAsync(CommandRequest request, long patronId, long amountMinor, string paymentType = "CARD") =>
        Runner.RunAsync(request,
            scope => scope.OnAccountAsync(patronId, account => AccountOperations.IntakeAsync(account,
                new IntakeCommand("MANUAL", amountMinor, paymentType, null, null, null, null, null))),
            (scope, result) => Task.FromResult(new Completion(
                new CommandAnswer(201, "text/plain", Encoding.UTF8.GetBytes($"credit {result.Credit.AccountLineId}"), "/somewhere"),
                [new AuditRecord("account.payment_intake", "account_line", result.Credit.AccountLineId.ToString(), new { amount_minor = amountMinor })])),
            CancellationToken.None);

    async Task<long> PatronAsync()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
            VALUES (left(md5(random()::text), 20), 'Runner', 'MAIN', now(), now()) RETURNING patron_id
            """);
    }

    async Task<(long Lines, long Audit)> CountsAsync(long patronId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM account_lines WHERE patron_id = @patronId", new { patronId }),
            await connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM audit_log WHERE action = 'account.payment_intake' AND details->>'amount_minor' IS NOT NULL AND request_id = 'req-1' AND entity_id IN (SELECT account_line_id::text FROM account_lines WHERE patron_id = @patronId)",
                new { patronId }));
    }

    async Task VerifiedAsync()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var report = await LedgerVerifier.VerifyAsync(connection, CancellationToken.None);
        Assert.True(report.Violations.Count == 0, string.Join("\n", report.Violations));
    }

    [Fact]
    public async Task A_replay_answers_the_stored_bytes_and_writes_nothing_more()
    {
        var patron = await PatronAsync();

        var first = await PayAsync(Keyed("bk-1", "fee 5.00"), patron, 500);
        var replay = await PayAsync(Keyed("bk-1", "fee 5.00"), patron, 500);

        Assert.False(first.Replayed);
        Assert.True(replay.Replayed);
        Assert.Equal(first.Answer!.Body, replay.Answer!.Body);
        Assert.Equal((201, "text/plain", "/somewhere"), (replay.Answer.Status, replay.Answer.ContentType, replay.Answer.Location));
        Assert.Equal((2L, 1L), await CountsAsync(patron));
        await VerifiedAsync();
    }

    [Theory]
    [InlineData(IdempotencyKeyKind.Request, "idempotency_key_reused", null)]
    [InlineData(IdempotencyKeyKind.ExternalId, "external_id_reused", "external_id")]
    public async Task A_key_used_for_another_request_is_refused_and_writes_nothing(IdempotencyKeyKind kind, string code, string? field)
    {
        var patron = await PatronAsync();
        await PayAsync(Keyed("bk-2", "fee 5.00", kind), patron, 500);

        var other = await PayAsync(Keyed("bk-2", "fee 6.00", kind), patron, 600);

        Assert.Equal((FailureKind.Mismatch, code), (other.Failure!.Kind, other.Failure.Code));
        Assert.Equal(field, other.Failure.Errors?.Keys.Single());
        Assert.Contains("37 Fee Paid", other.Failure.Message, StringComparison.Ordinal);
        Assert.Equal((2L, 1L), await CountsAsync(patron));
    }

    [Fact]
    public async Task A_refusal_keeps_neither_key_nor_audit_so_the_fixed_request_may_use_the_key()
    {
        var patron = await PatronAsync();

        var refused = await PayAsync(Keyed("bk-3", "fee 5.00"), patron, 500, paymentType: "NO-SUCH-TYPE");
        var fixedRequest = await PayAsync(Keyed("bk-3", "fee 5.00 by card"), patron, 500);

        Assert.Equal(("unknown_payment_type", "payment_type"), (refused.Failure!.Code, refused.Failure.Errors!.Keys.Single()));
        Assert.Null(refused.Answer);
        Assert.False(fixedRequest.Replayed);
        Assert.NotNull(fixedRequest.Answer);
        Assert.Equal((2L, 1L), await CountsAsync(patron));
    }

    [Fact]
    public async Task Twins_racing_on_one_key_write_once_and_all_get_the_winners_answer_or_are_told_to_retry()
    {
        var patron = await PatronAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => PayAsync(Keyed("bk-4", "fee 2.50"), patron, 250))));

        var answered = results.Where(r => r.Answer is not null).ToList();
        Assert.Single(answered, r => !r.Replayed);
        Assert.All(answered, r => Assert.Equal(answered[0].Answer!.Body, r.Answer!.Body));
        Assert.All(results.Where(r => r.Answer is null), r => Assert.Equal("idempotency_key_in_use", r.Failure!.Code));
        Assert.Equal((2L, 1L), await CountsAsync(patron));
        await VerifiedAsync();
    }

    [Fact]
    public async Task A_key_past_its_retention_no_longer_counts()
    {
        var patron = await PatronAsync();
        await PayAsync(Keyed("bk-5", "fee 1.00"), patron, 100);

        clock.Now += CommandRunner.Retention + TimeSpan.FromMinutes(1);
        var again = await PayAsync(Keyed("bk-5", "fee 1.00"), patron, 100);

        Assert.False(again.Replayed);
        Assert.Equal((4L, 2L), await CountsAsync(patron));
    }

    [Fact]
    public async Task The_audit_record_names_the_actor_its_address_and_request_beside_the_money()
    {
        var patron = await PatronAsync();

        var paid = await PayAsync(CommandRequest.Once(Cashier), patron, 700);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(string Actor, long UserId, string RemoteAddress, string EntityId, string Interface)>("""
            SELECT a.actor, a.user_id, a.remote_address, a.entity_id, l.interface
            FROM audit_log a JOIN account_lines l ON l.account_line_id::text = a.entity_id
            WHERE a.action = 'account.payment_intake' AND l.patron_id = @patron
            """, new { patron });
        Assert.Equal(("user:1 (ledger-tester)", LedgerDatabase.TesterUserId, "192.0.2.7", "sip"), (row.Actor, row.UserId, row.RemoteAddress, row.Interface));
        Assert.Equal($"credit {row.EntityId}", Encoding.UTF8.GetString(paid.Answer!.Body));
    }

    [Fact]
    public async Task A_key_longer_than_the_bound_is_refused_before_anything_runs()
    {
        var patron = await PatronAsync();

        var refused = await PayAsync(Keyed(new string('k', IdempotencyKey.MaxLength + 1), "x"), patron, 100);

        Assert.Equal((FailureKind.Invalid, "invalid_idempotency_key"), (refused.Failure!.Kind, refused.Failure.Code));
        Assert.Equal((0L, 0L), await CountsAsync(patron));
    }
}
