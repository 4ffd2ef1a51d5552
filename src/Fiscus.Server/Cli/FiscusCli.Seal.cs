using System.CommandLine;
using System.Globalization;
using Fiscus.Ledger.Sealing;
using Npgsql;

namespace Fiscus.Server.Cli;

/// <summary>
/// <c>fiscus seal show</c>: the latest seal of the ledger's hash chain, whose hash an auditor records where the database's
/// administrators cannot write, to check later with <c>fiscus verify --against HASH</c>; <c>fiscus seal now</c>: seal
/// by hand what the background sealer would.
/// </summary>
public sealed partial class FiscusCli
{
    Command SealCommand(IServiceProvider services)
    {
        var seal = new Command("seal", "The ledger's hash chain: what to record off-site, and sealing by hand.");
        var show = new Command("show", "Print the latest seal: its hash (record it somewhere the database's administrators cannot write), time and what it covers.");
        show.SetAction(async (_, cancellationToken) =>
        {
            await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(cancellationToken);
            var status = await SealStatus.ReadAsync(connection, null, cancellationToken);
            if (status.Latest is not { } latest)
            {
                return Fail($"nothing is sealed yet ({status.RowsWaiting} row(s) wait for the first seal; `fiscus seal now` seals them)");
            }
            PrintSeal(latest);
            output.WriteLine($"in all     {status.RowsSealed} rows sealed; {status.RowsWaiting} row(s) wait for the next seal");
            return 0;
        });
        var now = new Command("now", "Seal everything made final so far, as the background sealer does every FISCUS_SEAL_INTERVAL_SECONDS.");
        now.SetAction(async (_, cancellationToken) =>
        {
            var attempt = await LedgerSealer.SealAsync(services.GetRequiredService<NpgsqlDataSource>(), cancellationToken);
            switch (attempt.Outcome)
            {
                case SealOutcome.Sealed:
                    PrintSeal(attempt.Seal!);
                    return 0;
                case SealOutcome.OtherSealer:
                    return Fail("another instance of Fiscus is sealing right now; its seal covers the same rows");
                case SealOutcome.TransactionIdsBehind:
                    return Fail(Sealing.BackgroundSealer.TransactionIdsBehind(attempt.Seal!));
                default:
                    output.WriteLine("nothing new to seal (or every transaction since the last seal is still open)");
                    return 0;
            }
        });
        seal.Subcommands.Add(show);
        seal.Subcommands.Add(now);
        return seal;
    }

    void PrintSeal(LedgerSeal seal)
    {
        output.WriteLine($"seal       {seal.SealNo}");
        output.WriteLine($"hash       {seal.HashHex}");
        output.WriteLine($"sealed at  {Time(seal.SealedAt)}");
        output.WriteLine($"covers     {seal.RowCount} rows, made final by transactions {seal.XidFrom} to {seal.XidTo} (not included)");
    }

    static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
