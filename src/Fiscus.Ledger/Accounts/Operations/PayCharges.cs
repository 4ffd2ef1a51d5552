namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    /// <summary>Polaris' pay: the listed charges, oldest first, one payment each; the excess as credit if allowed.</summary>
    public static async Task<Outcome<PayChargesResult>> PayChargesAsync(PatronAccount account, PayChargesCommand command)
    {
        var tender = await TenderAsync(account, command.PaymentType, "payment_type", command.CashRegisterId);
        if (tender.Failure is { } tenderFailure)
        {
            return tenderFailure;
        }
        var register = tender.Value!.Register;
        var charges = await ListedDebitsAsync(account, command.ChargeIds, "charge_ids");
        if (charges.Failure is { } chargesFailure)
        {
            return chargesFailure;
        }
        var ordered = charges.Value!.OrderBy(c => c.AccountLineId).ToList();
        var owed = ordered.Sum(c => c.AmountOutstandingMinor);
        if (command.AmountMinor > owed && !command.CreditOverpayment)
        {
            return Failure.Invalid("amount_exceeds_charges", "amount",
                Invariant($"amount is more than the listed charges owe ({owed} minor units) and overpayment is not allowed."));
        }
        var library = account.LibraryFor(null, register);
        var remaining = command.AmountMinor;
        var payments = new List<AccountLine>();
        var paidCharges = new List<AccountLine>();
        foreach (var charge in ordered)
        {
            var amount = Math.Min(remaining, charge.AmountOutstandingMinor);
            if (amount <= 0)
            {
                continue;
            }
            var payment = await account.Writer.AddLineAsync(tender.Value!.Payment(account, amount, library, charge.Description, command.Note));
            var (applied, debits) = await account.Writer.ApplyAsync(payment, [charge]);
            payments.Add(applied);
            paidCharges.Add(debits[0]);
            remaining -= amount;
        }
        if (remaining > 0)
        {
            payments.Add(await account.Writer.AddLineAsync(tender.Value!.Payment(account, remaining, library, "Credit for overpayment", command.Note)));
        }
        return new PayChargesResult(payments, paidCharges, await account.BalanceAsync());
    }
}
