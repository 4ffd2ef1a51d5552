using Dapper;

namespace Fiscus.Ledger.Accounts;

public static partial class AccountOperations
{
    /// <summary>
    /// Refunds a credit. What is still outstanding on it is paid out directly; beyond that, for a credit
    /// that brought money in (it has a payment type), what it paid is refunded through a REFUND credit. One
    /// PAYOUT debit carries the money out, through the payout type's register when it counts as cash.
    /// </summary>
    public static async Task<Outcome<AccountChange>> RefundCreditAsync(PatronAccount account, long creditId, RefundCommand command)
    {
        if (RequireRefunds(account, "A refund pays money out") is { } forbidden)
        {
            return forbidden;
        }
        var refs = account.References;
        var credit = await account.LineAsync(creditId);
        if (credit is not { IsCredit: true })
        {
            return CreditNotFound(account, creditId);
        }
        if (credit.Status == LineStatuses.Void)
        {
            return Failure.Conflict("credit_void", Invariant($"Credit {creditId} is void; there is nothing to refund."));
        }
        if (credit.CreditTypeCode is LineTypes.Refund or LineTypes.Cancellation or LineTypes.Purchase or LineTypes.CashupSurplus)
        {
            return Failure.Conflict("credit_not_refundable", $"A {credit.CreditTypeCode} credit cannot be refunded here.");
        }
        var unapplied = -credit.AmountOutstandingMinor;
        var refundable = unapplied;
        if (credit.PaymentType is not null)
        {
            var paid = (await account.Writer.ApplicationsOfAsync(creditId))
                .Sum(a => a.AppliedMinor) - await PaidOutDirectlyAsync(account, creditId);
            var refunded = await RefundedAsync(account, creditId);
            refundable += Math.Max(0, paid - refunded);
        }
        if (refundable == 0)
        {
            return Failure.Conflict("nothing_to_refund", Invariant($"Nothing of credit {creditId} is left to refund."));
        }
        var amount = command.AmountMinor ?? refundable;
        if (amount > refundable)
        {
            return Failure.Invalid("amount_exceeds_refundable", "amount",
                Invariant($"amount is more than can be refunded on credit {creditId} ({refundable} minor units)."));
        }
        var payoutCode = command.PayoutType ?? credit.PaymentType;
        if (payoutCode is null)
        {
            return Failure.Invalid("payout_type_required", "payout_type", "Say how the money is paid out: give payout_type.");
        }
        var tender = await TenderAsync(account, payoutCode, "payout_type", command.CashRegisterId, type => type.AllowedRefund
            ? null
            : Failure.Invalid("refund_not_allowed", "payout_type", $"Payment type '{payoutCode}' does not allow refunds."));
        if (tender.Failure is { } tenderFailure)
        {
            return tenderFailure;
        }
        var (payoutType, register) = tender.Value!;

        var library = account.LibraryFor(null, register);
        var fromOutstanding = Math.Min(amount, unapplied);
        var fromPayment = amount - fromOutstanding;
        var created = new List<AccountLine>();
        AccountLine? refund = null;
        if (fromPayment > 0)
        {
            refund = await account.Writer.AddLineAsync(new NewLine
            {
                PatronId = account.PatronId,
                CreditTypeCode = LineTypes.Refund,
                AmountMinor = -fromPayment,
                LibraryId = library,
                Description = Invariant($"Refund of credit {creditId}"),
                InternalNote = command.Note,
                RelatedAccountLineId = creditId,
            });
        }
        var payout = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            DebitTypeCode = LineTypes.Payout,
            AmountMinor = amount,
            PaymentType = payoutType.Code,
            CashRegisterId = register?.CashRegisterId,
            LibraryId = library,
            Description = Invariant($"Payout for credit {creditId}"),
            InternalNote = command.Note,
            RelatedAccountLineId = creditId,
        });
        if (fromOutstanding > 0)
        {
            (credit, var afterCredit) = await account.Writer.ApplyAsync(credit, [payout], fromOutstanding);
            payout = afterCredit[0];
        }
        if (refund is not null)
        {
            (refund, var afterRefund) = await account.Writer.ApplyAsync(refund, [payout]);
            payout = afterRefund[0];
            created.Add(refund);
        }
        created.Add(await account.Writer.SetStatusAsync(payout, LineStatuses.Paid));
        if (amount == refundable)
        {
            credit = await account.Writer.SetStatusAsync(credit, LineStatuses.Refunded);
        }
        return await ChangeAsync(account, credit, created, []);
    }

    /// <summary>
    /// What this credit paid out directly through the PAYOUTs of its own refunds. A PAYOUT the patron owed and this
    /// payment repaid is what the payment paid, so it stays refundable.
    /// </summary>
    static Task<long> PaidOutDirectlyAsync(PatronAccount account, long creditId) =>
        account.Writer.Connection.ExecuteScalarAsync<long>(new CommandDefinition($"""
            SELECT COALESCE(-sum(o.amount_minor), 0)::bigint
            FROM account_offsets o JOIN account_lines d ON d.account_line_id = o.debit_id
            WHERE o.credit_id = @creditId AND o.type IN ('{OffsetTypes.Apply}', '{OffsetTypes.Void}') AND d.debit_type_code = '{LineTypes.Payout}'
              AND d.related_account_line_id = @creditId
            """, new { creditId }, account.Writer.Transaction, cancellationToken: account.Writer.CancellationToken));

    /// <summary>What REFUND credits have already given back for this credit.</summary>
    static Task<long> RefundedAsync(PatronAccount account, long creditId) =>
        account.Writer.Connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COALESCE(-sum(amount_minor), 0)::bigint FROM account_lines WHERE related_account_line_id = @creditId AND credit_type_code = '{LineTypes.Refund}'",
            new { creditId }, account.Writer.Transaction, cancellationToken: account.Writer.CancellationToken));
}
