using System.Globalization;
using Dapper;
using Fiscus.Ledger.Access;

namespace Fiscus.Ledger.Accounts;

/// <summary>
/// Every way money moves on a patron account. Each operation runs on an account opened for writing
/// (patron locked), writes new lines and offsets only (no money is ever edited), and either completes or
/// returns a <see cref="Failure"/> before writing anything the caller would keep (the caller rolls back).
/// </summary>
public static class AccountOperations
{
    const string Payout = LineTypes.Payout;

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
        if (command.Type == Payout)
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
            var payment = await refs.PaymentTypeAsync(command.PayoutType, "payout_type");
            if (payment.Failure is { } paymentFailure)
            {
                return paymentFailure;
            }
            payoutType = payment.Value;
            var registerOutcome = await refs.RegisterAsync(command.CashRegisterId, payoutType, account.Writer.Actor, "cash_register_id");
            if (registerOutcome.Failure is { } registerFailure)
            {
                return registerFailure;
            }
            register = registerOutcome.Value;
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
        LedgerReferences.PaymentType? paymentType = null;
        if (command.PaymentType is not null)
        {
            var payment = await refs.PaymentTypeAsync(command.PaymentType, "payment_type");
            if (payment.Failure is { } paymentFailure)
            {
                return paymentFailure;
            }
            paymentType = payment.Value;
        }
        LedgerReferences.Register? register = null;
        if (isPayment)
        {
            var registerOutcome = await refs.RegisterAsync(command.CashRegisterId, paymentType, account.Writer.Actor, "cash_register_id");
            if (registerOutcome.Failure is { } registerFailure)
            {
                return registerFailure;
            }
            register = registerOutcome.Value;
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
        var paymentType = await refs.PaymentTypeAsync(command.PaymentType, "payment_type");
        if (paymentType.Failure is { } paymentFailure)
        {
            return paymentFailure;
        }
        var register = await refs.RegisterAsync(command.CashRegisterId, paymentType.Value, account.Writer.Actor, "cash_register_id");
        if (register.Failure is { } registerFailure)
        {
            return registerFailure;
        }
        if (await refs.LibraryAsync(command.LibraryId, "library_id", account.Writer.Actor) is { } libraryFailure)
        {
            return libraryFailure;
        }
        var library = account.LibraryFor(command.LibraryId, register.Value);
        var debit = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            DebitTypeCode = command.DebitType,
            AmountMinor = command.AmountMinor,
            LibraryId = library,
            Description = command.Description ?? debitType.Value!.Description,
        });
        var credit = await account.Writer.AddLineAsync(new NewLine
        {
            PatronId = account.PatronId,
            CreditTypeCode = "PAYMENT",
            AmountMinor = -command.AmountMinor,
            PaymentType = paymentType.Value!.Code,
            CashRegisterId = register.Value?.CashRegisterId,
            LibraryId = library,
            Description = command.Description ?? debitType.Value!.Description,
            InternalNote = command.Note,
            ExternalId = command.ExternalId,
        });
        var (paid, debits) = await account.Writer.ApplyAsync(credit, [debit]);
        return new IntakeResult(debits[0], paid, account.Writer.Offsets, await account.BalanceAsync());
    }

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
        if (credit.CreditTypeCode is "CANCELLATION" or "REFUND" or "PURCHASE" or "CASHUP_SURPLUS")
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
            DebitTypeCode = "VOID",
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
        if (debit.DebitTypeCode is Payout or "VOID")
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
            CreditTypeCode = "CANCELLATION",
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
        if (debit.DebitTypeCode is Payout or "VOID")
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
            CreditTypeCode = "WRITEOFF",
            AmountMinor = -amount,
            LibraryId = account.LibraryFor(null, null),
            Description = Invariant($"Write-off of debit {debitId}"),
            InternalNote = command.Note,
            RelatedAccountLineId = debitId,
        });
        var (applied, debits) = await account.Writer.ApplyAsync(writeOff, [debit]);
        return await ChangeAsync(account, debits[0], [applied], []);
    }

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
        if (credit.CreditTypeCode is "REFUND" or "CANCELLATION" or "PURCHASE" or "CASHUP_SURPLUS")
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
        var payoutType = await refs.PaymentTypeAsync(payoutCode, "payout_type");
        if (payoutType.Failure is { } payoutFailure)
        {
            return payoutFailure;
        }
        if (!payoutType.Value!.AllowedRefund)
        {
            return Failure.Invalid("refund_not_allowed", "payout_type", $"Payment type '{payoutCode}' does not allow refunds.");
        }
        var register = await refs.RegisterAsync(command.CashRegisterId, payoutType.Value, account.Writer.Actor, "cash_register_id");
        if (register.Failure is { } registerFailure)
        {
            return registerFailure;
        }

        var library = account.LibraryFor(null, register.Value);
        var fromOutstanding = Math.Min(amount, unapplied);
        var fromPayment = amount - fromOutstanding;
        var created = new List<AccountLine>();
        AccountLine? refund = null;
        if (fromPayment > 0)
        {
            refund = await account.Writer.AddLineAsync(new NewLine
            {
                PatronId = account.PatronId,
                CreditTypeCode = "REFUND",
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
            DebitTypeCode = Payout,
            AmountMinor = amount,
            PaymentType = payoutType.Value.Code,
            CashRegisterId = register.Value?.CashRegisterId,
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

    /// <summary>Polaris' pay: the listed charges, oldest first, one payment each; the excess as credit if allowed.</summary>
    public static async Task<Outcome<PayChargesResult>> PayChargesAsync(PatronAccount account, PayChargesCommand command)
    {
        var refs = account.References;
        var paymentType = await refs.PaymentTypeAsync(command.PaymentType, "payment_type");
        if (paymentType.Failure is { } paymentFailure)
        {
            return paymentFailure;
        }
        var register = await refs.RegisterAsync(command.CashRegisterId, paymentType.Value, account.Writer.Actor, "cash_register_id");
        if (register.Failure is { } registerFailure)
        {
            return registerFailure;
        }
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
        var library = account.LibraryFor(null, register.Value);
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
            var payment = await account.Writer.AddLineAsync(Payment(amount, charge.Description));
            var (applied, debits) = await account.Writer.ApplyAsync(payment, [charge]);
            payments.Add(applied);
            paidCharges.Add(debits[0]);
            remaining -= amount;
        }
        if (remaining > 0)
        {
            payments.Add(await account.Writer.AddLineAsync(Payment(remaining, "Credit for overpayment")));
        }
        return new PayChargesResult(payments, paidCharges, await account.BalanceAsync());

        NewLine Payment(long amountMinor, string? description) => new()
        {
            PatronId = account.PatronId,
            CreditTypeCode = "PAYMENT",
            AmountMinor = -amountMinor,
            PaymentType = paymentType.Value!.Code,
            CashRegisterId = register.Value?.CashRegisterId,
            LibraryId = library,
            Description = description,
            InternalNote = command.Note,
        };
    }

    /// <summary>The listed ids, locked: each must be a debit on this patron's account.</summary>
    static async Task<Outcome<IReadOnlyList<AccountLine>>> ListedDebitsAsync(PatronAccount account, IReadOnlyList<long> ids, string field)
    {
        var distinct = ids.Distinct().ToList();
        var found = (await account.Writer.LockLinesAsync(distinct)).ToDictionary(l => l.AccountLineId);
        var foreign = distinct.Where(id => !found.TryGetValue(id, out var line) || line.PatronId != account.PatronId).ToList();
        if (foreign.Count > 0)
        {
            return Failure.Invalid("unknown_account_lines", field,
                $"{field}: {string.Join(", ", foreign)} {(foreign.Count == 1 ? "is not a line" : "are not lines")} of patron {account.PatronId}'s account.");
        }
        var credits = distinct.Where(id => found[id].IsCredit).ToList();
        if (credits.Count > 0)
        {
            return Failure.Invalid("not_debits", field, $"{field}: {string.Join(", ", credits)} {(credits.Count == 1 ? "is a credit" : "are credits")}, not debits.");
        }
        return distinct.Select(id => found[id]).ToList();
    }

    static async Task<bool> HasRefundsOrPayoutsAsync(PatronAccount account, AccountLine credit) =>
        await account.Writer.Connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM account_lines WHERE related_account_line_id = @AccountLineId
                           AND (credit_type_code = 'REFUND' OR debit_type_code = 'PAYOUT'))
            """, new { credit.AccountLineId }, account.Writer.Transaction, cancellationToken: account.Writer.CancellationToken));

    /// <summary>What this credit paid out through PAYOUT debits applied from it directly.</summary>
    static Task<long> PaidOutDirectlyAsync(PatronAccount account, long creditId) =>
        account.Writer.Connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT COALESCE(-sum(o.amount_minor), 0)::bigint
            FROM account_offsets o JOIN account_lines d ON d.account_line_id = o.debit_id
            WHERE o.credit_id = @creditId AND o.type IN ('APPLY', 'VOID') AND d.debit_type_code = 'PAYOUT'
            """, new { creditId }, account.Writer.Transaction, cancellationToken: account.Writer.CancellationToken));

    /// <summary>What REFUND credits have already given back for this credit.</summary>
    static Task<long> RefundedAsync(PatronAccount account, long creditId) =>
        account.Writer.Connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COALESCE(-sum(amount_minor), 0)::bigint FROM account_lines WHERE related_account_line_id = @creditId AND credit_type_code = 'REFUND'",
            new { creditId }, account.Writer.Transaction, cancellationToken: account.Writer.CancellationToken));

    static async Task<AccountChange> ChangeAsync(
        PatronAccount account, AccountLine line, IReadOnlyList<AccountLine> created, IReadOnlyList<AccountLine> changed) =>
        new(line, created, changed, account.Writer.Offsets, await account.BalanceAsync());

    static Failure? RequireRefunds(PatronAccount account, string what) => account.Writer.Actor.Require(Scopes.RefundsWrite, what);

    static Failure CreditNotFound(PatronAccount account, long id) =>
        Failure.NotFound("credit_not_found", Invariant($"There is no credit {id} on patron {account.PatronId}'s account."));

    static Failure DebitNotFound(PatronAccount account, long id) =>
        Failure.NotFound("debit_not_found", Invariant($"There is no debit {id} on patron {account.PatronId}'s account."));

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
