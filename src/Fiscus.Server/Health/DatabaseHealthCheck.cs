using Dapper;
using Fiscus.Ledger.Database;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Fiscus.Server.Health;

/// <summary>Ready means the database answers and carries every migration this build knows.</summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var version = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT max(version) FROM schema_migrations", cancellationToken: cancellationToken));
            var expected = Migration.All.Count;
            return version == expected
                ? HealthCheckResult.Healthy($"schema version {version}")
                : HealthCheckResult.Unhealthy($"schema version {version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, expected {expected}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("the database does not answer", e);
        }
    }
}
