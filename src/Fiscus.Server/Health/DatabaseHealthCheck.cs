using Dapper;
using Fiscus.Ledger.Database;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Fiscus.Server.Health;

/// <summary>
/// Ready means the database answers and carries every migration this build knows. A load balancer polls this every few
/// seconds, so what it finds is logged as a change of state (once, with the reason and no stack trace: the reason is the
/// database's, not a fault of ours) and, while unready, as a summary a minute; the framework's own line per failed poll is
/// silenced (FiscusApp).
/// </summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource db, ReadinessLog log) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        HealthCheckResult result;
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var version = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
                "SELECT max(version) FROM schema_migrations", cancellationToken: cancellationToken));
            var expected = Migration.All.Count;
            result = version == expected
                ? HealthCheckResult.Healthy($"schema version {version}")
                : HealthCheckResult.Unhealthy($"schema version {version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, expected {expected}");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            result = HealthCheckResult.Unhealthy($"the database does not answer: {e.Message}");
        }
        log.Record(result);
        return result;
    }
}

/// <summary>What readiness polls found, logged when it changes and summarised while it stays unready.</summary>
public sealed class ReadinessLog(TimeProvider time, ILogger<ReadinessLog> logger)
{
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);

    readonly Lock gate = new();
    string? failing;
    DateTimeOffset failingSince;
    DateTimeOffset lastSummary;
    int failedSinceSummary;
    int failedInAll;

    public void Record(HealthCheckResult result)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (result.Status == HealthStatus.Healthy)
            {
                if (failing is not null)
                {
                    logger.LogInformation("Ready again after {Seconds:0} s unready ({Failed} failed checks)", (now - failingSince).TotalSeconds, failedInAll);
                    failing = null;
                }
                return;
            }
            var reason = result.Description ?? "unready";
            // "the database does not answer: <what Npgsql said>" is one state whatever Npgsql said this time.
            var state = reason.Split(": ", 2)[0];
            if (failing is null || failing != state)
            {
                logger.LogWarning("Not ready: {Reason}", reason);
                if (failing is null)
                {
                    failingSince = now;
                    failedInAll = 0;
                }
                failing = state;
                lastSummary = now;
                failedSinceSummary = 0;
            }
            failedInAll++;
            failedSinceSummary++;
            if (now - lastSummary >= SummaryInterval)
            {
                logger.LogWarning("Still not ready after {Seconds:0} s ({Failed} failed checks in the last {Interval:0} s): {Reason}",
                    (now - failingSince).TotalSeconds, failedSinceSummary, (now - lastSummary).TotalSeconds, reason);
                lastSummary = now;
                failedSinceSummary = 0;
            }
        }
    }
}
