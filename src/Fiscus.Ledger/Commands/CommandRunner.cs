using System.Security.Cryptography;
using Dapper;
using Fiscus.Ledger.Audit;
using Fiscus.Ledger.Database;
using Fiscus.Ledger.Telemetry;
using Npgsql;

namespace Fiscus.Ledger.Commands;

/// <summary>
/// The one way a money command runs, whatever transport carried it (HTTP dialects, SIP2, the command line): in
/// one transaction it claims the command's idempotency keys, runs the ledger operation (which takes its locks
/// first), writes the audit records and stores the answer on the keys; a refusal at any step keeps nothing.
/// It knows no transport: the transport parses, validates, and turns the result into its own wire shape.
/// </summary>
/// <remarks>
/// Idempotency has Stripe's semantics. Keys are scoped to the actor's principal. A replay gets the stored
/// answer back; the same key with another fingerprint is refused (422 kinds); a twin racing the original
/// waits on the key's row and then answers with the winner's answer; a key past <see cref="Retention"/>
/// no longer counts. Serialization failures and deadlocks rerun the whole unit (<see cref="Transactions"/>).
/// <para>
/// A COMMIT whose answer is lost (the connection broke, the server was stopped, a failover) leaves the command in doubt:
/// it may have been kept. The runner never answers such a command as failed; it asks the database, from a fresh
/// connection (the new primary after a failover), for as long as <paramref name="resolveFor"/> allows. A command with
/// keys is simply run again: claiming its keys waits for the original transaction if it is still finishing, then finds
/// them (kept: their stored answer) or not (rolled back: the command runs now). A command without keys leaves a
/// <c>commit_markers</c> row in its transaction, and claiming that marker again tells the same. When the database
/// cannot be asked in time, <see cref="CommitOutcomeUnknownException"/> goes up: 503 <c>outcome_unknown</c>.
/// </para>
/// </remarks>
public sealed class CommandRunner(NpgsqlDataSource db, TimeProvider time, TimeSpan? resolveFor = null)
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>How long an in-doubt commit is asked about before the answer is <c>outcome_unknown</c>.</summary>
    public static readonly TimeSpan DefaultResolveFor = TimeSpan.FromSeconds(15);

    readonly TimeSpan resolveFor = resolveFor ?? DefaultResolveFor;

    sealed record StoredKey(
        string Key, byte[] RequestHash, int? StatusCode, string? ContentType, byte[]? ResponseBody, string? ResponseLocation, string? RequestPath,
        DateTime ExpiresAt);

    /// <param name="operation">The ledger operation; its locks come first in it (the account, the register).</param>
    /// <param name="complete">The answer the transport will send (and replay) and the audit records, from what the operation did.</param>
    public async Task<CommandResult> RunAsync<T>(
        CommandRequest request, Func<CommandScope, Task<Outcome<T>>> operation, Func<CommandScope, T, Task<Completion>> complete,
        CancellationToken cancellationToken)
    {
        var tallies = new Tallies();
        var result = await RunCountedAsync(request, operation, complete, tallies, cancellationToken);
        // Counted once the command is over: a fresh answer is a commit (the last attempt's tally is the one kept).
        CommandMetrics.Record(request.Actor.Ledger.Interface, result, tallies.Last);
        return result;
    }

    /// <summary>The tally of each attempt's money as it starts; the last one is the attempt that committed.</summary>
    sealed class Tallies
    {
        public CommandTally? Last { get; set; }
    }

    async Task<CommandResult> RunCountedAsync<T>(
        CommandRequest request, Func<CommandScope, Task<Outcome<T>>> operation, Func<CommandScope, T, Task<Completion>> complete,
        Tallies tallies, CancellationToken cancellationToken)
    {
        if (request.Keys.Count > 0 && (request.Fingerprint.Length == 0 || request.Actor.Ledger is { UserId: null, ApiClientId: null }))
        {
            // Keys without a fingerprint would replay any request sent with them; keys without a principal would be shared.
            throw new ArgumentException("Idempotency keys need the request's fingerprint and an actor that is a user or a client.", nameof(request));
        }
        if (request.Keys.FirstOrDefault(k => k.Value.Length is 0 or > IdempotencyKey.MaxLength) is { } bad)
        {
            return CommandResult.Refused(new Failure(FailureKind.Invalid, "invalid_idempotency_key",
                $"An idempotency key is 1 to {IdempotencyKey.MaxLength} characters; this one has {bad.Value.Length}."));
        }
        try
        {
            return await RunOrResolveAsync(request, operation, complete, tallies, cancellationToken);
        }
        catch (PostgresException e) when (LedgerRefusals.Describe(e) is { } refused)
        {
            // A constraint or trigger refused what a concurrent command made invalid after the checks in C# passed
            // (rolled back: nothing was kept, the keys included).
            return CommandResult.Refused(refused);
        }
    }

    async Task<CommandResult> RunOrResolveAsync<T>(
        CommandRequest request, Func<CommandScope, Task<Outcome<T>>> operation, Func<CommandScope, T, Task<Completion>> complete,
        Tallies tallies, CancellationToken cancellationToken)
    {
        // Version 7 (time-ordered): every keyless command inserts one, and random keys would scatter them over the index's pages.
        var attempt = new Attempt(request.Keys.Count == 0 ? Guid.CreateVersion7() : null);
        try
        {
            return await RunInTransactionAsync(request, operation, complete, attempt, tallies, cancellationToken);
        }
        catch (CommitOutcomeUnknownException doubt)
        {
            // Wall-clock time (not the ledger's clock, which tests move): how long the database is waited for.
            var deadline = DateTimeOffset.UtcNow + resolveFor;
            while (true)
            {
                try
                {
                    if (attempt.Marker is { } marker)
                    {
                        if (await MarkerKeptAsync(marker, deadline, cancellationToken))
                        {
                            return attempt.Result!;
                        }
                        // Rolled back: nothing of it was kept, so it runs again, with a new marker.
                        attempt = new Attempt(Guid.CreateVersion7());
                    }
                    // With keys, running it again is the question: the kept original answers as a replay.
                    using var bounded = Bounded(deadline, cancellationToken);
                    return await RunInTransactionAsync(request, operation, complete, attempt, tallies, bounded.Token);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && CannotAskNow(e))
                {
                    if (DateTimeOffset.UtcNow >= deadline)
                    {
                        throw doubt;
                    }
                    // The database is down, restarting or failing over: ask again shortly, until the deadline.
                    await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
                }
            }
        }
    }

    /// <summary>
    /// The database could not answer the question this time; nothing the question itself wrote was kept (its claim, or the
    /// run again, did not commit), so asking again is safe. Beyond a database that is away: a claim that waited on the lost
    /// transaction (still open on a partitioned backend) longer than a statement may run — Npgsql's Command Timeout, the
    /// role's statement_timeout or lock_timeout — or a host that does not answer the connect (a blackholed old primary),
    /// or a standby that is not promoted yet. Any of these is "not known yet", never a fault of ours to answer as a 500.
    /// </summary>
    static bool CannotAskNow(Exception e) =>
        e is CommitOutcomeUnknownException or OperationCanceledException or TimeoutException || Transactions.IsDatabaseUnavailable(e) ||
        e is PostgresException
        {
            SqlState: PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.ReadOnlySqlTransaction
                or "25P03", // idle_in_transaction_session_timeout
        } ||
        e is PostgresException { InvariantSeverity: "FATAL" or "PANIC" } ||
        e is NpgsqlException and not PostgresException;

    /// <summary>What one run of a command left: its marker (a command without keys) and, once done, its answer.</summary>
    sealed class Attempt(Guid? marker)
    {
        public Guid? Marker { get; } = marker;

        public CommandResult? Result { get; set; }
    }

    static CancellationTokenSource Bounded(DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromTicks(Math.Max(1, (deadline - DateTimeOffset.UtcNow).Ticks)));
        return bounded;
    }

    /// <summary>
    /// Whether the transaction that left <paramref name="marker"/> was kept: claiming it again waits while that transaction is
    /// still finishing (the unique index holds the claim until it commits or rolls back), then finds it or not. The claim is
    /// always rolled back.
    /// </summary>
    async Task<bool> MarkerKeptAsync(Guid marker, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        using var bounded = Bounded(deadline, cancellationToken);
        await using var connection = await db.OpenConnectionAsync(bounded.Token);
        await using var transaction = await connection.BeginTransactionAsync(bounded.Token);
        var claimed = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "INSERT INTO commit_markers (marker, created_at) VALUES (@marker, now()) ON CONFLICT (marker) DO NOTHING RETURNING 1",
            new { marker }, transaction, cancellationToken: bounded.Token));
        await transaction.RollbackAsync(bounded.Token);
        return claimed is null;
    }

    Task<CommandResult> RunInTransactionAsync<T>(
        CommandRequest request, Func<CommandScope, Task<Outcome<T>>> operation, Func<CommandScope, T, Task<Completion>> complete,
        Attempt attempt, Tallies tallies, CancellationToken cancellationToken) =>
        Transactions.RunAsync(db, async (connection, transaction) =>
        {
            tallies.Last = CommandTally.Begin();
            var now = time.GetUtcNow();
            var claimed = new List<long>();
            // Sorted, so two requests sharing keys claim them in the same order and cannot deadlock.
            foreach (var key in request.Keys.Select(k => k.Stored).Distinct().Order(StringComparer.Ordinal))
            {
                var claim = new
                {
                    request.Actor.Principal, key, hash = request.Fingerprint, method = request.Method, path = request.Operation, now,
                    expires = now + Retention,
                };
                var id = await ClaimAsync(connection, transaction, claim, cancellationToken);
                if (id is null)
                {
                    var stored = await connection.QuerySingleAsync<StoredKey>(new CommandDefinition("""
                        SELECT key, request_hash, status_code, content_type, response_body, response_location, request_path, expires_at
                        FROM idempotency_keys WHERE principal = @Principal AND key = @key
                        """, new { request.Actor.Principal, key }, transaction, cancellationToken: cancellationToken));
                    if (stored.ExpiresAt > now.UtcDateTime)
                    {
                        return Replay(stored, request);
                    }
                    // A key past its retention that housekeeping has not swept yet: it no longer counts.
                    await connection.ExecuteAsync(new CommandDefinition(
                        "DELETE FROM idempotency_keys WHERE principal = @Principal AND key = @key AND expires_at <= @now",
                        new { request.Actor.Principal, key, now }, transaction, cancellationToken: cancellationToken));
                    id = await ClaimAsync(connection, transaction, claim, cancellationToken);
                    if (id is null)
                    {
                        return Replay(stored with { StatusCode = null }, request);
                    }
                }
                claimed.Add(id.Value);
            }

            var scope = new CommandScope(connection, transaction, request.Actor, now, cancellationToken);
            var done = await operation(scope);
            if (done.Failure is { } refused)
            {
                return CommandResult.Refused(refused);
            }
            var completion = await complete(scope, done.Value!);
            await FinishAsync(connection, transaction, request.Actor, now, completion, claimed, attempt.Marker, cancellationToken);
            return attempt.Result = new CommandResult(completion.Answer, null);
        }, r => r is { Answer: not null, Replayed: false }, cancellationToken);

    /// <summary>The audit records and the answer stored on the claimed keys (or the commit marker), in one round trip.</summary>
    static async Task FinishAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CommandActor actor, DateTimeOffset now, Completion completion,
        List<long> claimed, Guid? marker, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (marker is { } value)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO commit_markers (marker, created_at) VALUES ($1, $2)")
            {
                Parameters = { new NpgsqlParameter { Value = value }, new NpgsqlParameter { Value = now } },
            });
        }
        foreach (var record in completion.Audit)
        {
            batch.BatchCommands.Add(AuditLog.Command(new AuditEntry(actor.Audit, now, record.Action, record.Entity, record.EntityId, record.Details)));
        }
        if (claimed.Count > 0)
        {
            var answer = completion.Answer;
            var store = new NpgsqlBatchCommand("""
                UPDATE idempotency_keys SET status_code = $1, content_type = $2, response_body = $3, response_location = $4
                WHERE idempotency_key_id = ANY($5)
                """);
            store.Parameters.Add(new NpgsqlParameter { Value = answer.Status });
            store.Parameters.Add(new NpgsqlParameter { Value = answer.ContentType });
            store.Parameters.Add(new NpgsqlParameter { Value = answer.Body });
            store.Parameters.Add(new NpgsqlParameter { Value = (object?)answer.Location ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            store.Parameters.Add(new NpgsqlParameter { Value = claimed.ToArray() });
            batch.BatchCommands.Add(store);
        }
        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Claims a key; waits while a twin holding it is in flight, and gets nothing back once that twin has committed.</summary>
    static Task<long?> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, object claim, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO idempotency_keys (principal, key, request_hash, request_method, request_path, created_at, expires_at)
            VALUES (@Principal, @key, @hash, @method, @path, @now, @expires)
            ON CONFLICT (principal, key) DO NOTHING
            RETURNING idempotency_key_id
            """, claim, transaction, cancellationToken: cancellationToken));

    static CommandResult Replay(StoredKey stored, CommandRequest request)
    {
        var key = IdempotencyKey.FromStored(stored.Key);
        if (!CryptographicOperations.FixedTimeEquals(stored.RequestHash, request.Fingerprint))
        {
            return CommandResult.Refused(key.Kind == IdempotencyKeyKind.ExternalId
                ? new Failure(FailureKind.Mismatch, "external_id_reused",
                    $"external_id '{key.Value}' was already used for a different request ({stored.RequestPath}).")
                {
                    Errors = new Dictionary<string, string[]> { ["external_id"] = ["already used for a different request"] },
                }
                : new Failure(FailureKind.Mismatch, "idempotency_key_reused",
                    $"This {request.KeyName} was already used for a different request ({stored.RequestPath}); use a new key for a new request."));
        }
        if (stored.StatusCode is not { } status)
        {
            return CommandResult.Refused(Failure.Conflict("idempotency_key_in_use", "The request with this key is still being processed; retry shortly."));
        }
        return new CommandResult(new CommandAnswer(status, stored.ContentType!, stored.ResponseBody!, stored.ResponseLocation), null, Replayed: true);
    }
}
