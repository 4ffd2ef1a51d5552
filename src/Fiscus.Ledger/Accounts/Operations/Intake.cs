namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    /// <summary>Charge and pay in one (Koha bug 42785): a debit, a PAYMENT applied to it, and nothing left outstanding.</summary>
    public static async Task<Outcome<IntakeResult>> IntakeAsync(PatronAccount account, IntakeCommand command)
    {
        var refs = account.References;
        var debitType = await refs.DebitTypeAsync(command.DebitType, "debit_type");
        if (debitType.Failure is { } debitFailure)
        {
            return debitFailure;
        }
        if (LineTypes.IsMoneyOut(command.DebitType))
        {
            return Failure.Invalid("debit_type_reserved", "debit_type", $"A payment intake charges for something; {command.DebitType} is not a charge.");
        }
        var tender = await TenderAsync(account, command.PaymentType, "payment_type", command.CashRegisterId);
        if (tender.Failure is { } tenderFailure)
        {
            return tenderFailure;
        }
        var register = tender.Value!.Register;
        if (await refs.LibraryAsync(command.LibraryId, "library_id", account.Writer.Actor) is { } libraryFailure)
        {
            return libraryFailure;
        }
        var library = account.LibraryFor(command.LibraryId, register);
        var description = command.Description ?? debitType.Value!.Description;
        var (debits, paid, balance) = await account.Writer.WriteSettledAsync(
            [new NewLine
            {
                PatronId = account.PatronId,
                DebitTypeCode = command.DebitType,
                AmountMinor = command.AmountMinor,
                LibraryId = library,
                Description = description,
            }],
            tender.Value!.Payment(account, command.AmountMinor, library, description, command.Note, command.ExternalId),
            balanceOf: account.PatronId);
        return new IntakeResult(debits[0], paid, account.Writer.Offsets, balance!.Value);
    }
}
