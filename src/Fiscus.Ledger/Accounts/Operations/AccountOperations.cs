using System.Globalization;
using Fiscus.Ledger.Access;

namespace Fiscus.Ledger.Accounts;

/// <summary>
/// Every way money moves on a patron account, one operation per file in <c>Operations/</c>. Each operation runs on an
/// account opened for writing (patron locked), writes new lines and offsets only (no money is ever edited), and
/// either completes or returns a <see cref="Failure"/> before writing anything the caller would keep (the command
/// runner rolls back). Failures name the command's own fields (<c>payment_type</c>, <c>cash_register_id</c>); each
/// transport renames them to its wire names.
/// </summary>
public static partial class AccountOperations
{
    /// <summary>
    /// How money comes in or goes out: the payment type (in use) and the register it goes through (named, else the
    /// actor's bound one; required when the type counts as cash). The one check every tendered operation shares.
    /// </summary>
    /// <param name="accept">A further rule on the payment type, checked before the register.</param>
    static async Task<Outcome<Tender>> TenderAsync(
        PatronAccount account, string paymentTypeCode, string paymentTypeField, int? cashRegisterId,
        Func<LedgerReferences.PaymentType, Failure?>? accept = null)
    {
        var paymentType = await account.References.PaymentTypeAsync(paymentTypeCode, paymentTypeField);
        if (paymentType.Failure is { } paymentFailure)
        {
            return paymentFailure;
        }
        if (accept?.Invoke(paymentType.Value!) is { } refused)
        {
            return refused;
        }
        var register = await account.References.RegisterAsync(cashRegisterId, paymentType.Value, account.Writer.Actor, "cash_register_id");
        if (register.Failure is { } registerFailure)
        {
            return registerFailure;
        }
        return new Tender(paymentType.Value!, register.Value);
    }

    sealed record Tender(LedgerReferences.PaymentType PaymentType, LedgerReferences.Register? Register)
    {
        /// <summary>
        /// A PAYMENT of <paramref name="amountMinor"/> in this tender on the patron's account: the one shape of money coming in,
        /// journaled to the tender's register.
        /// </summary>
        public NewLine Payment(
            PatronAccount account, long amountMinor, string library, string? description, string? note, string? externalId = null) => new()
        {
            PatronId = account.PatronId,
            CreditTypeCode = LineTypes.Payment,
            AmountMinor = -amountMinor,
            PaymentType = PaymentType.Code,
            CashRegisterId = Register?.CashRegisterId,
            LibraryId = library,
            Description = description,
            InternalNote = note,
            ExternalId = externalId,
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
