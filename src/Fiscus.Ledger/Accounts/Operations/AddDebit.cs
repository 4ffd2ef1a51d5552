using Fiscus.Ledger.Access;

namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    public static async Task<Outcome<AccountChange>> AddDebitAsync(PatronAccount account, AddDebitCommand command)
    {
        var refs = account.References;
        var type = await refs.DebitTypeAsync(command.Type, "type");
        if (type.Failure is { } typeFailure)
        {
            return typeFailure;
        }
        LedgerReferences.PaymentType? payoutType = null;
        LedgerReferences.Register? register = null;
        if (command.Type == LineTypes.Payout)
        {
            // accounts:write adds charges; money paid out of a drawer is a refund's business.
            if (account.Writer.Actor.Require(Scopes.RefundsWrite, "A PAYOUT debit pays money out") is { } forbidden)
            {
                return forbidden;
            }
            if (command.PayoutType is null)
            {
                return Failure.Invalid("payout_type_required", "payout_type", "A PAYOUT debit needs a payout_type (how the money was paid out).");
            }
            var tender = await TenderAsync(account, command.PayoutType, "payout_type", command.CashRegisterId);
            if (tender.Failure is { } tenderFailure)
            {
                return tenderFailure;
            }
            (payoutType, register) = tender.Value!;
        }
        else if (command.PayoutType is not null)
        {
            return Failure.Invalid("payout_type", "payout_type applies only to PAYOUT debits.");
        }
        else if (command.CashRegisterId is not null)
        {
            // A register on a charge would count it as money paid out of the drawer at cash-up.
            return Failure.Invalid("cash_register_id", "cash_register_id applies only to PAYOUT debits; a charge is not money in a drawer.");
        }
        if (await refs.LibraryAsync(command.LibraryId, "library_id", account.Writer.Actor) is { } libraryFailure)
        {
            return libraryFailure;
        }
        var debit = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            DebitTypeCode = command.Type,
            AmountMinor = command.AmountMinor,
            PaymentType = payoutType?.Code,
            CashRegisterId = register?.CashRegisterId,
            LibraryId = account.LibraryFor(command.LibraryId, register),
            ItemId = command.ItemId,
            Description = command.Description,
            InternalNote = command.InternalNote,
        });
        return await ChangeAsync(account, debit, [debit], []);
    }
}
