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
                    await transaction.CommitAsync(cancellationToken);
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
