using Fiscus.Ledger.Audit;
using System.Text.RegularExpressions;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Npgsql;

namespace Fiscus.Server.Users;

/// <summary>
/// Staff user administration, shared by the REST API and the command line so both apply the same rules:
/// usernames unique regardless of case, passwords that meet <see cref="PasswordPolicy"/> for the user's role,
/// a known role and library, and never fewer than one active admin.
/// </summary>
public sealed partial class StaffUsers(NpgsqlDataSource dataSource, Passwords passwords, TimeProvider time, CallerCache cache)
{
    public sealed record NewUser(string? Username, string? Password, string? Role, string? LibraryId);

    /// <summary>
    /// A condition on <c>staff_users</c> that leaves out API clients' service users (migration 0014): they are nobody to
    /// list, count, find, sign in or edit, here or through the command line; to everything that administers users they
    /// do not exist (a 404 by id), and their rows could not be changed anyway.
    /// </summary>
    public const string People = "NOT staff_users.is_service_user";

    public Task<(IReadOnlyList<StaffUser> Users, long Total)> ListAsync(long offset, int limit, CancellationToken cancellationToken) =>
        Http.PagedQuery.RunAsync<StaffUser>(dataSource, StaffUser.Columns, $"FROM staff_users WHERE {People}", "user_id", null, offset, limit, cancellationToken);

    public async Task<StaffUser?> FindAsync(long userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<StaffUser>(new CommandDefinition(
            $"SELECT {StaffUser.Columns} FROM staff_users WHERE user_id = @userId AND {People}", new { userId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The user of this name, in any case. Only a valid (ASCII) name is looked up, and it is lower-cased here: PostgreSQL's
    /// <c>lower()</c> of the parameter would fold non-ASCII letters too (<c>ADMİN</c> would find <c>admin</c>).
    /// </summary>
    public async Task<StaffUser?> FindByUsernameAsync(string username, CancellationToken cancellationToken)
    {
        if (!IsUsername(username))
        {
            return null;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<StaffUser>(new CommandDefinition(
            $"SELECT {StaffUser.Columns} FROM staff_users WHERE lower(username) = @lowered AND {People}",
            new { lowered = username.ToLowerInvariant() }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Stores a stronger hash of a password just verified (the hasher's parameters have moved on), unless the password
    /// changed meanwhile. Checking passwords is <see cref="SignIns"/>'s.
    /// </summary>
    public async Task UpgradeHashAsync(StaffUser user, string hash, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE staff_users SET password_hash = @hash WHERE user_id = @UserId AND password_hash = @PasswordHash",
            new { hash, user.UserId, user.PasswordHash }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Creates a user. With no password given, one is generated (as a reset does) and returned once, so an admin never has to
    /// invent one for somebody else; a chosen password must meet <see cref="PasswordPolicy"/> for the role.
    /// </summary>
    /// <returns>The user, and the generated password when none was given (null otherwise).</returns>
    public async Task<Outcome<(StaffUser User, string? GeneratedPassword)>> CreateAsync(
        NewUser request, AuditActor actor, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateUsername(validation, request.Username);
        var generated = request.Password is null ? Secrets.NewPassword() : null;
        if (generated is null && PasswordPolicy.Problem(request.Password, request.Role, request.Username) is { } passwordProblem)
        {
            validation.Add("password", passwordProblem);
        }
        ValidateRole(validation, request.Role);
        if (!validation.IsValid)
        {
            return validation.ToFailure();
        }
        var hash = passwords.Hash(generated ?? request.Password!);
        return await Transactions.RunAsync<Outcome<(StaffUser, string?)>>(dataSource, async (connection, transaction) =>
        {
            if (await CheckLibraryAsync(connection, transaction, request.LibraryId, cancellationToken) is { } libraryFailure)
            {
                return libraryFailure;
            }
            if (await UsernameTakenAsync(connection, transaction, request.Username!, cancellationToken))
            {
                return Failure.Conflict("username_taken", $"Another user is already called '{request.Username}'.");
            }
            var now = time.GetUtcNow();
            var user = await connection.QuerySingleAsync<StaffUser>(new CommandDefinition($"""
                INSERT INTO staff_users (user_uuid, username, password_hash, role, library_id, created_at, updated_at, password_changed_at)
                VALUES (@uuid, @Username, @hash, @Role, @LibraryId, @now, @now, @now)
                RETURNING {StaffUser.Columns}
                """, new { uuid = Guid.NewGuid(), request.Username, hash, request.Role, request.LibraryId, now },
                transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, actor, now, "user.create", "staff_user", Id(user),
                new { user.Username, user.Role, user.LibraryId, GeneratedPassword = generated is not null }, cancellationToken);
            return (user, generated);
        }, cancellationToken);
    }

    public async Task<Outcome<StaffUser>> UpdateAsync(
        long userId, string? role, string? libraryId, AuditActor actor, CancellationToken cancellationToken)
    {
        var outcome = await UpdateRoleAsync(userId, role, libraryId, actor, cancellationToken);
        cache.Clear();
        return outcome;
    }

    Task<Outcome<StaffUser>> UpdateRoleAsync(
        long userId, string? role, string? libraryId, AuditActor actor, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateRole(validation, role);
        if (!validation.IsValid)
        {
            return Task.FromResult<Outcome<StaffUser>>(validation.ToFailure());
        }
        return Transactions.RunAsync<Outcome<StaffUser>>(dataSource, async (connection, transaction) =>
        {
            if (await CheckLibraryAsync(connection, transaction, libraryId, cancellationToken) is { } libraryFailure)
            {
                return libraryFailure;
            }
            var current = await LockAsync(connection, transaction, userId, cancellationToken);
            if (current is null)
            {
                return UserNotFound(userId);
            }
            if (role != Roles.Admin && await IsLastActiveAdminAsync(connection, transaction, current, cancellationToken))
            {
                return LastAdmin();
            }
            var now = time.GetUtcNow();
            var user = await connection.QuerySingleAsync<StaffUser>(new CommandDefinition($"""
                UPDATE staff_users SET role = @role, library_id = @libraryId, updated_at = @now WHERE user_id = @userId
                RETURNING {StaffUser.Columns}
                """, new { role, libraryId, now, userId }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, actor, now, "user.update", "staff_user", Id(user),
                new { from = new { current.Role, current.LibraryId }, to = new { user.Role, user.LibraryId } }, cancellationToken);
            return user;
        }, cancellationToken);
    }

    /// <summary>Disables (revoking every token) or re-enables a user.</summary>
    public async Task<Outcome<StaffUser>> SetDisabledAsync(long userId, bool disabled, AuditActor actor, CancellationToken cancellationToken)
    {
        var outcome = await SetDisabledCoreAsync(userId, disabled, actor, cancellationToken);
        cache.Clear();
        return outcome;
    }

    Task<Outcome<StaffUser>> SetDisabledCoreAsync(long userId, bool disabled, AuditActor actor, CancellationToken cancellationToken) =>
        Transactions.RunAsync<Outcome<StaffUser>>(dataSource, async (connection, transaction) =>
        {
            var current = await LockAsync(connection, transaction, userId, cancellationToken);
            if (current is null)
            {
                return UserNotFound(userId);
            }
            if (disabled && await IsLastActiveAdminAsync(connection, transaction, current, cancellationToken))
            {
                return LastAdmin();
            }
            var now = time.GetUtcNow();
            var user = await connection.QuerySingleAsync<StaffUser>(new CommandDefinition($"""
                UPDATE staff_users
                SET disabled_at = CASE WHEN @disabled THEN COALESCE(disabled_at, @now) END, updated_at = @now
                WHERE user_id = @userId
                RETURNING {StaffUser.Columns}
                """, new { disabled, now, userId }, transaction, cancellationToken: cancellationToken));
            if (disabled)
            {
                await Tokens.RevokeAllAsync(connection, transaction, userId, null, now, cancellationToken);
            }
            await AuditLog.WriteAsync(connection, transaction, actor, now, disabled ? "user.disable" : "user.enable",
                "staff_user", Id(user), null, cancellationToken);
            return user;
        }, cancellationToken);

    /// <summary>
    /// Sets a new password (generating one when none is given, to be shown once) and revokes the user's
    /// tokens, so a reset locks out whoever knew the old one.
    /// </summary>
    public async Task<Outcome<(StaffUser User, string Password)>> SetPasswordAsync(
        long userId, string? password, AuditActor actor, CancellationToken cancellationToken)
    {
        var generated = password is null;
        password ??= Secrets.NewPassword();
        var outcome = await Transactions.RunAsync<Outcome<(StaffUser, string)>>(dataSource, async (connection, transaction) =>
        {
            var current = await LockAsync(connection, transaction, userId, cancellationToken);
            if (current is null)
            {
                return UserNotFound(userId);
            }
            // The policy depends on the role and username, so it is checked on the locked row. A generated password
            // is 16 random characters; the policy is for the ones people choose.
            if (!generated && PasswordPolicy.Problem(password, current.Role, current.Username) is { } problem)
            {
                return Failure.Invalid("password", problem);
            }
            var now = time.GetUtcNow();
            var user = await connection.QuerySingleAsync<StaffUser>(new CommandDefinition($"""
                UPDATE staff_users SET password_hash = @hash, password_changed_at = @now, updated_at = @now
                WHERE user_id = @userId
                RETURNING {StaffUser.Columns}
                """, new { hash = passwords.Hash(password), now, userId }, transaction, cancellationToken: cancellationToken));
            await Tokens.RevokeAllAsync(connection, transaction, userId, null, now, cancellationToken);
            await AuditLog.WriteAsync(connection, transaction, actor, now, "user.password_reset", "staff_user", Id(user),
                new { generated }, cancellationToken);
            return (user, password);
        }, cancellationToken);
        cache.Clear();
        return outcome;
    }

    /// <summary>
    /// On a start with no users at all, creates <c>admin</c> with the configured password or a generated one.
    /// </summary>
    /// <returns>The password when this call created the admin; null when users already existed.</returns>
    public static async Task<string?> EnsureFirstAdminAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Passwords passwords, string? configuredPassword,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            $"SELECT EXISTS (SELECT 1 FROM staff_users WHERE {People})", transaction: transaction, cancellationToken: cancellationToken)))
        {
            return null;
        }
        var password = configuredPassword ?? Secrets.NewPassword();
        if (configuredPassword is not null && PasswordPolicy.Problem(password, Roles.Admin, "admin") is { } problem)
        {
            throw new Configuration.ConfigurationException($"FISCUS_ADMIN_PASSWORD is not acceptable: {problem}.");
        }
        var userId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO staff_users (user_uuid, username, password_hash, role, created_at, updated_at, password_changed_at)
            VALUES (@uuid, 'admin', @hash, 'admin', @now, @now, @now)
            RETURNING user_id
            """, new { uuid = Guid.NewGuid(), hash = passwords.Hash(password), now }, transaction, cancellationToken: cancellationToken));
        await AuditLog.WriteAsync(connection, transaction, AuditActor.System, now, "user.create", "staff_user",
            Id(userId), new { username = "admin", role = Roles.Admin, first_start = true }, cancellationToken);
        return password;
    }

    static void ValidateUsername(Validation validation, string? username)
    {
        if (username is null)
        {
            validation.Add("username", "username is required");
        }
        else if (!IsUsername(username))
        {
            validation.Add("username", "username must be 1 to 64 letters, digits, '.', '_', '@' or '-'");
        }
    }

    static void ValidateRole(Validation validation, string? role)
    {
        if (!Roles.IsRole(role))
        {
            validation.Add("role", $"role must be one of {string.Join(", ", Roles.All)}");
        }
    }

    static async Task<Failure?> CheckLibraryAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string? libraryId, CancellationToken cancellationToken)
    {
        if (libraryId is null)
        {
            return null;
        }
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM libraries WHERE library_id = @libraryId)",
            new { libraryId }, transaction, cancellationToken: cancellationToken));
        return exists ? null : Failure.Invalid("unknown_library", "library_id", $"library_id '{libraryId}' does not name a library.");
    }

    static Task<bool> UsernameTakenAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string username, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM staff_users WHERE lower(username) = lower(@username))",
            new { username }, transaction, cancellationToken: cancellationToken));

    static Task<StaffUser?> LockAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long userId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<StaffUser>(new CommandDefinition(
            $"SELECT {StaffUser.Columns} FROM staff_users WHERE user_id = @userId AND {People} FOR UPDATE",
            new { userId }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Whether <paramref name="user"/> is the only enabled admin. Locks every enabled admin row so two
    /// concurrent demotions cannot each see the other as the remaining admin.
    /// </summary>
    static async Task<bool> IsLastActiveAdminAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StaffUser user, CancellationToken cancellationToken)
    {
        if (user.Role != Roles.Admin || user.DisabledAt is not null)
        {
            return false;
        }
        var admins = await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT user_id FROM staff_users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY user_id FOR UPDATE",
            transaction: transaction, cancellationToken: cancellationToken));
        return admins.All(id => id == user.UserId);
    }

    static Failure UserNotFound(long userId) => Failure.NotFound("user_not_found", $"There is no user {userId}.");

    static Failure LastAdmin() =>
        Failure.Conflict("last_admin", "This is the only enabled admin; make another admin first.");

    static string Id(StaffUser user) => Id(user.UserId);

    static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether <paramref name="username"/> is one Fiscus could have given a user: 1 to 64 ASCII letters, digits, '.', '_',
    /// '@' or '-' (as the table's CHECK says). Sign-in uses it too, since only such a name can be looked up without
    /// PostgreSQL's and .NET's Unicode case rules disagreeing about what it matches.
    /// </summary>
    public static bool IsUsername(string? username) => username is not null && UsernamePattern().IsMatch(username);

    // \z, not $: .NET's $ also matches before a final newline, so "zed\n" would pass here and fail the table's CHECK (a 500).
    [GeneratedRegex(@"^[A-Za-z0-9._@-]{1,64}\z")]
    private static partial Regex UsernamePattern();
}
