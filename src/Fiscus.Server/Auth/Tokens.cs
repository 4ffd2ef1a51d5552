using Dapper;
using Npgsql;

namespace Fiscus.Server.Auth;

/// <summary>
/// Opaque access tokens: random values handed out once and stored only as their SHA-256. Every request
/// looks its token up in PostgreSQL, so a revoked or expired token (or a disabled user or client) stops
/// working at once on every Fiscus instance.
/// </summary>
public sealed class Tokens(NpgsqlDataSource dataSource, TimeProvider time, CallerCache cache)
{
    public sealed record Issued(string AccessToken, long TokenId, DateTimeOffset ExpiresAt, int ExpiresInSeconds);

    public static async Task<Issued> IssueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long? userId, long? apiClientId,
        int lifetimeSeconds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var token = Secrets.NewToken();
        var expiresAt = now.AddSeconds(lifetimeSeconds);
        var tokenId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO access_tokens (token_hash, user_id, api_client_id, issued_at, expires_at)
            VALUES (@hash, @userId, @apiClientId, @now, @expiresAt)
            RETURNING token_id
            """, new { hash = Secrets.Hash(token), userId, apiClientId, now, expiresAt }, transaction,
            cancellationToken: cancellationToken));
        return new Issued(token, tokenId, expiresAt, lifetimeSeconds);
    }

    /// <returns>The caller the token stands for, or null when it is unknown, expired, revoked or disabled.</returns>
    public async Task<Caller?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length is 0 or > 200)
        {
            return null;
        }
        if (cache.TryGet("bearer", token, out var cached))
        {
            return cached;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(new CommandDefinition("""
            SELECT t.token_id AS TokenId, t.expires_at AS ExpiresAt,
                   u.user_id AS UserId, u.user_uuid AS UserUuid, u.username AS Username, u.role AS Role,
                   u.library_id AS UserLibraryId,
                   c.api_client_id AS ApiClientId, c.client_uuid AS ClientUuid, c.name AS ClientName, c.client_id AS ClientId,
                   c.scopes AS ClientScopes, c.cash_register_id AS CashRegisterId,
                   COALESCE(c.library_id, r.library_id) AS ClientLibraryId
            FROM access_tokens t
            LEFT JOIN staff_users u ON u.user_id = t.user_id AND u.disabled_at IS NULL
            LEFT JOIN api_clients c ON c.api_client_id = t.api_client_id AND c.disabled_at IS NULL
            LEFT JOIN cash_registers r ON r.cash_register_id = c.cash_register_id
            WHERE t.token_hash = @hash AND t.revoked_at IS NULL AND t.expires_at > @now
            """, new { hash = Secrets.Hash(token), now = time.GetUtcNow() }, cancellationToken: cancellationToken));
        var caller = row switch
        {
            { UserId: { } userId } => new Caller(CallerKind.User, userId, row.UserUuid!.Value, row.Username!, row.Role,
                Roles.ScopesOf(row.Role!), row.UserLibraryId, null, row.TokenId),
            { ApiClientId: { } clientId } => new Caller(CallerKind.Client, clientId, row.ClientUuid!.Value, row.ClientName!, null,
                row.ClientScopes!.ToHashSet(StringComparer.Ordinal), row.ClientLibraryId, row.CashRegisterId, row.TokenId, row.ClientId),
            _ => null,
        };
        if (caller is not null)
        {
            cache.Add("bearer", token, caller, new DateTimeOffset(DateTime.SpecifyKind(row!.ExpiresAt, DateTimeKind.Utc)));
        }
        return caller;
    }

    public async Task RevokeAsync(long tokenId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE access_tokens SET revoked_at = @now WHERE token_id = @tokenId AND revoked_at IS NULL",
            new { tokenId, now = time.GetUtcNow() }, cancellationToken: cancellationToken));
        cache.Clear();
    }

    /// <summary>Revokes every live token of a user or a client (disable, password reset, secret rotation).</summary>
    public static Task RevokeAllAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long? userId, long? apiClientId,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            UPDATE access_tokens SET revoked_at = @now
            WHERE revoked_at IS NULL AND expires_at > @now
              AND (user_id = @userId OR api_client_id = @apiClientId)
            """, new { userId, apiClientId, now }, transaction, cancellationToken: cancellationToken));

    sealed record TokenRow
    {
        public long TokenId { get; init; }
        public DateTime ExpiresAt { get; init; }
        public long? UserId { get; init; }
        public Guid? UserUuid { get; init; }
        public string? Username { get; init; }
        public string? Role { get; init; }
        public string? UserLibraryId { get; init; }
        public long? ApiClientId { get; init; }
        public Guid? ClientUuid { get; init; }
        public string? ClientName { get; init; }
        public string? ClientId { get; init; }
        public string[]? ClientScopes { get; init; }
        public int? CashRegisterId { get; init; }
        public string? ClientLibraryId { get; init; }
    }
}
