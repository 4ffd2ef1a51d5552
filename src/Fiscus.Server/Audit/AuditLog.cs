using System.Text.Json;
using Dapper;
using Npgsql;

namespace Fiscus.Server.Audit;

/// <summary>
/// Appends to the audit log inside the caller's transaction, so a change and its record commit or roll back
/// together. The table refuses UPDATE and DELETE.
/// </summary>
public static class AuditLog
{
    static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static Task WriteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AuditActor actor, DateTimeOffset at,
        string action, string entity, string? entityId, object? details, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_log (occurred_at, user_id, api_client_id, actor, action, entity, entity_id, details, remote_address, request_id)
            VALUES (@at, @UserId, @ApiClientId, @Actor, @action, @entity, @entityId, @details::jsonb, @RemoteAddress, @RequestId)
            """,
            new
            {
                at,
                actor.UserId,
                actor.ApiClientId,
                actor.Actor,
                action,
                entity,
                entityId,
                details = details is null ? null : JsonSerializer.Serialize(details, DetailsJson),
                actor.RemoteAddress,
                actor.RequestId,
            },
            transaction, cancellationToken: cancellationToken));
}
