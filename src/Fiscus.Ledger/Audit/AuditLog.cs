using System.Text.Json;
using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Audit;

/// <summary>One audit record: who did what to which entity, when.</summary>
public sealed record AuditEntry(AuditActor Actor, DateTimeOffset At, string Action, string Entity, string? EntityId, object? Details);

/// <summary>
/// Appends to the audit log inside the caller's transaction, so a change and its record commit or roll back
/// together. The table refuses UPDATE and DELETE.
/// </summary>
public static class AuditLog
{
    static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonbSafeStrings() },
    };

    /// <summary>The insert as a batch command, to travel in one round trip with other statements.</summary>
    public static NpgsqlBatchCommand Command(AuditEntry entry)
    {
        var command = new NpgsqlBatchCommand("""
            INSERT INTO audit_log (occurred_at, user_id, api_client_id, actor, action, entity, entity_id, details, remote_address, request_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = entry.At });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.Actor.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.Actor.ApiClientId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Actor.Actor });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Action });
        command.Parameters.Add(new NpgsqlParameter { Value = entry.Entity });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.EntityId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = entry.Details is null ? DBNull.Value : JsonSerializer.Serialize(entry.Details, DetailsJson),
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.Actor.RemoteAddress ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.Actor.RequestId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return command;
    }

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
