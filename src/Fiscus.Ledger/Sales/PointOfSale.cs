using System.Globalization;
using Dapper;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Npgsql;

namespace Fiscus.Ledger.Sales;

public sealed record SaleItem(string DebitType, long PriceMinor, int Quantity, string? Description);

/// <summary>A counter sale (Koha bug 42784): items, how it was paid, optionally what was handed over and for whom.</summary>
/// <param name="SingleItem">The seed's single-item form (<c>debit_type</c>, <c>amount</c>), for naming fields in errors.</param>
public sealed record SaleCommand(
    int CashRegisterId, IReadOnlyList<SaleItem> Items, string PaymentType, long? TenderedMinor, long? PatronId, string? ExternalId,
    bool SingleItem = false);

public sealed record SaleResult(
    long SaleId, AccountLine Credit, IReadOnlyList<AccountLine> Debits, IReadOnlyList<AccountOffset> Offsets, long TotalMinor,
    long? TenderedMinor, long? ChangeMinor, DateTime CreatedAt);

/// <summary>Refund (part of) a sold item at a register.</summary>
public sealed record PosRefundCommand(int CashRegisterId, long AccountLineId, long? AmountMinor, string? PayoutType, string? Note);

public sealed record PosRefundResult(AccountLine Refund, AccountLine Payout, AccountLine Item, IReadOnlyList<AccountOffset> Offsets);

/// <summary>
/// The point of sale. A sale writes one debit per item (no patron unless one is named), one PURCHASE credit
/// journaled to the register with the payment type, and the offsets applying it, in one transaction:
/// every line ends with nothing outstanding. A refund writes a REFUND credit against the sold item and a
/// PAYOUT from the register it is made at.
/// </summary>
public static class PointOfSale
{
    public const int MaxItems = 200;

    public sealed record Register(int CashRegisterId, string Name, string LibraryId, bool Archived);

    public static async Task<Outcome<SaleResult>> SellAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, SaleCommand command, LedgerActor actor, DateTimeOffset now,
        Currency currency, CancellationToken cancellationToken)
    {
        PatronAccount? account = null;
        if (command.PatronId is { } patronId)
        {
            // The account lock comes first, as everywhere money touches a patron.
            var opened = await PatronAccount.OpenForWriteAsync(connection, transaction, patronId, actor, now, cancellationToken);
            if (opened.Failure is { } patronFailure)
            {
                return patronFailure.Kind == FailureKind.NotFound
                    ? Failure.Invalid("unknown_patron", "patron_id", Invariant($"patron_id {patronId} is not a patron."))
                    : patronFailure;
            }
            account = opened.Value;
        }
        var register = await RegisterAsync(connection, transaction, command.CashRegisterId, actor, cancellationToken);
        if (register.Failure is { } registerFailure)
        {
            return registerFailure;
        }
        var refs = account?.References ?? new LedgerReferences(connection, transaction, cancellationToken);
        var paymentType = await refs.PaymentTypeAsync(command.PaymentType, "payment_type");
        if (paymentType.Failure is { } paymentFailure)
        {
            return paymentFailure;
        }
        var validation = new Validation();
        string? code = null;
        var descriptions = new List<string>();
        long total = 0;
        for (var i = 0; i < command.Items.Count; i++)
        {
            var item = command.Items[i];
            var field = command.SingleItem ? "debit_type" : Invariant($"items[{i}].debit_type");
            var type = await refs.DebitTypeAsync(item.DebitType, field);
            if (type.Failure is { } typeFailure)
            {
                validation.Add(field, typeFailure.Message);
                code ??= typeFailure.Code;
                continue;
            }
            if (!type.Value!.CanBeSold || LineTypes.IsMoneyOut(item.DebitType))
            {
                validation.Add(field, $"Debit type '{item.DebitType}' cannot be sold at a register.");
                code ??= "debit_type_not_sellable";
                continue;
            }
            descriptions.Add(item.Description ?? type.Value.Description);
            total += item.PriceMinor * item.Quantity;
        }
        if (!validation.IsValid)
        {
            return validation.ToFailure() with { Code = code! };
        }
        if (total > AmountLimits.MaxMinor(currency))
        {
            return Failure.Invalid("sale_too_large", "items", Invariant($"The sale totals more than {currency.ToMajor(AmountLimits.MaxMinor(currency))}."));
        }
        if (command.TenderedMinor is { } tendered && tendered < total)
        {
            return Failure.Invalid("tendered_too_little", "amount_tendered",
                Invariant($"amount_tendered {currency.ToMajor(tendered)} is less than the sale's total {currency.ToMajor(total)}."));
        }

        var writer = account?.Writer ?? new LedgerWriter(connection, transaction, actor, now, cancellationToken);
        var lines = command.Items.Select((item, i) => new NewLine
        {
            PatronId = command.PatronId,
            DebitTypeCode = item.DebitType,
            AmountMinor = item.PriceMinor * item.Quantity,
            CashRegisterId = register.Value!.CashRegisterId,
            LibraryId = register.Value.LibraryId,
            Quantity = item.Quantity,
            Description = descriptions[i],
        }).ToList();
        var (items, paid, _) = await writer.WriteSettledAsync(lines, new NewLine
        {
            PatronId = command.PatronId,
            CreditTypeCode = LineTypes.Purchase,
            AmountMinor = -total,
            PaymentType = paymentType.Value!.Code,
            CashRegisterId = register.Value!.CashRegisterId,
            LibraryId = register.Value.LibraryId,
            // What the takings were for, as a receipt or a report line says it.
            Description = descriptions.Count == 1 ? descriptions[0] : Invariant($"POS sale of {descriptions.Count} items"),
            ExternalId = command.ExternalId,
        });
        var sale = await connection.QuerySingleAsync<(long SaleId, long? ChangeMinor)>(new CommandDefinition("""
            INSERT INTO sales (cash_register_id, credit_id, total_minor, tendered_minor, created_at)
            VALUES (@CashRegisterId, @creditId, @total, @TenderedMinor, @now)
            RETURNING sale_id, change_minor
            """, new { register.Value.CashRegisterId, creditId = paid.AccountLineId, total, command.TenderedMinor, now }, transaction,
            cancellationToken: cancellationToken));
        return new SaleResult(sale.SaleId, paid, items, writer.Offsets, total, command.TenderedMinor, sale.ChangeMinor, now.UtcDateTime);
    }

    public static async Task<Outcome<PosRefundResult>> RefundAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, PosRefundCommand command, LedgerActor actor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (actor.Require(Scopes.RefundsWrite, "A refund pays money out of a drawer") is { } forbidden)
        {
            return forbidden;
        }
        var item = await connection.QuerySingleOrDefaultAsync<AccountLine>(new CommandDefinition(
            $"SELECT {AccountLine.Columns} FROM account_lines WHERE account_line_id = @AccountLineId",
            new { command.AccountLineId }, transaction, cancellationToken: cancellationToken));
        if (item is not { IsDebit: true })
        {
            return Failure.Invalid("unknown_sale_item", "account_line_id", Invariant($"account_line_id {command.AccountLineId} is not a sold item."));
        }
        PatronAccount? account = null;
        if (item.PatronId is { } patronId)
        {
            var opened = await PatronAccount.OpenForWriteAsync(connection, transaction, patronId, actor, now, cancellationToken);
            if (opened.Failure is { } patronFailure)
            {
                return patronFailure;
            }
            account = opened.Value;
        }
        var register = await RegisterAsync(connection, transaction, command.CashRegisterId, actor, cancellationToken);
        if (register.Failure is { } registerFailure)
        {
            return registerFailure;
        }
        var writer = account?.Writer ?? new LedgerWriter(connection, transaction, actor, now, cancellationToken);
        item = (await writer.LockLinesAsync([item.AccountLineId]))[0];
        var purchase = await connection.QuerySingleOrDefaultAsync<AccountLine>(new CommandDefinition($"""
            SELECT {string.Join(", ", AccountLine.Columns.Split(", ").Select(c => "c." + c))}
            FROM account_offsets o JOIN account_lines c ON c.account_line_id = o.credit_id
            WHERE o.debit_id = @AccountLineId AND o.type = '{OffsetTypes.Apply}' AND c.credit_type_code = '{LineTypes.Purchase}'
            ORDER BY c.account_line_id LIMIT 1
            """, new { item.AccountLineId }, transaction, cancellationToken: cancellationToken));
        if (purchase is null)
        {
            return Failure.Invalid("not_a_sale", "account_line_id", Invariant($"Line {item.AccountLineId} was not sold at a register; refund it from the patron's account."));
        }
        // Staff may refund at any register what was sold at any other; a client bound to a register or a library
        // only what was sold there.
        if (purchase.CashRegisterId is { } soldAt && actor.Binding.IsBound)
        {
            var soldIn = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                "SELECT library_id FROM cash_registers WHERE cash_register_id = @soldAt", new { soldAt }, transaction, cancellationToken: cancellationToken));
            if (actor.Binding.CheckRegister(soldAt, soldIn!) is { } outside)
            {
                return outside;
            }
        }
        var refunded = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COALESCE(-sum(amount_minor), 0)::bigint FROM account_lines WHERE related_account_line_id = @AccountLineId AND credit_type_code = '{LineTypes.Refund}'",
            new { item.AccountLineId }, transaction, cancellationToken: cancellationToken));
        var refundable = item.AmountMinor - refunded;
        if (refundable <= 0)
        {
            return Failure.Conflict("already_refunded", Invariant($"Line {item.AccountLineId} has been refunded in full."));
        }
        var amount = command.AmountMinor ?? refundable;
        if (amount > refundable)
        {
            return Failure.Invalid("amount_exceeds_refundable", "amount", Invariant($"amount is more than is left to refund on line {item.AccountLineId}."));
        }
        var refs = account?.References ?? new LedgerReferences(connection, transaction, cancellationToken);
        var payoutCode = command.PayoutType ?? purchase.PaymentType!;
        var payoutType = await refs.PaymentTypeAsync(payoutCode, "payout_type");
        if (payoutType.Failure is { } payoutFailure)
        {
            return payoutFailure;
        }
        if (!payoutType.Value!.AllowedRefund)
        {
            return Failure.Invalid("refund_not_allowed", "payout_type", $"Payment type '{payoutCode}' does not allow refunds.");
        }

        var refund = await writer.AddLineAsync(new NewLine
        {
            PatronId = item.PatronId,
            CreditTypeCode = LineTypes.Refund,
            AmountMinor = -amount,
            LibraryId = register.Value!.LibraryId,
            Description = Invariant($"Refund of line {item.AccountLineId}"),
            InternalNote = command.Note,
            RelatedAccountLineId = item.AccountLineId,
        });
        var payout = await writer.AddLineAsync(new NewLine
        {
            PatronId = item.PatronId,
            DebitTypeCode = LineTypes.Payout,
            AmountMinor = amount,
            PaymentType = payoutType.Value.Code,
            CashRegisterId = register.Value.CashRegisterId,
            LibraryId = register.Value.LibraryId,
            Description = Invariant($"Refund of line {item.AccountLineId}"),
            InternalNote = command.Note,
            RelatedAccountLineId = item.AccountLineId,
        });
        var (appliedRefund, payouts) = await writer.ApplyAsync(refund, [payout]);
        var paidOut = await writer.SetStatusAsync(payouts[0], LineStatuses.Paid);
        if (amount == refundable)
        {
            item = await writer.SetStatusAsync(item, LineStatuses.Refunded);
        }
        return new PosRefundResult(appliedRefund, paidOut, item, writer.Offsets);
    }

    /// <summary>A sale as it was written (its PURCHASE credit, the items it paid, their offsets); null when there is no such sale at the register.</summary>
    public static async Task<SaleResult?> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, int registerId, long saleId, CancellationToken cancellationToken)
    {
        var sale = await connection.QuerySingleOrDefaultAsync<(long SaleId, long CreditId, long TotalMinor, long? TenderedMinor, long? ChangeMinor, DateTime CreatedAt)?>(
            new CommandDefinition(
                "SELECT sale_id, credit_id, total_minor, tendered_minor, change_minor, created_at FROM sales WHERE sale_id = @saleId AND cash_register_id = @registerId",
                new { saleId, registerId }, transaction, cancellationToken: cancellationToken));
        if (sale is not { } found)
        {
            return null;
        }
        var credit = await connection.QuerySingleAsync<AccountLine>(new CommandDefinition(
            $"SELECT {AccountLine.Columns} FROM account_lines WHERE account_line_id = @CreditId", new { found.CreditId }, transaction,
            cancellationToken: cancellationToken));
        var debits = (await connection.QueryAsync<AccountLine>(new CommandDefinition($"""
            SELECT {string.Join(", ", AccountLine.Columns.Split(", ").Select(c => "d." + c))}
            FROM account_offsets o JOIN account_lines d ON d.account_line_id = o.debit_id
            WHERE o.credit_id = @CreditId AND o.type = '{OffsetTypes.Apply}' ORDER BY d.account_line_id
            """, new { found.CreditId }, transaction, cancellationToken: cancellationToken))).AsList();
        var offsets = (await connection.QueryAsync<AccountOffset>(new CommandDefinition(
            $"SELECT {AccountOffset.Columns} FROM account_offsets WHERE credit_id = @CreditId OR debit_id = ANY(@ids) ORDER BY account_offset_id",
            new { found.CreditId, ids = debits.Select(d => d.AccountLineId).Append(found.CreditId).ToArray() }, transaction,
            cancellationToken: cancellationToken))).AsList();
        return new SaleResult(found.SaleId, credit, debits, offsets, found.TotalMinor, found.TenderedMinor, found.ChangeMinor, found.CreatedAt);
    }

    /// <summary>The register money goes through: it must exist (404), be in use (400) and be one the caller may use (403).</summary>
    public static async Task<Outcome<Register>> RegisterAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, int registerId, LedgerActor actor, CancellationToken cancellationToken)
    {
        var register = await connection.QuerySingleOrDefaultAsync<Register>(new CommandDefinition(
            "SELECT cash_register_id, name, library_id, archived FROM cash_registers WHERE cash_register_id = @registerId",
            new { registerId }, transaction, cancellationToken: cancellationToken));
        if (register is null)
        {
            return Failure.NotFound("register_not_found", Invariant($"There is no cash register {registerId}."));
        }
        if (actor.Binding.CheckRegister(registerId, register.LibraryId) is { } outside)
        {
            return outside;
        }
        if (register.Archived)
        {
            return Failure.Invalid("register_archived", "cash_register_id", Invariant($"Cash register {registerId} is archived."));
        }
        return register;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
