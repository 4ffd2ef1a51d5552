using System.Globalization;
using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Fiscus.Server.Auth;

/// <summary>
/// The addresses a user has recently signed in from, which a spent username budget does not lock out (see
/// <see cref="SignInThrottle"/>). Read from the audit log, which records every login with its address (and where
/// the index on (entity, entity_id) finds a user's rows), so it survives restarts and every instance sees the same;
/// no table of its own. HTTP Basic has no login to record, so a successful Basic sign-in from an address new for that
/// user is recorded as <c>auth.basic</c>, once a day per user and address, and for at most
/// <see cref="MaxNewBasicAddressesPerDay"/> addresses per user and day.
/// </summary>
public sealed class KnownSignInAddresses(NpgsqlDataSource db, TimeProvider time, SignInCapacity capacity) : IDisposable
{
    /// <summary>How recent a sign-in must be for its address to count as the user's own.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(30);

    /// <summary>
    /// A Basic integration uses a handful of addresses; credentials replayed from thousands (leaked, or a botnet's) must not
    /// write a row for each, nor make every one of them "known".
    /// </summary>
    public const int MaxNewBasicAddressesPerDay = 100;

    public const string LoginAction = "auth.login";
    public const string BasicAction = "auth.basic";

    /// <summary>A user with more addresses than this in <see cref="Horizon"/> (a roaming laptop) keeps the most recent.</summary>
    const int MaxAddresses = 1_000;

    /// <summary>
    /// What this instance recorded (or found recorded) today, so that a busy integration costs no query; bounded, least
    /// recently used out first. Forgetting is harmless: the insert itself checks for the day's row.
    /// </summary>
    readonly MemoryCache recordedToday = new(new MemoryCacheOptions { SizeLimit = capacity.RememberedBasicSignIns });

    /// <summary>The user of <paramref name="username"/> (lower-cased, as <see cref="SignInSubject.Username"/>) and the address keys it signed in from lately.</summary>
    public async Task<KnownUser> OfAsync(string username, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(long UserId, string? Address)>(new CommandDefinition("""
            SELECT u.user_id, a.remote_address
            FROM staff_users u
            LEFT JOIN LATERAL (
                SELECT a.remote_address
                FROM audit_log a
                WHERE a.entity = 'staff_user' AND a.entity_id = u.user_id::text AND a.action IN (@LoginAction, @BasicAction)
                  AND a.occurred_at > @since AND a.remote_address IS NOT NULL
                GROUP BY a.remote_address
                ORDER BY max(a.occurred_at) DESC
                LIMIT @MaxAddresses) a ON true
            WHERE lower(u.username) = @username
            """, new { username, LoginAction, BasicAction, since = time.GetUtcNow() - Horizon, MaxAddresses },
            cancellationToken: cancellationToken))).AsList();
        return new KnownUser(rows.Count > 0,
            rows.Select(r => SignInSubject.KeyOf(r.Address)).OfType<string>().ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// Records a successful Basic sign-in, unless this user's row for this address and day is there already, or the user
    /// has had <see cref="MaxNewBasicAddressesPerDay"/> new addresses today.
    /// </summary>
    public async Task RecordBasicAsync(HttpContext http, Caller caller, string address, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var remembered = (caller.Id, address, day);
        if (recordedToday.TryGetValue(remembered, out _))
        {
            return;
        }
        var actor = AuditActor.From(caller, http);
        await Transactions.RunAsync(db, (connection, transaction) => connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_log (occurred_at, user_id, actor, action, entity, entity_id, remote_address, request_id)
            SELECT @now, @UserId, @Actor, @BasicAction, 'staff_user', @entityId, @RemoteAddress, @RequestId
            WHERE (SELECT count(*) FILTER (WHERE remote_address IS NOT DISTINCT FROM @RemoteAddress) = 0 AND count(*) < @MaxNewBasicAddressesPerDay
                   FROM audit_log
                   WHERE entity = 'staff_user' AND entity_id = @entityId AND action = @BasicAction AND occurred_at >= @dayStart)
            """, new
            {
                now, actor.UserId, actor.Actor, BasicAction, entityId = caller.Id.ToString(CultureInfo.InvariantCulture), actor.RemoteAddress,
                actor.RequestId, MaxNewBasicAddressesPerDay, dayStart = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            }, transaction, cancellationToken: cancellationToken)), cancellationToken);
        recordedToday.Set(remembered, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(1) });
    }

    public void Dispose() => recordedToday.Dispose();
}

/// <summary>Whether a username names a user, and the address keys that user signed in from lately.</summary>
public sealed record KnownUser(bool Exists, IReadOnlySet<string> Addresses)
{
    public static KnownUser Nobody { get; } = new(false, new HashSet<string>());
}
