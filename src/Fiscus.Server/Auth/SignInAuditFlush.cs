using Npgsql;

namespace Fiscus.Server.Auth;

/// <summary>
/// Writes the sign-in throttle's summaries (<c>auth.throttled</c>) soon after each window ends, and what the current
/// window counted so far when Fiscus stops.
/// </summary>
public sealed class SignInAuditFlush(SignInAudit audit, TimeProvider time, ILogger<SignInAuditFlush> logger) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(false, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the last window is written below.
        }
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await FlushAsync(true, last.Token);
    }

    async Task FlushAsync(bool includeCurrent, CancellationToken cancellationToken)
    {
        try
        {
            await audit.FlushAsync(includeCurrent, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            logger.LogWarning(e, "The sign-in throttle's summary could not be written to the audit log");
        }
    }
}
