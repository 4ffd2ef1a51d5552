using System.Data;
using Npgsql;

namespace Fiscus.Ledger.Database;

/// <summary>
/// Runs one command as one database transaction, retrying the whole unit a bounded number of times when
/// PostgreSQL aborts it for a serialization failure or a deadlock (SQLSTATE 40001 / 40P01).
/// </summary>
/// <remarks>
/// The unit of work is run again from the start on a fresh transaction, so it must have no side effects
/// outside the database (no e-mails, no HTTP calls) before it returns.
/// </remarks>
public static class Transactions
{
    public const int MaxAttempts = 5;

    public static Task<T> RunAsync<T>(
        NpgsqlDataSource dataSource,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken,
        IsolationLevel isolationLevel = IsolationLevel.ReadCommitted) =>
        RunAsync(dataSource, work, static _ => true, cancellationToken, isolationLevel);

    /// <summary>
    /// As <see cref="RunAsync{T}(NpgsqlDataSource, Func{NpgsqlConnection, NpgsqlTransaction, Task{T}}, CancellationToken, IsolationLevel)"/>,
    /// but commits only when <paramref name="commit"/> says so for the result; otherwise everything the work
    /// wrote is rolled back (a refused command leaves nothing behind).
    /// </summary>
    public static async Task<T> RunAsync<T>(
        NpgsqlDataSource dataSource,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        Func<T, bool> commit,
        CancellationToken cancellationToken,
        IsolationLevel isolationLevel = IsolationLevel.ReadCommitted)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(isolationLevel, cancellationToken);
            try
            {
                var result = await work(connection, transaction);
                if (commit(result))
                {
                    await CommitAsync(transaction);
                }
                else
                {
                    await transaction.RollbackAsync(cancellationToken);
                }
                return result;
            }
            catch (PostgresException e) when (IsRetryable(e) && attempt < MaxAttempts)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                // Jittered, growing back-off so that the competing transactions do not collide again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20) * attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Commits, whatever happens to the request meanwhile: once the work is done, a client that goes away must not cancel
    /// a COMMIT half-way (Npgsql's cancellation would leave its outcome unknown for nothing). An answer of PostgreSQL's
    /// own to the COMMIT (an error of severity ERROR: a deferred check refused, a serialization failure) means it was
    /// rolled back; anything else — the connection broke, timed out, or the server was terminated (FATAL/PANIC; a
    /// terminated wait for a synchronous standby comes after the local commit) — may have followed the commit record:
    /// <see cref="CommitOutcomeUnknownException"/>.
    /// </summary>
    static async Task CommitAsync(NpgsqlTransaction transaction)
    {
        try
        {
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not PostgresException { InvariantSeverity: "ERROR" } && e is NpgsqlException or IOException or TimeoutException
            or InvalidOperationException or ObjectDisposedException)
        {
            throw new CommitOutcomeUnknownException(e);
        }
    }

    /// <summary>
    /// The database, not the request, is missing: it cannot be reached, is shutting down or starting, has no connection slot
    /// left, no host of a multi-host connection string can be used, it does not answer at all, or the pool is exhausted. Not a
    /// slow query or a lock wait that PostgreSQL cancelled, and not any other error it calls transient: those may be faults of
    /// ours.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException or EndOfStreamException } => true,
        // A host that does not answer while a connection is being opened (a firewall dropping its packets, a dead primary's
        // address). Npgsql words a command that outlived its timeout the same way; that one, a query too slow, stays ours.
        NpgsqlException { InnerException: TimeoutException } timedOut when timedOut.StackTrace?.Contains("NpgsqlConnector.Open", StringComparison.Ordinal) == true => true,
        // A multi-host connection string's pool: every host is down, or none is (yet) the read-write primary it needs.
        NpgsqlException npgsql => npgsql.Message.StartsWith("The connection pool has been exhausted", StringComparison.Ordinal) ||
            npgsql.Message.StartsWith("No suitable host was found", StringComparison.Ordinal) ||
            npgsql.Message.StartsWith("Unable to connect to a suitable host", StringComparison.Ordinal),
        _ => false,
    };

    public static Task RunAsync(
        NpgsqlDataSource dataSource,
        Func<NpgsqlConnection, NpgsqlTransaction, Task> work,
        CancellationToken cancellationToken,
        IsolationLevel isolationLevel = IsolationLevel.ReadCommitted) =>
        RunAsync<bool>(dataSource, async (c, t) => { await work(c, t); return true; }, cancellationToken, isolationLevel);

    /// <summary>
    /// Contention that running the same work again resolves: the caller may retry it later. Also a prepared statement whose
    /// result type a schema change altered (another instance's migration during a rolling upgrade): Npgsql drops that
    /// statement after the error, so the work run again prepares it afresh.
    /// </summary>
    public static bool IsRetryable(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected ||
        e is { SqlState: PostgresErrorCodes.FeatureNotSupported, Routine: "RevalidateCachedQuery" };
}

/// <summary>
/// The work lost to concurrent writers more often than it is worth retrying here; the same request sent
/// again shortly will succeed. Answered as 503 with <c>Retry-After</c>, never as a fault.
/// </summary>
public sealed class RetryLaterException(string message) : Exception(message);

/// <summary>
/// The connection broke while PostgreSQL was committing (or just after): the work may or may not have been kept. The
/// command runner resolves the doubt before answering (<see cref="Commands.CommandRunner"/>); anything it cannot resolve
/// is answered 503 <c>outcome_unknown</c>: retry with the same idempotency key, or look before writing again.
/// </summary>
public sealed class CommitOutcomeUnknownException(Exception inner)
    : NpgsqlException("The connection to the database broke during COMMIT; whether the transaction was kept is not known.", inner);
