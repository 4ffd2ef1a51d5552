using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Accounts;

/// <summary>A line to write. Amounts are signed as stored: debits positive, credits negative.</summary>
public sealed record NewLine
{
    public long? PatronId { get; init; }
    public string? DebitTypeCode { get; init; }
    public string? CreditTypeCode { get; init; }
    public required long AmountMinor { get; init; }
    public string? PaymentType { get; init; }
    public int? CashRegisterId { get; init; }
    public string? LibraryId { get; init; }
    public long? ItemId { get; init; }
    public string? Status { get; init; }
    public string? Description { get; init; }
    public string? InternalNote { get; init; }
    public string? ExternalId { get; init; }
    public long? RelatedAccountLineId { get; init; }
    public int? Quantity { get; init; }

    /// <summary>Set only by a cash-up, for its surplus or deficit line in the session being counted.</summary>
    public long? RegisterSessionId { get; init; }
}

/// <summary>
/// The ledger's write primitives, inside one transaction: add a line (with its CREATE offset), apply a
/// credit to debits, reverse applications, set a status. Every offset written is kept in
/// <see cref="Offsets"/> for the answer. Callers hold the locks (patron row first, then lines by id).
/// </summary>
public sealed class LedgerWriter(
    NpgsqlConnection connection, NpgsqlTransaction transaction, LedgerActor actor, DateTimeOffset now, CancellationToken cancellationToken)
{
    readonly List<AccountOffset> offsets = [];
    readonly Dictionary<int, long> sessions = [];

    public IReadOnlyList<AccountOffset> Offsets => offsets;

    public NpgsqlConnection Connection => connection;

    public NpgsqlTransaction Transaction => transaction;

    public LedgerActor Actor => actor;

    public DateTimeOffset Now => now;

    public CancellationToken CancellationToken => cancellationToken;

    /// <summary>A register's open session that this transaction already share-locked (read with the account's lock).</summary>
    public void UseLockedSession(int cashRegisterId, long registerSessionId) => sessions[cashRegisterId] = registerSessionId;

    /// <summary>Writes a line, outstanding equal to its amount, and its CREATE offset.</summary>
    public async Task<AccountLine> AddLineAsync(NewLine line)
    {
        var sessionId = await CheckedSessionAsync(line);
        // The line and its CREATE offset in one statement: one round trip, and never one without the other.
        var rows = await connection.QueryAsync<AccountLine, AccountOffset, (AccountLine Line, AccountOffset Offset)>(new CommandDefinition($"""
            WITH line AS (
                INSERT INTO account_lines (patron_id, debit_type_code, credit_type_code, amount_minor, amount_outstanding_minor,
                    payment_type, cash_register_id, library_id, item_id, user_id, api_client_id, interface, status, description,
                    internal_note, external_id, related_account_line_id, register_session_id, quantity, posted_at)
                VALUES (@PatronId, @DebitTypeCode, @CreditTypeCode, @AmountMinor, @AmountMinor, @PaymentType, @CashRegisterId,
                    @LibraryId, @ItemId, @UserId, @ApiClientId, @Interface, @Status, @Description, @InternalNote, @ExternalId,
                    @RelatedAccountLineId, @sessionId, @Quantity, @now)
                RETURNING *),
            created AS (
                INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
                SELECT CASE WHEN credit_type_code IS NOT NULL THEN account_line_id END,
                       CASE WHEN debit_type_code IS NOT NULL THEN account_line_id END, 'CREATE', amount_minor, @now
                FROM line
                RETURNING {AccountOffset.Columns})
            SELECT {Prefixed("line", AccountLine.Columns)}, {Prefixed("created", AccountOffset.Columns)} FROM line, created
            """,
            new
            {
                line.PatronId, line.DebitTypeCode, line.CreditTypeCode, line.AmountMinor, line.PaymentType, line.CashRegisterId,
                line.LibraryId, line.ItemId, actor.UserId, actor.ApiClientId, actor.Interface, line.Status, line.Description,
                line.InternalNote, line.ExternalId, line.RelatedAccountLineId, sessionId, line.Quantity, now,
            },
            transaction, cancellationToken: cancellationToken), (line, offset) => (line, offset), splitOn: "account_offset_id");
        var (written, create) = rows.Single();
        offsets.Add(create);
        Telemetry.CommandTally.Note(written);
        return written;
    }

    /// <summary>
    /// Charges paid in full at once (a sale, a charge-and-pay intake): the debits, then the credit that pays exactly their
    /// sum, their CREATE offsets and an APPLY per debit, in one statement. The lines are written already settled
    /// (nothing outstanding), so nothing is updated afterwards: the same rows <see cref="AddLineAsync"/> and
    /// <see cref="ApplyAsync"/> would leave, without two updates that rewrite every index of a line (a partial index reads
    /// the outstanding amount). PostgreSQL still checks at commit that each line's outstanding is what its offsets say.
    /// </summary>
    /// <param name="balanceOf">A patron whose balance to read in the same round trip, after the write.</param>
    /// <returns>The debits in the order given and the credit, as stored; their offsets are added to <see cref="Offsets"/>.</returns>
    public async Task<(IReadOnlyList<AccountLine> Debits, AccountLine Credit, long? BalanceMinor)> WriteSettledAsync(
        IReadOnlyList<NewLine> debits, NewLine credit, long? balanceOf = null)
    {
        if (debits.Count == 0 || debits.Any(d => d.DebitTypeCode is null) || credit.CreditTypeCode is null ||
            checked(debits.Sum(d => d.AmountMinor)) != -credit.AmountMinor)
        {
            throw new InvalidOperationException($"Refusing a settled write whose credit ({credit.AmountMinor}) does not pay its debits exactly.");
        }
        var debitSessions = new long?[debits.Count];
        for (var i = 0; i < debits.Count; i++)
        {
            debitSessions[i] = await CheckedSessionAsync(debits[i]);
        }
        var creditSession = await CheckedSessionAsync(credit);
        var sql = $"""
            WITH debit AS (
                INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                    library_id, item_id, user_id, api_client_id, interface, status, description, internal_note, external_id,
                    related_account_line_id, register_session_id, quantity, posted_at)
                SELECT d.patron_id, d.code, d.amount, 0, d.payment_type, d.register, d.library, d.item, @UserId, @ApiClientId, @Interface,
                    d.status, d.description, d.note, d.external_id, d.related, d.session, d.quantity, @now
                FROM unnest(@dPatron, @dCode, @dAmount, @dPaymentType, @dRegister, @dLibrary, @dItem, @dStatus, @dDescription, @dNote,
                    @dExternalId, @dRelated, @dSession, @dQuantity) WITH ORDINALITY
                    AS d(patron_id, code, amount, payment_type, register, library, item, status, description, note, external_id, related,
                         session, quantity, n)
                ORDER BY d.n
                RETURNING *),
            credit AS (
                INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                    library_id, item_id, user_id, api_client_id, interface, status, description, internal_note, external_id,
                    related_account_line_id, register_session_id, quantity, posted_at)
                -- Read from the debits, so it is written after them and its id follows theirs, as in a line-by-line write.
                SELECT @cPatron, @cCode, @cAmount, 0, @cPaymentType, @cRegister, @cLibrary, @cItem, @UserId, @ApiClientId, @Interface,
                    @cStatus, @cDescription, @cNote, @cExternalId, @cRelated, @cSession, @cQuantity, @now
                FROM (SELECT count(*) FROM debit) AS after_debits
                RETURNING *),
            offsets AS (
                INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
                SELECT o.credit_id, o.debit_id, o.type, o.amount_minor, @now
                FROM (SELECT 1 AS step, debit.account_line_id AS line, NULL::bigint AS credit_id, debit.account_line_id AS debit_id,
                             'CREATE' AS type, debit.amount_minor FROM debit
                      UNION ALL
                      SELECT 2, credit.account_line_id, credit.account_line_id, NULL, 'CREATE', credit.amount_minor FROM credit
                      UNION ALL
                      SELECT 3, debit.account_line_id, credit.account_line_id, debit.account_line_id, 'APPLY', -debit.amount_minor
                      FROM debit, credit) AS o
                ORDER BY o.step, o.line
                RETURNING {AccountOffset.Columns}),
            line AS (SELECT * FROM debit UNION ALL SELECT * FROM credit)
            SELECT {Prefixed("line", AccountLine.Columns)}, {Prefixed("offsets", AccountOffset.Columns)}
            FROM offsets JOIN line ON line.account_line_id = CASE WHEN offsets.type = 'CREATE' THEN COALESCE(offsets.debit_id, offsets.credit_id) ELSE offsets.credit_id END
            {(balanceOf is null ? "" : "; SELECT COALESCE(sum(amount_outstanding_minor), 0)::bigint FROM account_lines WHERE patron_id = @balanceOf")}
            """;
        var parameters = new
        {
            actor.UserId, actor.ApiClientId, actor.Interface, now, balanceOf,
            dPatron = debits.Select(d => d.PatronId).ToArray(),
            dCode = debits.Select(d => d.DebitTypeCode).ToArray(),
            dAmount = debits.Select(d => d.AmountMinor).ToArray(),
            dPaymentType = debits.Select(d => d.PaymentType).ToArray(),
            dRegister = debits.Select(d => d.CashRegisterId).ToArray(),
            dLibrary = debits.Select(d => d.LibraryId).ToArray(),
            dItem = debits.Select(d => d.ItemId).ToArray(),
            dStatus = debits.Select(d => d.Status).ToArray(),
            dDescription = debits.Select(d => d.Description).ToArray(),
            dNote = debits.Select(d => d.InternalNote).ToArray(),
            dExternalId = debits.Select(d => d.ExternalId).ToArray(),
            dRelated = debits.Select(d => d.RelatedAccountLineId).ToArray(),
            dSession = debitSessions,
            dQuantity = debits.Select(d => d.Quantity).ToArray(),
            cPatron = credit.PatronId, cCode = credit.CreditTypeCode, cAmount = credit.AmountMinor, cPaymentType = credit.PaymentType,
            cRegister = credit.CashRegisterId, cLibrary = credit.LibraryId, cItem = credit.ItemId, cStatus = credit.Status,
            cDescription = credit.Description, cNote = credit.InternalNote, cExternalId = credit.ExternalId,
            cRelated = credit.RelatedAccountLineId, cSession = creditSession, cQuantity = credit.Quantity,
        };
        var rows = new List<(AccountLine Line, AccountOffset Offset)>();
        long? balance = null;
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)))
        {
            // Each line with its own CREATE offset, and the credit again with each APPLY.
            var split = reader.GetOrdinal("account_offset_id");
            var lineOf = reader.GetRowParser<AccountLine>(typeof(AccountLine), 0, split);
            var offsetOf = reader.GetRowParser<AccountOffset>(typeof(AccountOffset), split);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((lineOf(reader), offsetOf(reader)));
            }
            if (balanceOf is not null && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken))
            {
                balance = reader.GetInt64(0);
            }
        }
        offsets.AddRange(rows.Select(r => r.Offset).DistinctBy(o => o.AccountOffsetId).OrderBy(o => o.AccountOffsetId));
        var lines = rows.Select(r => r.Line).DistinctBy(l => l.AccountLineId).OrderBy(l => l.AccountLineId).ToList();
        Telemetry.CommandTally.Note(lines[^1]);
        return (lines.Take(debits.Count).ToList(), lines[^1], balance);
    }

    /// <summary>
    /// Refuses a line no command should write (a bug must not become money), and gives the open session of its register,
    /// share-locked once per transaction.
    /// </summary>
    async Task<long?> CheckedSessionAsync(NewLine line)
    {
        if ((line.DebitTypeCode is null) == (line.CreditTypeCode is null) || line.AmountMinor == 0 ||
            (line.DebitTypeCode is not null) != (line.AmountMinor > 0))
        {
            throw new InvalidOperationException($"Refusing to write a malformed ledger line: {line}");
        }
        // Every command that writes such a line refuses a caller without the scope first; reaching here without
        // it is a bug, and it must not become money paid out or a debt forgiven.
        if (LineTypes.NeedsRefundsScope(line) && !actor.Scopes.Contains(Access.Scopes.RefundsWrite))
        {
            throw new InvalidOperationException($"Refusing to write a {line.DebitTypeCode ?? line.CreditTypeCode} line for a caller without refunds:write.");
        }
        if (line.RegisterSessionId is not null || line.CashRegisterId is not { } registerId)
        {
            return line.RegisterSessionId;
        }
        if (!sessions.TryGetValue(registerId, out var open))
        {
            sessions[registerId] = open = await Registers.RegisterSessions.LockOpenForJournalAsync(connection, transaction, registerId, cancellationToken);
        }
        return open;
    }

    /// <summary>
    /// Applies what is left of <paramref name="credit"/> to the debits in the order given, each up to what it
    /// still owes (Koha's <c>apply</c>). Returns the credit and the debits as they now stand.
    /// </summary>
    public async Task<(AccountLine Credit, IReadOnlyList<AccountLine> Debits)> ApplyAsync(
        AccountLine credit, IEnumerable<AccountLine> debits, long? limitMinor = null)
    {
        var available = -credit.AmountOutstandingMinor;
        if (limitMinor is { } limit)
        {
            available = Math.Min(available, limit);
        }
        var applied = 0L;
        var touched = new List<AccountLine>();
        foreach (var debit in debits)
        {
            if (available - applied <= 0)
            {
                touched.Add(debit);
                continue;
            }
            if (!debit.IsDebit || debit.AmountOutstandingMinor <= 0)
            {
                touched.Add(debit);
                continue;
            }
            var amount = Math.Min(available - applied, debit.AmountOutstandingMinor);
            touched.Add(await OffsetAndMoveAsync(credit.AccountLineId, debit, OffsetTypes.Apply, -amount));
            applied += amount;
        }
        var updatedCredit = applied == 0 ? credit : await SetOutstandingAsync(credit, credit.AmountOutstandingMinor + applied);
        return (updatedCredit, touched);
    }

    /// <summary>Reverses <paramref name="amountMinor"/> of an application: the debit owes it again, the credit has it back.</summary>
    public async Task<(AccountLine Credit, AccountLine Debit)> UnapplyAsync(AccountLine credit, AccountLine debit, long amountMinor)
    {
        var restoredDebit = await OffsetAndMoveAsync(credit.AccountLineId, debit, OffsetTypes.Void, amountMinor);
        var restoredCredit = await SetOutstandingAsync(credit, credit.AmountOutstandingMinor - amountMinor);
        return (restoredCredit, restoredDebit);
    }

    public Task<AccountLine> SetStatusAsync(AccountLine line, string? status) =>
        connection.QuerySingleAsync<AccountLine>(new CommandDefinition(
            $"UPDATE account_lines SET status = @status WHERE account_line_id = @AccountLineId RETURNING {AccountLine.Columns}",
            new { status, line.AccountLineId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Locks lines in id order (the fixed lock order after the account row).</summary>
    public async Task<IReadOnlyList<AccountLine>> LockLinesAsync(IEnumerable<long> ids)
    {
        var sorted = ids.Distinct().Order().ToArray();
        if (sorted.Length == 0)
        {
            return [];
        }
        return (await connection.QueryAsync<AccountLine>(new CommandDefinition(
            $"SELECT {AccountLine.Columns} FROM account_lines WHERE account_line_id = ANY(@sorted) ORDER BY account_line_id FOR UPDATE",
            new { sorted }, transaction, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>What a credit has applied to each debit, net of reversals (debits still carrying some of it).</summary>
    public async Task<IReadOnlyList<(long DebitId, long AppliedMinor)>> ApplicationsOfAsync(long creditId) =>
        (await connection.QueryAsync<(long, long)>(new CommandDefinition("""
            SELECT debit_id, -sum(amount_minor) AS applied
            FROM account_offsets
            WHERE credit_id = @creditId AND type IN ('APPLY', 'VOID')
            GROUP BY debit_id
            HAVING -sum(amount_minor) > 0
            ORDER BY debit_id
            """, new { creditId }, transaction, cancellationToken: cancellationToken))).AsList();

    async Task<AccountLine> SetOutstandingAsync(AccountLine line, long outstandingMinor) =>
        await connection.QuerySingleAsync<AccountLine>(new CommandDefinition(
            $"UPDATE account_lines SET amount_outstanding_minor = @outstandingMinor WHERE account_line_id = @AccountLineId RETURNING {AccountLine.Columns}",
            new { outstandingMinor, line.AccountLineId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Writes an APPLY or VOID offset and moves the debit's outstanding by its amount, in one statement.</summary>
    async Task<AccountLine> OffsetAndMoveAsync(long creditId, AccountLine debit, string type, long amountMinor)
    {
        var rows = await connection.QueryAsync<AccountLine, AccountOffset, (AccountLine Line, AccountOffset Offset)>(new CommandDefinition($"""
            WITH moved AS (
                INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
                VALUES (@creditId, @debitId, @type, @amountMinor, @now)
                RETURNING {AccountOffset.Columns})
            UPDATE account_lines SET amount_outstanding_minor = amount_outstanding_minor + @amountMinor
            FROM moved
            WHERE account_line_id = @debitId
            RETURNING {Prefixed("account_lines", AccountLine.Columns)}, {Prefixed("moved", AccountOffset.Columns)}
            """, new { creditId, debitId = debit.AccountLineId, type, amountMinor, now }, transaction, cancellationToken: cancellationToken),
            (line, offset) => (line, offset), splitOn: "account_offset_id");
        var (moved, offset) = rows.Single();
        offsets.Add(offset);
        return moved;
    }

    static string Prefixed(string alias, string columns) =>
        string.Join(", ", columns.Split(", ").Select(column => $"{alias}.{column}"));
}
