using Dapper;
using Fiscus.Ledger.Commands;
using Npgsql;

namespace Fiscus.Server.Startup;

/// <summary>
/// Housekeeping every few minutes: idempotency keys past their retention, access tokens long expired and commit
/// markers older than a day are deleted. Several instances doing it at once is harmless (the deletes are idempotent).
/// </summary>
public sealed class Maintenance(NpgsqlDataSource db, TimeProvider time, ILogger<Maintenance> logger) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    static readonly TimeSpan ExpiredTokenRetention = TimeSpan.FromDays(7);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Housekeeping could not reach the database; trying again in {Interval}", Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var keys = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM idempotency_keys WHERE expires_at <= @now", new { now }, cancellationToken: cancellationToken));
        var tokens = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM access_tokens WHERE expires_at <= @cutoff", new { cutoff = now - ExpiredTokenRetention }, cancellationToken: cancellationToken));
        // A marker answers only for an in-doubt commit of the last minutes; a day is generous.
        var markers = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM commit_markers WHERE created_at <= @cutoff", new { cutoff = now - CommandRunner.Retention }, cancellationToken: cancellationToken));
        if (keys + tokens + markers > 0)
        {
            logger.LogInformation("Housekeeping removed {Keys} expired idempotency keys, {Tokens} expired tokens and {Markers} commit markers",
                keys, tokens, markers);
        }
    }
}
