using System.Collections.Concurrent;
using System.Globalization;
using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Npgsql;

namespace Fiscus.Server.Auth;

/// <summary>
/// The addresses a user has recently signed in from, which a spent username budget does not lock out (see
/// <see cref="SignInThrottle"/>). Read from the audit log, which records every login with its address (and where
/// the index on (entity, entity_id) finds a user's rows), so it survives restarts and every instance sees the same;
/// no table of its own. HTTP Basic has no login to record, so a successful Basic sign-in from an address new for that
/// user is recorded as <c>auth.basic</c>, once a day per user and address per instance.
/// </summary>
public sealed class KnownSignInAddresses(NpgsqlDataSource db, TimeProvider time)
{
    /// <summary>How recent a sign-in must be for its address to count as the user's own.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(30);

    public const string LoginAction = "auth.login";
    public const string BasicAction = "auth.basic";

    /// <summary>A user with more addresses than this in <see cref="Horizon"/> (a roaming laptop) keeps the most recent.</summary>
    const int MaxAddresses = 1_000;
    const int MaxRemembered = 10_000;

    readonly ConcurrentDictionary<(long UserId, string Address), DateOnly> recordedToday = new();

    /// <summary>
    /// The address keys (<see cref="SignInSubject.KeyOf(string)"/>) <paramref name="username"/> (lower-cased, as
    /// <see cref="SignInSubject.Username"/>) signed in from lately.
    /// </summary>
    public async Task<IReadOnlySet<string>> OfAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var stored = await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT a.remote_address
            FROM staff_users u
            JOIN audit_log a ON a.entity = 'staff_user' AND a.entity_id = u.user_id::text
            WHERE lower(u.username) = @username AND a.action IN (@LoginAction, @BasicAction)
              AND a.occurred_at > @since AND a.remote_address IS NOT NULL
            GROUP BY a.remote_address
            ORDER BY max(a.occurred_at) DESC
            LIMIT @MaxAddresses
            """, new { username, LoginAction, BasicAction, since = time.GetUtcNow() - Horizon, MaxAddresses },
            cancellationToken: cancellationToken));
        return stored.Select(SignInSubject.KeyOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Records a successful Basic sign-in, unless this instance recorded this user at this address today.</summary>
    public async Task RecordBasicAsync(HttpContext http, Caller caller, string address, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (recordedToday.TryGetValue((caller.Id, address), out var day) && day == today)
        {
            return;
        }
        await Transactions.RunAsync(db, (connection, transaction) => AuditLog.WriteAsync(connection, transaction,
            AuditActor.From(caller, http), time.GetUtcNow(), BasicAction, "staff_user", caller.Id.ToString(CultureInfo.InvariantCulture), null,
            cancellationToken), cancellationToken);
        if (recordedToday.Count >= MaxRemembered)
        {
            recordedToday.Clear();
        }
        recordedToday[(caller.Id, address)] = today;
    }
}
