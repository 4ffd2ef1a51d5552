using Fiscus.Ledger.Access;

namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    public static async Task<Outcome<AccountChange>> AddCreditAsync(PatronAccount account, AddCreditCommand command)
    {
        var refs = account.References;
        var type = await refs.CreditTypeAsync(command.CreditType, "credit_type");
        if (type.Failure is { } typeFailure)
        {
            return typeFailure;
        }
        // A credit is a payment (money in, so it says how it was paid) or an adjustment: a debt reduced without money
        // changing hands, which needs refunds:write and names no payment type or register (LineTypes).
        var isPayment = command.CreditType == LineTypes.Payment;
        if (!isPayment && account.Writer.Actor.Require(Scopes.RefundsWrite,
                $"A {command.CreditType} credit reduces what is owed without a payment") is { } forbidden)
        {
            return forbidden;
        }
        if (!isPayment && (command.PaymentType is not null || command.CashRegisterId is not null))
        {
            return Failure.Invalid(command.PaymentType is not null ? "payment_type" : "cash_register_id",
                $"payment_type and cash_register_id apply only to PAYMENT credits, not {command.CreditType}.");
        }
        if (isPayment && command.PaymentType is null)
        {
            // A payment that names no tender is a write-off in disguise.
            return Failure.Invalid("payment_type_required", "payment_type",
                "A payment says how it was paid: give payment_type. (A credit that brings no money is an adjustment such as WRITEOFF, not a PAYMENT.)");
        }
        // Only a payment names a tender (checked above), so only a payment resolves one.
        LedgerReferences.PaymentType? paymentType = null;
        LedgerReferences.Register? register = null;
        if (isPayment)
        {
            var tender = await TenderAsync(account, command.PaymentType!, "payment_type", command.CashRegisterId);
            if (tender.Failure is { } tenderFailure)
            {
                return tenderFailure;
            }
            (paymentType, register) = tender.Value!;
        }
        if (await refs.LibraryAsync(command.LibraryId, "library_id", account.Writer.Actor) is { } libraryFailure)
        {
            return libraryFailure;
        }
        var listed = await ListedDebitsAsync(account, command.AccountLineIds, "account_lines_ids");
        if (listed.Failure is { } listedFailure)
        {
            return listedFailure;
        }

        var credit = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            CreditTypeCode = command.CreditType,
            AmountMinor = -command.AmountMinor,
            PaymentType = paymentType?.Code,
            CashRegisterId = register?.CashRegisterId,
            LibraryId = account.LibraryFor(command.LibraryId, register),
            Description = command.Description,
            InternalNote = command.Note,
        });
        // The listed lines first, in the order given; then, as Koha does, the oldest outstanding debits.
        var (afterListed, touchedListed) = await account.Writer.ApplyAsync(credit, listed.Value!);
        var (applied, touchedOldest) = afterListed.AmountOutstandingMinor < 0
            ? await account.Writer.ApplyAsync(afterListed, await account.OutstandingDebitsAsync())
            : (afterListed, []);
        var changed = touchedListed.Concat(touchedOldest)
            .Where(d => account.Writer.Offsets.Any(o => o.DebitId == d.AccountLineId && o.Type == OffsetTypes.Apply))
            .ToList();
        return await ChangeAsync(account, applied, [applied], changed);
    }
}
