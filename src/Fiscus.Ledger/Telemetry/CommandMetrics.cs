using System.Diagnostics.Metrics;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;

namespace Fiscus.Ledger.Telemetry;

/// <summary>
/// What money commands did, counted once they are over: payments and sales committed (how many and how much, by payment type
/// and by the interface that carried them), idempotent replays, and refusals by their code. Only the command runner knows that a
/// fresh command committed, so it reports here; the lines are noted by <see cref="LedgerWriter"/> as it writes them
/// (<see cref="CommandTally"/>), so no adapter has to say what it wrote.
/// </summary>
public static class CommandMetrics
{
    static readonly Counter<long> Payments = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.payments", "{payment}", "Payments (PAYMENT credits) committed, by payment type and interface.");

    static readonly Counter<long> PaymentsAmount = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.payments.amount_minor", null, "Sum of the payments committed, in the currency's minor unit (cents), by payment type and interface.");

    static readonly Counter<long> Sales = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.sales", "{sale}", "Point-of-sale sales (PURCHASE credits) committed, by payment type and interface.");

    static readonly Counter<long> SalesAmount = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.sales.amount_minor", null, "Sum of the sales committed, in the currency's minor unit (cents), by payment type and interface.");

    static readonly Counter<long> Replays = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.commands.replayed", "{command}", "Money commands answered from their idempotency key's stored answer (nothing written), by interface.");

    static readonly Counter<long> Refusals = FiscusMeter.Meter.CreateCounter<long>(
        "fiscus.commands.refused", "{command}", "Money commands refused (nothing written), by refusal code and interface.");

    /// <param name="interfaceName">The interface that carried the command (<c>api</c>, <c>folio</c>, <c>polaris</c>, <c>pos</c>, <c>sip</c>).</param>
    /// <param name="result">How the command ended.</param>
    /// <param name="committed">The money the committed attempt wrote; ignored unless the command was answered fresh.</param>
    internal static void Record(string interfaceName, CommandResult result, CommandTally? committed)
    {
        var via = new KeyValuePair<string, object?>("interface", interfaceName);
        if (result.Failure is { } failure)
        {
            Refusals.Add(1, new KeyValuePair<string, object?>("code", failure.Code), via);
            return;
        }
        if (result.Replayed)
        {
            Replays.Add(1, via);
            return;
        }
        foreach (var (creditType, paymentType, amountMinor) in committed?.MoneyIn ?? [])
        {
            var (count, amount) = creditType == LineTypes.Purchase ? (Sales, SalesAmount) : (Payments, PaymentsAmount);
            var type = new KeyValuePair<string, object?>("payment_type", paymentType);
            count.Add(1, type, via);
            amount.Add(amountMinor, type, via);
        }
    }
}

/// <summary>
/// The payments and sales one attempt of a command wrote, noted by <see cref="LedgerWriter"/> as it writes them. The runner
/// starts a tally for each attempt (a retried attempt's lines were rolled back) and counts the one that committed.
/// </summary>
/// <remarks>
/// An ambient value (<see cref="AsyncLocal{T}"/>) rather than a parameter: the writer is made in many places (accounts, the point
/// of sale, cash-ups, shifts) from a connection and a transaction, and threading a counter through all of them for the sake of
/// metrics would put measurement into every money rule's signature. Outside the runner there is no tally and nothing is noted.
/// </remarks>
public sealed class CommandTally
{
    static readonly AsyncLocal<CommandTally?> Current = new();

    readonly List<(string CreditType, string PaymentType, long AmountMinor)> moneyIn = [];

    internal IReadOnlyList<(string CreditType, string PaymentType, long AmountMinor)> MoneyIn => moneyIn;

    /// <summary>Starts a tally for the attempt running in this async flow (and what it awaits).</summary>
    internal static CommandTally Begin() => Current.Value = new CommandTally();

    /// <summary>Notes a line just written, if it is a payment or a sale and a command's attempt is being tallied.</summary>
    internal static void Note(AccountLine line)
    {
        if (Current.Value is { } tally && line.CreditTypeCode is LineTypes.Payment or LineTypes.Purchase && line.PaymentType is { } paymentType)
        {
            // Credits are stored negative; what was paid is the positive amount.
            tally.moneyIn.Add((line.CreditTypeCode, paymentType, -line.AmountMinor));
        }
    }
}
