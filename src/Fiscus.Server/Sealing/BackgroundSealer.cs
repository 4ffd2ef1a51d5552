using Fiscus.Ledger.Sealing;
using Fiscus.Server.Configuration;
using Npgsql;

namespace Fiscus.Server.Sealing;

/// <summary>
/// Seals the ledger every FISCUS_SEAL_INTERVAL_SECONDS (<see cref="LedgerSealer"/>): each round, one seal over everything
/// made final since the last. Money writes never wait for it; they only stamp their transaction id. Every instance runs
/// one, and they take turns (an instance that finds another sealing skips its round).
/// </summary>
public sealed class BackgroundSealer(NpgsqlDataSource db, FiscusOptions options, TimeProvider time, ILogger<BackgroundSealer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.SealIntervalSeconds == 0)
        {
            logger.LogInformation("The background sealer is off (FISCUS_SEAL_INTERVAL_SECONDS=0): the ledger is sealed only by `fiscus seal now`");
            return;
        }
        var interval = TimeSpan.FromSeconds(options.SealIntervalSeconds);
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var started = time.GetTimestamp();
                var attempt = await LedgerSealer.SealAsync(db, stoppingToken);
                if (attempt is { Outcome: SealOutcome.Sealed, Seal: { } seal })
                {
                    // bench/run reads these lines for what sealing took.
                    logger.LogDebug("Sealed seal {SealNo}: {Rows} rows in {Milliseconds:F1} ms, hash {Hash}", seal.SealNo, seal.RowCount,
                        time.GetElapsedTime(started).TotalMilliseconds, seal.HashHex);
                }
                else if (attempt.Outcome == SealOutcome.TransactionIdsBehind)
                {
                    logger.LogError("Sealing stopped: {Reason}", TransactionIdsBehind(attempt.Seal!));
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // The database unreachable, or refusing the seal (a chain edited by hand): say so, and try again next round.
                logger.LogWarning(e, "Sealing failed: {Reason}; trying again in {Interval}", e.Message, interval);
            }
        }
    }

    /// <summary>What to say when the database's transaction ids are behind the chain, for the log and the command line.</summary>
    public static string TransactionIdsBehind(LedgerSeal last) =>
        $"this database's transaction ids are behind seal {last.SealNo}'s horizon (transaction {last.XidTo}): it was restored from a " +
        "logical dump into another cluster, and rows written now would look slipped into sealed blocks. With the cluster stopped, set its " +
        "transaction id epoch above the old cluster's (pg_resetwal --epoch; README, \"The seal\")";
}
