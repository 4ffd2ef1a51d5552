namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    /// <summary>Cancels a charge nothing has been paid on (Koha's cancel): a CANCELLATION credit absorbs it.</summary>
    public static async Task<Outcome<AccountChange>> CancelDebitAsync(PatronAccount account, long debitId, string? note)
    {
        if (RequireRefunds(account, "Cancelling a charge") is { } forbidden)
        {
            return forbidden;
        }
        var debit = await account.LineAsync(debitId);
        if (debit is not { IsDebit: true })
        {
            return DebitNotFound(account, debitId);
        }
        if (debit.DebitTypeCode is LineTypes.Payout or LineTypes.Void)
        {
            return Failure.Conflict("debit_not_cancellable", $"A {debit.DebitTypeCode} debit is part of another action and cannot be cancelled.");
        }
        if (debit.Status == LineStatuses.Cancelled)
        {
            return Failure.Conflict("debit_already_cancelled", Invariant($"Debit {debitId} is already cancelled."));
        }
        if (debit.AmountOutstandingMinor != debit.AmountMinor)
        {
            return Failure.Conflict("debit_already_offset",
                Invariant($"Something has been paid or written off on debit {debitId}; void that credit first, or write off the rest."));
        }
        var cancellation = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            CreditTypeCode = LineTypes.Cancellation,
            AmountMinor = -debit.AmountMinor,
            LibraryId = account.LibraryFor(null, null),
            Status = LineStatuses.Applied,
            Description = Invariant($"Cancellation of debit {debitId}"),
            InternalNote = note,
            RelatedAccountLineId = debitId,
        });
        var (applied, debits) = await account.Writer.ApplyAsync(cancellation, [debit]);
        var cancelled = await account.Writer.SetStatusAsync(debits[0], LineStatuses.Cancelled);
        return await ChangeAsync(account, cancelled, [applied], []);
    }
}
