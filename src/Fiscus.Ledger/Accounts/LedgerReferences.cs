using System.Globalization;
using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Accounts;

/// <summary>Reference data a command will check, read up front in the same round trip as the account lock.</summary>
public sealed record ReferencePreload(string? DebitType, string? PaymentType, int? RegisterId)
{
    public object Parameters => new { PreloadDebitType = DebitType, PreloadPaymentType = PaymentType, PreloadRegisterId = RegisterId };
}

/// <summary>
/// The reference data a money command names, checked inside its transaction: the type exists and is in
/// use, the register is in use and within the caller's binding. Each refusal names the request field.
/// </summary>
public sealed class LedgerReferences(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
{
    /// <summary>Debit types only Fiscus itself writes.</summary>
    static readonly HashSet<string> ReservedDebitTypes = new(StringComparer.Ordinal) { LineTypes.Void, LineTypes.CashupDeficit, LineTypes.PaidOut };

    /// <summary>Credit types only Fiscus itself writes, through the action that means them.</summary>
    static readonly HashSet<string> ReservedCreditTypes = new(StringComparer.Ordinal)
    {
        LineTypes.Purchase, LineTypes.Cancellation, LineTypes.Refund, LineTypes.Overpayment, LineTypes.Discount, LineTypes.CashupSurplus, LineTypes.PaidIn,
    };

    public sealed record DebitType(string Code, string Description, bool Archived, bool IsSystem, bool CanBeSold, long? DefaultAmountMinor);

    public sealed record CreditType(string Code, string Description, bool Archived, bool IsSystem);

    public sealed record PaymentType(string Code, string Description, bool CountsAsCash, bool AllowedRefund, bool Archived);

    public sealed record Register(int CashRegisterId, string Name, string LibraryId, bool Archived);

    readonly Dictionary<string, DebitType?> debitTypes = new(StringComparer.Ordinal);
    readonly Dictionary<string, PaymentType?> paymentTypes = new(StringComparer.Ordinal);
    readonly Dictionary<int, Register?> registers = [];

    /// <summary>The three look-ups of <see cref="Preload"/>, to send after other statements in one round trip.</summary>
    public const string PreloadSql = """
        SELECT code, description, archived, is_system, can_be_sold, default_amount_minor FROM debit_types WHERE code = @PreloadDebitType;
        SELECT code, description, counts_as_cash, allowed_refund, archived FROM payment_types WHERE code = @PreloadPaymentType FOR KEY SHARE;
        SELECT cash_register_id, name, library_id, archived FROM cash_registers WHERE cash_register_id = @PreloadRegisterId;
        SELECT register_session_id FROM register_sessions WHERE cash_register_id = @PreloadRegisterId AND status = 'open' FOR SHARE;
        """;

    /// <summary>
    /// Takes the debit type, payment type and register a command names, read together with the account lock
    /// (one round trip); the checks below then answer from what was read. The register's open session, share-locked in
    /// the same round trip, is read by <see cref="PatronAccount.OpenForWriteAsync"/> after this.
    /// </summary>
    public async Task PreloadAsync(Dapper.SqlMapper.GridReader results, ReferencePreload preload)
    {
        var debit = await results.ReadSingleOrDefaultAsync<DebitType>();
        var payment = await results.ReadSingleOrDefaultAsync<PaymentType>();
        var register = await results.ReadSingleOrDefaultAsync<Register>();
        if (preload.DebitType is { } debitType)
        {
            debitTypes[debitType] = debit;
        }
        if (preload.PaymentType is { } paymentType)
        {
            paymentTypes[paymentType] = payment;
        }
        if (preload.RegisterId is { } id)
        {
            registers[id] = register;
        }
    }

    public async Task<Outcome<DebitType>> DebitTypeAsync(string code, string field, bool allowReserved = false)
    {
        var type = debitTypes.TryGetValue(code, out var known) ? known : await connection.QuerySingleOrDefaultAsync<DebitType>(new CommandDefinition(
            "SELECT code, description, archived, is_system, can_be_sold, default_amount_minor FROM debit_types WHERE code = @code",
            new { code }, transaction, cancellationToken: cancellationToken));
        if (type is null)
        {
            return Failure.Invalid("unknown_debit_type", field,
                $"{field} '{code}' is not a debit type.{await ValidCodesAsync("debit_types", code, allowReserved ? NoCodes : ReservedDebitTypes)}");
        }
        if (type.Archived)
        {
            return Failure.Invalid("debit_type_archived", field, $"Debit type '{code}' is archived.");
        }
        if (!allowReserved && ReservedDebitTypes.Contains(code))
        {
            return Failure.Invalid("debit_type_reserved", field, $"Debit type '{code}' is written only by Fiscus itself.");
        }
        return type;
    }

    public async Task<Outcome<CreditType>> CreditTypeAsync(string code, string field, bool allowReserved = false)
    {
        var type = await connection.QuerySingleOrDefaultAsync<CreditType>(new CommandDefinition(
            "SELECT code, description, archived, is_system FROM credit_types WHERE code = @code",
            new { code }, transaction, cancellationToken: cancellationToken));
        if (type is null)
        {
            return Failure.Invalid("unknown_credit_type", field,
                $"{field} '{code}' is not a credit type.{await ValidCodesAsync("credit_types", code, allowReserved ? NoCodes : ReservedCreditTypes)}");
        }
        if (type.Archived)
        {
            return Failure.Invalid("credit_type_archived", field, $"Credit type '{code}' is archived.");
        }
        if (!allowReserved && ReservedCreditTypes.Contains(code))
        {
            return Failure.Invalid("credit_type_reserved", field,
                $"Credit type '{code}' is written only by Fiscus itself (through the sale, cancel, refund or cash-up action).");
        }
        return type;
    }

    /// <summary>
    /// The payment type, key-share locked (as the line's foreign key would lock it) so that a FOLIO client deleting
    /// an unused method waits for this money, then sees it used; or, deleting first, leaves this request a 400.
    /// </summary>
    public async Task<Outcome<PaymentType>> PaymentTypeAsync(string code, string field)
    {
        var type = paymentTypes.TryGetValue(code, out var known) ? known : await connection.QuerySingleOrDefaultAsync<PaymentType>(new CommandDefinition(
            "SELECT code, description, counts_as_cash, allowed_refund, archived FROM payment_types WHERE code = @code FOR KEY SHARE",
            new { code }, transaction, cancellationToken: cancellationToken));
        if (type is null)
        {
            return Failure.Invalid("unknown_payment_type", field, $"{field} '{code}' is not a payment type.{await ValidCodesAsync("payment_types", code, NoCodes)}");
        }
        return type.Archived ? Failure.Invalid("payment_type_archived", field, $"Payment type '{code}' is archived.") : type;
    }

    /// <summary>
    /// The register money goes through: named, or the one the client is bound to. Required when the payment
    /// type counts as cash (it must land in a drawer that gets counted).
    /// </summary>
    public async Task<Outcome<Register?>> RegisterAsync(int? cashRegisterId, PaymentType? paymentType, LedgerActor actor, string field)
    {
        var id = cashRegisterId ?? actor.Binding.CashRegisterId;
        if (id is null)
        {
            if (paymentType is { CountsAsCash: true })
            {
                return Failure.Invalid("register_required", field,
                    $"Payment type '{paymentType.Code}' counts as cash, so it needs a cash register: give {field}.");
            }
            return (Register?)null;
        }
        var register = registers.TryGetValue(id.Value, out var known) ? known : await connection.QuerySingleOrDefaultAsync<Register>(new CommandDefinition(
            "SELECT cash_register_id, name, library_id, archived FROM cash_registers WHERE cash_register_id = @id",
            new { id }, transaction, cancellationToken: cancellationToken));
        if (register is null)
        {
            return Failure.Invalid("unknown_register", field, Invariant($"{field} {id} is not a cash register."));
        }
        if (actor.Binding.CheckRegister(register.CashRegisterId, register.LibraryId) is { } outside)
        {
            return outside;
        }
        if (register.Archived)
        {
            return Failure.Invalid("register_archived", field, Invariant($"Cash register {id} is archived."));
        }
        return register;
    }

    /// <summary>A library a line is to be recorded at: it must exist and be within the caller's binding.</summary>
    public async Task<Failure?> LibraryAsync(string? libraryId, string field, LedgerActor actor)
    {
        if (libraryId is null)
        {
            return null;
        }
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM libraries WHERE library_id = @libraryId)", new { libraryId }, transaction,
            cancellationToken: cancellationToken));
        return exists ? actor.Binding.CheckLibrary(libraryId) : Failure.Invalid("unknown_library", field, $"{field} '{libraryId}' is not a library.");
    }

    /// <summary>
    /// What a request naming an unknown type could have named: the nearest code if one is close, then the codes in use
    /// (not archived, not written only by Fiscus itself), at most <see cref="MaxCodesListed"/> of them.
    /// </summary>
    async Task<string> ValidCodesAsync(string table, string wrong, IReadOnlySet<string> reserved)
    {
        var codes = (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT code FROM {table} WHERE NOT archived ORDER BY code", transaction: transaction, cancellationToken: cancellationToken)))
            .Where(c => !reserved.Contains(c)).ToList();
        return codes.Count == 0 ? "" : $"{Suggestions.DidYouMean(wrong, codes)} Valid codes: {Suggestions.List(codes, MaxCodesListed)}.";
    }

    const int MaxCodesListed = 25;

    static readonly HashSet<string> NoCodes = [];

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
