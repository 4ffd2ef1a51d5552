using Fiscus.Ledger.Audit;
using Fiscus.Server.Audit;
using Fiscus.Server.Clients;
using Fiscus.Server.Users;
using Npgsql;

namespace Fiscus.Server.Auth;

/// <summary>What a sign-in came to: the signed-in value, a refusal before any check, or (neither) wrong credentials.</summary>
public sealed record SignInResult<T>(T? Value, SignInRefusal? Refusal) where T : class
{
    public static SignInResult<T> Wrong { get; } = new(null, null);
}

/// <summary>
/// Every check of a password or client secret, in one place and one order: the throttle first (nothing is
/// computed for an address or account whose budget is spent, not even a cache look-up that could confirm a
/// guess), then what is remembered, then a hashing slot, then a failure reserved on the attempt's budgets, then the
/// hash, the failure given back on success; failures and lock-outs are audited. Used by <c>POST /auth/login</c>,
/// HTTP Basic, the shift step-up and <c>POST /oauth/token</c>.
/// </summary>
public sealed class SignIns(
    SignInThrottle throttle,
    SignInAudit audit,
    KnownSignInAddresses knownAddresses,
    VerifiedPasswords verified,
    Passwords passwords,
    StaffUsers users,
    ApiClients clients,
    CallerCache cache)
{
    /// <summary><c>POST /api/v1/auth/login</c>.</summary>
    public async Task<SignInResult<StaffUser>> LoginAsync(HttpContext http, string username, string password, CancellationToken cancellationToken)
    {
        var subject = SignInSubject.Of(http, username);
        if (await throttle.CheckAsync(subject, cancellationToken) is { } refusal)
        {
            return new(null, refusal);
        }
        var actor = AuditActors.Anonymous("anonymous", http);
        var (checkedPassword, standing) = await CheckPasswordAsync(subject, actor, username, password, cancellationToken);
        if (checkedPassword.Value is null && checkedPassword.Refusal is null)
        {
            await audit.FailedAsync(actor, subject, standing, "auth.login_failed", "staff_user", null,
                new { username = SignInAudit.Truncate(username) }, cancellationToken);
        }
        return checkedPassword;
    }

    /// <summary>HTTP Basic: the caller, remembered for <see cref="CallerCache.Lifetime"/> as a bearer token's is.</summary>
    public async Task<SignInResult<Caller>> BasicAsync(HttpContext http, string username, string password, CancellationToken cancellationToken)
    {
        var subject = SignInSubject.Of(http, username);
        if (await throttle.CheckAsync(subject, cancellationToken) is { } refusal)
        {
            return new(null, refusal);
        }
        var credential = username + ":" + password;
        if (!cache.TryGet("basic", credential, out var caller))
        {
            var actor = AuditActors.Anonymous("anonymous", http);
            var (checkedPassword, standing) = await CheckPasswordAsync(subject, actor, username, password, cancellationToken);
            if (checkedPassword.Value is not { } user)
            {
                if (checkedPassword.Refusal is null)
                {
                    await audit.FailedAsync(actor, subject, standing, "auth.basic_failed", "staff_user", null,
                        new { username = SignInAudit.Truncate(username) }, cancellationToken);
                }
                return new(null, checkedPassword.Refusal);
            }
            caller = CallerOf(user);
            cache.Add("basic", credential, caller);
        }
        // Basic has no login of its own to record: its first success from an address each day makes the address known.
        if (await knownAddresses.RecordBasicAsync(http, caller, subject.Address, cancellationToken))
        {
            throttle.Known(subject);
        }
        return new(caller, null);
    }

    /// <summary>
    /// Writes a successful login's <c>auth.login</c> row in the transaction that issues its token; its address is known for
    /// the user from now on, unless it is beyond the day's cap of new ones (<see cref="KnownSignInAddresses"/>).
    /// </summary>
    public async Task RecordLoginAsync(
        HttpContext http, Caller caller, NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await knownAddresses.RecordLoginAsync(connection, transaction, AuditActors.From(caller, http), caller.Id, now, cancellationToken))
        {
            // Before the commit: should it roll back, this instance takes the address for known until the window ends, no longer.
            throttle.Known(SignInSubject.Of(http, caller.Name));
        }
    }

    /// <summary>
    /// The shift step-up: the signed-in person types their password again; counted per person and under their username,
    /// so that a stolen session gets no budget of guesses beyond what logins may spend.
    /// </summary>
    public async Task<SignInResult<StaffUser>> StepUpAsync(HttpContext http, Caller caller, string password, CancellationToken cancellationToken)
    {
        var subject = SignInSubject.OfPerson(http, caller.Id, caller.Name);
        if (await throttle.CheckAsync(subject, cancellationToken) is { } refusal)
        {
            return new(null, refusal);
        }
        var actor = AuditActors.From(caller, http);
        var (checkedPassword, standing) = await CheckPasswordAsync(subject, actor, caller.Name, password, cancellationToken);
        if (checkedPassword.Value is { } user && user.UserId == caller.Id)
        {
            return checkedPassword;
        }
        if (checkedPassword.Refusal is null)
        {
            await audit.FailedAsync(actor, subject, standing, "auth.step_up_failed", "staff_user",
                caller.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), new { path = http.Request.Path.Value }, cancellationToken);
        }
        return new(null, checkedPassword.Refusal);
    }

    /// <summary>
    /// <c>POST /api/v1/oauth/token</c>: counted per address only. A client secret is 256 random bits, so a budget per
    /// client would protect nothing and only give anyone a way to lock a kiosk out.
    /// </summary>
    public async Task<SignInResult<ApiClient>> ClientAsync(HttpContext http, string clientId, string secret, CancellationToken cancellationToken)
    {
        var subject = SignInSubject.Of(http, null);
        if (throttle.Reserve(subject, default) is not { } reservation)
        {
            return new(null, SignInRefusal.Throttled(throttle.RetryAfterSeconds()));
        }
        if (await clients.VerifyAsync(clientId, secret, cancellationToken) is { } client)
        {
            throttle.Release(reservation);
            return new(client, null);
        }
        var actor = AuditActors.Anonymous("anonymous", http);
        await audit.LockedOutAsync(actor, throttle.Failed(reservation), cancellationToken);
        await audit.FailedAsync(actor, subject, default, "auth.token_failed", "api_client", null, new { client_id = SignInAudit.Truncate(clientId) },
            cancellationToken);
        return SignInResult<ApiClient>.Wrong;
    }

    /// <summary>The staff user signed in as, with the scopes of their role.</summary>
    public static Caller CallerOf(StaffUser user) => new(CallerKind.User, user.UserId, user.UserUuid, user.Username, user.Role,
        Roles.ScopesOf(user.Role), user.LibraryId, null, null);

    /// <summary>
    /// Checks a staff password: from memory when these credentials were verified against the user's current hash,
    /// else PBKDF2 (once for all concurrent identical checks, in a bounded number of slots, the real user's lane kept
    /// apart), with a failure reserved. An unknown or disabled user, or a name that cannot be a username (never looked
    /// up), costs the same hash, so the time taken does not tell them apart. Returns how the attempt stood, for its audit.
    /// </summary>
    /// <param name="sentName">The name as sent; the look-up and the memory use <see cref="SignInSubject.Username"/>.</param>
    async Task<(SignInResult<StaffUser> Result, AttemptStanding Standing)> CheckPasswordAsync(
        SignInSubject subject, AuditActor actor, string sentName, string password, CancellationToken cancellationToken)
    {
        var user = subject.Username is { } username ? await users.FindByUsernameAsync(username, cancellationToken) : null;
        var enabled = user is { DisabledAt: null } ? user : null;
        if (enabled is not null && verified.Remembers(subject.Username!, password, enabled.PasswordHash))
        {
            return (new(enabled, null), default);
        }
        var standing = await throttle.StandingAsync(subject, user is not null, cancellationToken);
        // Shared by concurrent checks of the same credentials, so it must not stop when the first asker goes away.
        var result = await verified.OnceAsync(subject.Username ?? sentName, password, async () =>
        {
            // A run for the same credentials may have remembered them while this attempt read its standing.
            if (enabled is not null && verified.Remembers(subject.Username!, password, enabled.PasswordHash))
            {
                return new SignInResult<StaffUser>(enabled, null);
            }
            // The slot before the reservation: an attempt turned away as busy must leave nothing in the throttle's table.
            using var slot = await verified.HashingSlotAsync(standing.KnownLane ? subject.Username : null);
            if (!slot.IsAcquired)
            {
                throttle.Busy(subject, standing);
                return new SignInResult<StaffUser>(null, SignInRefusal.Busy);
            }
            if (throttle.Reserve(subject, standing) is not { } reservation)
            {
                return new SignInResult<StaffUser>(null, SignInRefusal.Throttled(throttle.RetryAfterSeconds()));
            }
            var (valid, rehash) = verified.Compute(user?.PasswordHash, password);
            if (!valid || enabled is null)
            {
                await audit.LockedOutAsync(actor, throttle.Failed(reservation), CancellationToken.None);
                return SignInResult<StaffUser>.Wrong;
            }
            throttle.Release(reservation);
            var hash = enabled.PasswordHash;
            if (rehash)
            {
                // The hasher's parameters have moved on since this hash was stored: store a stronger one.
                hash = passwords.Hash(password);
                await users.UpgradeHashAsync(enabled, hash, CancellationToken.None);
            }
            verified.Remember(subject.Username!, password, hash);
            return new SignInResult<StaffUser>(enabled with { PasswordHash = hash }, null);
        }, cancellationToken);
        return (result, standing);
    }
}
