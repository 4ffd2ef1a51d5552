namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    /// <summary>
    /// A kiosk's payment of what the patron owes (SIP2 37): one PAYMENT line, so the device's transaction id is on one
    /// line (its unique index keeps a second payment with it out for good), applied to the named fee, then oldest first.
    /// </summary>
    public static async Task<Outcome<PayFeesResult>> PayFeesAsync(PatronAccount account, PayFeesCommand command)
    {
        var tender = await TenderAsync(account, command.PaymentType, "payment_type", command.CashRegisterId);
        if (tender.Failure is { } tenderFailure)
        {
            return tenderFailure;
        }
        var register = tender.Value!.Register;
        IReadOnlyList<AccountLine> named = [];
        if (command.DebitId is { } debitId)
        {
            var listed = await ListedDebitsAsync(account, [debitId], "fee_id");
            if (listed.Failure is { } listedFailure)
            {
                return listedFailure;
            }
            named = listed.Value!;
            if (named[0].AmountOutstandingMinor == 0)
            {
                return Failure.Conflict("fee_already_paid", Invariant($"Fee {debitId} is already paid."));
            }
        }
        var outstanding = await account.OutstandingDebitsAsync();
        var owed = command.DebitId is null ? outstanding.Sum(d => d.AmountOutstandingMinor) : named[0].AmountOutstandingMinor;
        // Credit the patron already has (an earlier overpayment) counts: what they owe is at most their balance.
        owed = Math.Min(owed, Math.Max(await account.BalanceAsync(), 0));
        if (command.AmountMinor > owed && !command.CreditOverpayment)
        {
            return owed == 0
                ? Failure.Conflict("nothing_owed", Invariant($"Patron {account.PatronId} owes nothing."))
                : Failure.Invalid("amount_exceeds_owed", "amount", command.DebitId is null
                    ? Invariant($"amount is more than the patron owes ({owed} minor units) and overpayment is not allowed.")
                    : Invariant($"amount is more than fee {command.DebitId} owes ({owed} minor units) and overpayment is not allowed."));
        }

        var payment = await account.Writer.AddLineAsync(tender.Value!.Payment(
            account, command.AmountMinor, account.LibraryFor(null, register), command.Description, command.Note, command.ExternalId));
        var (afterNamed, touchedNamed) = await account.Writer.ApplyAsync(payment, named);
        // Read again after the named fee: applying to it changed what it still owes.
        var (applied, touchedOldest) = afterNamed.AmountOutstandingMinor < 0
            ? await account.Writer.ApplyAsync(afterNamed, named.Count == 0 ? outstanding : await account.OutstandingDebitsAsync())
            : (afterNamed, []);
        var paidIds = account.Writer.Offsets.Where(o => o.Type == OffsetTypes.Apply).Select(o => o.DebitId).ToHashSet();
        // The latest state of each debit paid (the named fee may appear twice: before and after it was paid).
        var paid = touchedNamed.Concat(touchedOldest).Where(d => paidIds.Contains(d.AccountLineId))
            .GroupBy(d => d.AccountLineId).Select(g => g.Last()).OrderBy(d => d.AccountLineId).ToList();
        return new PayFeesResult(applied, paid, await account.BalanceAsync());
    }
}
