namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    /// <summary>Writes off (part of) what a charge still owes with a WRITEOFF credit against it alone.</summary>
    public static async Task<Outcome<AccountChange>> WriteOffDebitAsync(PatronAccount account, long debitId, WriteOffCommand command)
    {
        if (RequireRefunds(account, "Writing off a charge") is { } forbidden)
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
            return Failure.Conflict("debit_not_writable_off", $"A {debit.DebitTypeCode} debit is part of another action and cannot be written off.");
        }
        if (debit.AmountOutstandingMinor == 0)
        {
            return Failure.Conflict("nothing_outstanding", Invariant($"Debit {debitId} owes nothing."));
        }
        var amount = command.AmountMinor ?? debit.AmountOutstandingMinor;
        if (amount > debit.AmountOutstandingMinor)
        {
            return Failure.Invalid("amount_exceeds_outstanding", "amount",
                Invariant($"amount is more than debit {debitId} still owes ({debit.AmountOutstandingMinor} minor units)."));
        }
        var writeOff = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            CreditTypeCode = LineTypes.WriteOff,
            AmountMinor = -amount,
            LibraryId = account.LibraryFor(null, null),
            Description = Invariant($"Write-off of debit {debitId}"),
            InternalNote = command.Note,
            RelatedAccountLineId = debitId,
        });
        var (applied, debits) = await account.Writer.ApplyAsync(writeOff, [debit]);
        return await ChangeAsync(account, debits[0], [applied], []);
    }
}
