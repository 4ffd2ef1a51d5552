using Dapper;

namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    /// <summary>
    /// Voids a credit (Koha's void): its applications are reversed (the debits owe again), and a VOID debit
    /// absorbs the credit, so both end at zero. A voided payment taken at a register is journaled back out of
    /// that register with the same payment type, so the drawer's expected cash drops with it.
    /// </summary>
    public static async Task<Outcome<AccountChange>> VoidCreditAsync(PatronAccount account, long creditId, string? note)
    {
        if (RequireRefunds(account, "Voiding a credit") is { } forbidden)
        {
            return forbidden;
        }
        var credit = await account.LineAsync(creditId);
        if (credit is not { IsCredit: true })
        {
            return CreditNotFound(account, creditId);
        }
        if (credit.Status == LineStatuses.Void)
        {
            return Failure.Conflict("credit_already_void", Invariant($"Credit {creditId} is already void."));
        }
        if (credit.CreditTypeCode is LineTypes.Cancellation or LineTypes.Refund or LineTypes.Purchase or LineTypes.CashupSurplus)
        {
            return Failure.Conflict("credit_not_voidable", $"A {credit.CreditTypeCode} credit is part of another action and cannot be voided.");
        }
        if (await HasRefundsOrPayoutsAsync(account, credit))
        {
            return Failure.Conflict("credit_refunded", Invariant($"Credit {creditId} has been refunded or paid out; it cannot be voided."));
        }
        // The money goes back out of the drawer it came into: that register must be in use and the caller's to use.
        if (credit.CashRegisterId is { } takenAt)
        {
            var register = await account.References.RegisterAsync(takenAt, null, account.Writer.Actor, "cash_register_id");
            if (register.Failure is { } registerFailure)
            {
                return registerFailure.Code == "register_archived"
                    ? Failure.Conflict("register_archived", Invariant($"Credit {creditId} was taken at register {takenAt}, which is archived; unarchive it to void the credit."))
                    : registerFailure;
            }
        }
        var applications = await account.Writer.ApplicationsOfAsync(creditId);
        var debits = (await account.Writer.LockLinesAsync(applications.Select(a => a.DebitId))).ToDictionary(d => d.AccountLineId);
        var changed = new List<AccountLine>();
        foreach (var (debitId, appliedMinor) in applications)
        {
            (credit, var restored) = await account.Writer.UnapplyAsync(credit, debits[debitId], appliedMinor);
            changed.Add(restored);
        }
        var voidDebit = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            DebitTypeCode = LineTypes.Void,
            AmountMinor = -credit.AmountMinor,
            PaymentType = credit.PaymentType,
            CashRegisterId = credit.CashRegisterId,
            LibraryId = account.LibraryFor(null, null),
            Description = Invariant($"Void of credit {creditId}"),
            InternalNote = note,
            RelatedAccountLineId = creditId,
        });
        var (absorbed, voids) = await account.Writer.ApplyAsync(credit, [voidDebit]);
        var voided = await account.Writer.SetStatusAsync(absorbed, LineStatuses.Void);
        return await ChangeAsync(account, voided, [voids[0]], changed);
    }

    static async Task<bool> HasRefundsOrPayoutsAsync(PatronAccount account, AccountLine credit) =>
        await account.Writer.Connection.ExecuteScalarAsync<bool>(new CommandDefinition($"""
            SELECT EXISTS (SELECT 1 FROM account_lines WHERE related_account_line_id = @AccountLineId
                           AND (credit_type_code = '{LineTypes.Refund}' OR debit_type_code = '{LineTypes.Payout}'))
            """, new { credit.AccountLineId }, account.Writer.Transaction, cancellationToken: account.Writer.CancellationToken));
}
