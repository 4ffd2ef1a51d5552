using Fiscus.Ledger.Audit;
using System.Globalization;
using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Fiscus.Server.Auth;

/// <summary>
/// The addresses a user has recently signed in from, which a spent username budget does not lock out (see
/// <see cref="SignInThrottle"/>) and which get the hashing lane kept for the real user. Read from the audit log, which
/// records every login with its address (and where the index on (entity, entity_id) finds a user's rows), so it survives
/// restarts and every instance sees the same; no table of its own. HTTP Basic has no login to record, so a successful
/// Basic sign-in from an address new for that user is recorded as <c>auth.basic</c>, once a day per user and address.
/// Either way at most <see cref="MaxNewAddressesPerDay"/> addresses a day become known for a user: a login beyond that is
/// still a login (its <c>auth.login</c> row is written, marked <see cref="NotKnownDetails"/>), but its address stays
/// unknown, and a Basic sign-in beyond it writes no row.
/// </summary>
public sealed class KnownSignInAddresses(NpgsqlDataSource db, TimeProvider time, SignInCapacity capacity) : IDisposable
{
    /// <summary>How recent a sign-in must be for its address to count as the user's own.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(30);

    /// <summary>
    /// A person signs in from a handful of addresses, a Basic integration too; credentials replayed from thousands (leaked,
    /// or a botnet's) must not make every one of them "known", and with it exempt from the username's budget and entitled
    /// to the real user's hashing lane, nor write an <c>auth.basic</c> row for each.
    /// </summary>
    public const int MaxNewAddressesPerDay = 100;

    public const string LoginAction = "auth.login";
    public const string BasicAction = "auth.basic";

    /// <summary>The <c>details</c> of an <c>auth.login</c> row that does not make its address known (the day's cap was reached).</summary>
    public const string NotKnownDetails = """{"address_known": false}""";

    /// <summary>A user with more addresses than this in <see cref="Horizon"/> (a roaming laptop) keeps the most recent.</summary>
    const int MaxAddresses = 1_000;

    /// <summary>
    /// The user's addresses made known in <see cref="Horizon"/>, and whether the sign-in's address is (or may now become)
    /// one of them: it is one already, or fewer than <see cref="MaxNewAddressesPerDay"/> were first made known today.
    /// Read committed, so sign-ins from new addresses at the same instant may pass the cap by as many: it is there to stop
    /// thousands, not to count exactly.
    /// </summary>
    const string Verdict = """
        WITH addresses AS (
            SELECT remote_address, min(occurred_at) AS first_at
            FROM audit_log
            WHERE entity = 'staff_user' AND entity_id = @entityId AND action IN (@LoginAction, @BasicAction)
              AND occurred_at > @since AND remote_address IS NOT NULL AND NOT coalesce(details @> @NotKnownDetails::jsonb, false)
            GROUP BY remote_address),
        verdict AS (
            SELECT coalesce(bool_or(remote_address = @RemoteAddress), false)
                   OR count(*) FILTER (WHERE first_at >= @dayStart) < @MaxNewAddressesPerDay AS known
            FROM addresses)
        """;

    /// <summary>
    /// What this instance recorded (or found recorded) today, and whether the address is known, so that a busy integration
    /// costs no query; bounded, least recently used out first. Forgetting is harmless: the insert itself checks for the
    /// day's row.
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
                  AND a.occurred_at > @since AND a.remote_address IS NOT NULL AND NOT coalesce(a.details @> @NotKnownDetails::jsonb, false)
                GROUP BY a.remote_address
                ORDER BY max(a.occurred_at) DESC
                LIMIT @MaxAddresses) a ON true
            WHERE lower(u.username) = @username
            """, new { username, LoginAction, BasicAction, NotKnownDetails, since = time.GetUtcNow() - Horizon, MaxAddresses },
            cancellationToken: cancellationToken))).AsList();
        return new KnownUser(rows.Count > 0,
            rows.Select(r => SignInSubject.KeyOf(r.Address)).OfType<string>().ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// Writes a successful login's <c>auth.login</c> row, in the transaction that issues its token. Returns whether it makes
    /// its address known: marked <see cref="NotKnownDetails"/> when the address is new and the user has had
    /// <see cref="MaxNewAddressesPerDay"/> new ones today.
    /// </summary>
    public Task<bool> RecordLoginAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AuditActor actor, long userId, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<bool>(new CommandDefinition(Verdict + """
            INSERT INTO audit_log (occurred_at, user_id, actor, action, entity, entity_id, details, remote_address, request_id)
            SELECT @now, @UserId, @Actor, @LoginAction, 'staff_user', @entityId, CASE WHEN known THEN NULL ELSE @NotKnownDetails::jsonb END,
                   @RemoteAddress, @RequestId
            FROM verdict
            RETURNING details IS NULL
            """, Parameters(actor, userId, now), transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Records a successful Basic sign-in, unless this user's row for this address and day is there already, or the address
    /// is new and the user has had <see cref="MaxNewAddressesPerDay"/> new ones today. Returns whether the address is known.
    /// </summary>
    public async Task<bool> RecordBasicAsync(HttpContext http, Caller caller, string address, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var remembered = (caller.Id, address, DateOnly.FromDateTime(now.UtcDateTime));
        if (recordedToday.TryGetValue(remembered, out bool known))
        {
            return known;
        }
        known = await Transactions.RunAsync(db, (connection, transaction) => connection.QuerySingleAsync<bool>(new CommandDefinition(Verdict + """
            , recorded AS (
                INSERT INTO audit_log (occurred_at, user_id, actor, action, entity, entity_id, remote_address, request_id)
                SELECT @now, @UserId, @Actor, @BasicAction, 'staff_user', @entityId, @RemoteAddress, @RequestId
                FROM verdict
                WHERE known AND NOT EXISTS (
                    SELECT FROM audit_log
                    WHERE entity = 'staff_user' AND entity_id = @entityId AND action = @BasicAction AND occurred_at >= @dayStart
                      AND remote_address IS NOT DISTINCT FROM @RemoteAddress))
            SELECT known FROM verdict
            """, Parameters(AuditActors.From(caller, http), caller.Id, now), transaction, cancellationToken: cancellationToken)), cancellationToken);
        recordedToday.Set(remembered, known, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(1) });
        return known;
    }

    static object Parameters(AuditActor actor, long userId, DateTimeOffset now) => new
    {
        now, actor.UserId, actor.Actor, LoginAction, BasicAction, NotKnownDetails, MaxNewAddressesPerDay, actor.RemoteAddress, actor.RequestId,
        entityId = userId.ToString(CultureInfo.InvariantCulture),
        since = now - Horizon,
        dayStart = new DateTimeOffset(DateOnly.FromDateTime(now.UtcDateTime).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
    };

    public void Dispose() => recordedToday.Dispose();
}

/// <summary>Whether a username names a user, and the address keys that user signed in from lately.</summary>
public sealed record KnownUser(bool Exists, IReadOnlySet<string> Addresses)
{
    public static KnownUser Nobody { get; } = new(false, new HashSet<string>());
}
