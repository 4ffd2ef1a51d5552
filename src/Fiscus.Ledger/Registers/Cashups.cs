using System.Globalization;
using System.Text.Json;
using Dapper;
using Fiscus.Ledger.Accounts;
using Npgsql;

namespace Fiscus.Ledger.Registers;

public sealed record CountedAmount(string PaymentType, long CountedMinor, string? Note);

public sealed record CashupCommand(IReadOnlyList<CountedAmount> Reconciliations, string? Note, bool NoteRequiredForDifferences);

public sealed record Cashup(
    long CashupId, int CashRegisterId, long RegisterSessionId, long? UserId, long? ApiClientId, DateTime StartedAt, DateTime? CompletedAt,
    long? AmountMinor, string? Note, string? Summary)
{
    public const string Columns =
        "cashup_id, cash_register_id, register_session_id, user_id, api_client_id, started_at, completed_at, amount_minor, note, summary::text AS summary";

    public SessionSummary? FrozenSummary => Summary is null ? null : JsonSerializer.Deserialize<SessionSummary>(Summary);
}

/// <summary>
/// Cashing up a register: quick (count and close at once) or two-phase (start counting — the session
/// closes to new money and sales go on in a new one — then complete with the counted amounts). Each
/// counted payment type is reconciled against what the session's lines say; a difference is journaled
/// as a CASHUP_SURPLUS credit or CASHUP_DEFICIT debit in the counted session. The summary is frozen into
/// the cash-up as counted. Two cash-ups of one register at once: the second is refused (409).
/// </summary>
public static class Cashups
{
    public sealed record Register(int CashRegisterId, string LibraryId, long StartingFloatMinor, bool Archived);

    public static async Task<Outcome<(Cashup Cashup, SessionSummary Summary)>> StartAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int registerId, LedgerActor actor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        now = Timestamps.ToDatabasePrecision(now);
        var register = await LockForCashupAsync(connection, transaction, registerId, actor, cancellationToken);
        if (register.Failure is { } failure)
        {
            return failure;
        }
        if (await RegisterSessions.FindAsync(connection, transaction, registerId, "counting", cancellationToken) is not null)
        {
            return Failure.Conflict("cashup_in_progress", Invariant($"Register {registerId} is already being counted; complete that cash-up first."));
        }
        var takings = await OpenSessionWithMoneyAsync(connection, transaction, registerId, cancellationToken);
        if (takings.Failure is { } empty)
        {
            return empty;
        }
        var open = takings.Value!;
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE register_sessions SET status = 'counting', counting_started_at = @now WHERE register_session_id = @RegisterSessionId",
            new { now, open.RegisterSessionId }, transaction, cancellationToken: cancellationToken));
        await RegisterSessions.OpenAsync(connection, transaction, registerId, register.Value!.StartingFloatMinor, now, cancellationToken);
        var cashup = await InsertAsync(connection, transaction, registerId, open.RegisterSessionId, actor, now, cancellationToken);
        var counting = open with { Status = "counting", CountingStartedAt = now.UtcDateTime };
        return (cashup, await SessionSummary.ComputeAsync(connection, transaction, counting, cancellationToken));
    }

    public static async Task<Outcome<(Cashup Cashup, SessionSummary Summary)>> CompleteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int registerId, CashupCommand command, LedgerActor actor,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        now = Timestamps.ToDatabasePrecision(now);
        var register = await LockForCashupAsync(connection, transaction, registerId, actor, cancellationToken);
        if (register.Failure is { } failure)
        {
            return failure;
        }
        // A started count is completed; otherwise this is a quick cash-up of the open session.
        var session = await RegisterSessions.FindAsync(connection, transaction, registerId, "counting", cancellationToken, forUpdate: true);
        Cashup? started = null;
        if (session is not null)
        {
            started = await connection.QuerySingleAsync<Cashup>(new CommandDefinition(
                $"SELECT {Cashup.Columns} FROM cashups WHERE register_session_id = @RegisterSessionId",
                new { session.RegisterSessionId }, transaction, cancellationToken: cancellationToken));
        }
        else
        {
            var takings = await OpenSessionWithMoneyAsync(connection, transaction, registerId, cancellationToken);
            if (takings.Failure is { } empty)
            {
                return empty;
            }
            session = takings.Value!;
        }

        var before = await SessionSummary.ComputeAsync(connection, transaction, session, cancellationToken);
        if (Check(command, before) is { } invalid)
        {
            return invalid;
        }
        var cashup = started ?? await InsertAsync(connection, transaction, registerId, session.RegisterSessionId, actor, now, cancellationToken);
        var writer = new LedgerWriter(connection, transaction, actor, now, cancellationToken);
        foreach (var counted in command.Reconciliations)
        {
            var expected = before.TotalGrouped.FirstOrDefault(t => t.PaymentType == counted.PaymentType)?.ExpectedMinor ?? 0;
            var difference = counted.CountedMinor - expected;
            long? lineId = null;
            if (difference != 0)
            {
                var line = await writer.AddLineAsync(new NewLine
                {
                    DebitTypeCode = difference < 0 ? LineTypes.CashupDeficit : null,
                    CreditTypeCode = difference > 0 ? LineTypes.CashupSurplus : null,
                    AmountMinor = -difference,
                    PaymentType = counted.PaymentType,
                    CashRegisterId = registerId,
                    RegisterSessionId = session.RegisterSessionId,
                    LibraryId = register.Value!.LibraryId,
                    Description = Invariant($"Cash-up {cashup.CashupId}: {(difference > 0 ? "surplus" : "deficit")} counted in {counted.PaymentType}"),
                    InternalNote = counted.Note,
                });
                lineId = line.AccountLineId;
            }
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO cashup_reconciliations (cashup_id, payment_type, expected_minor, counted_minor, note, account_line_id)
                VALUES (@CashupId, @PaymentType, @expected, @CountedMinor, @Note, @lineId)
                """, new { cashup.CashupId, counted.PaymentType, expected, counted.CountedMinor, counted.Note, lineId }, transaction,
                cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE register_sessions SET status = 'closed', closed_at = @now, counting_started_at = COALESCE(counting_started_at, @now) WHERE register_session_id = @RegisterSessionId",
            new { now, session.RegisterSessionId }, transaction, cancellationToken: cancellationToken));
        if (started is null)
        {
            // Quick cash-up: the next session opens as this one closes (a two-phase one opened it at the start).
            await RegisterSessions.OpenAsync(connection, transaction, registerId, register.Value!.StartingFloatMinor, now, cancellationToken);
        }
        var closed = session with { Status = "closed", ClosedAt = now.UtcDateTime };
        var summary = await SessionSummary.ComputeAsync(connection, transaction, closed, cancellationToken);
        var amount = before.TotalMinor + summary.Reconciliations.Sum(r => r.DifferenceMinor);
        var completed = await connection.QuerySingleAsync<Cashup>(new CommandDefinition($"""
            UPDATE cashups SET completed_at = @now, amount_minor = @amount, note = @Note, summary = @summary::jsonb
            WHERE cashup_id = @CashupId
            RETURNING {Cashup.Columns}
            """, new { now, amount, command.Note, summary = JsonSerializer.Serialize(summary), cashup.CashupId }, transaction,
            cancellationToken: cancellationToken));
        return (completed, summary);
    }

    /// <summary>Every payment type named once and known; cash that moved must be counted; notes where required.</summary>
    /// <summary>The bound of <c>account_lines.amount_minor</c>, which the surplus or deficit line must fit.</summary>
    const long MaxDifferenceMinor = 1_000_000_000_000;

    static Failure? Check(CashupCommand command, SessionSummary summary)
    {
        var validation = new Validation();
        var named = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < command.Reconciliations.Count; i++)
        {
            var counted = command.Reconciliations[i];
            var field = Invariant($"reconciliations[{i}].payment_type");
            if (!named.Add(counted.PaymentType))
            {
                validation.Add(field, $"{counted.PaymentType} is counted twice");
            }
            var known = summary.TotalGrouped.FirstOrDefault(t => t.PaymentType == counted.PaymentType);
            if (known is null)
            {
                // The summary's types: every one in use, and an archived one that still moved money in this session.
                var countable = summary.TotalGrouped.Select(t => t.PaymentType).ToList();
                validation.Add(field, $"'{counted.PaymentType}' is not a payment type in use.{Suggestions.DidYouMean(counted.PaymentType, countable)} " +
                    $"Payment types to count: {Suggestions.List(countable)}");
                continue;
            }
            // The difference is written as one ledger line, and a line is bounded like any other amount.
            if (Math.Abs((decimal)counted.CountedMinor - known.ExpectedMinor) > MaxDifferenceMinor)
            {
                validation.Add(Invariant($"reconciliations[{i}].counted"),
                    Invariant($"The count of {counted.PaymentType} is further from what was expected than one ledger line can record; check it."));
                continue;
            }
            if (command.NoteRequiredForDifferences && counted.CountedMinor != known.ExpectedMinor && string.IsNullOrWhiteSpace(counted.Note))
            {
                validation.Add(Invariant($"reconciliations[{i}].note"), $"A note is required: the count of {counted.PaymentType} differs from what was expected.");
            }
        }
        var uncounted = summary.TotalGrouped
            .Where(t => t.CountsAsCash && t.Moved && !named.Contains(t.PaymentType))
            .Select(t => t.PaymentType).ToList();
        if (uncounted.Count > 0)
        {
            validation.Add("reconciliations", $"Count the cash: {string.Join(", ", uncounted)} moved through the drawer this session.");
        }
        return validation.IsValid ? null : validation.ToFailure();
    }

    /// <summary>The register, locked for a cash-up, with no cashier's shift open at it.</summary>
    /// <summary>
    /// The register to count: it must exist (404) and be one the actor may use (403, before anything about its state
    /// is told), then it is locked, and no cashier's shift may hold its drawer.
    /// </summary>
    static async Task<Outcome<Register>> LockForCashupAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int registerId, LedgerActor actor, CancellationToken cancellationToken)
    {
        var library = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT library_id FROM cash_registers WHERE cash_register_id = @registerId", new { registerId }, transaction,
            cancellationToken: cancellationToken));
        if (library is null)
        {
            return Failure.NotFound("register_not_found", "Register not found");
        }
        if (actor.Binding.CheckRegister(registerId, library) is { } outside)
        {
            return outside;
        }
        var register = await LockRegisterAsync(connection, transaction, registerId, cancellationToken);
        if (register.Failure is not null)
        {
            return register;
        }
        return await ShiftOpenAtAsync(connection, transaction, registerId, cancellationToken) is { } shiftOpen ? shiftOpen : register;
    }

    /// <summary>The open session, locked, if it holds money to count; a session with nothing in it is not cashed up.</summary>
    static async Task<Outcome<RegisterSession>> OpenSessionWithMoneyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int registerId, CancellationToken cancellationToken)
    {
        var open = await RegisterSessions.FindAsync(connection, transaction, registerId, "open", cancellationToken, forUpdate: true);
        return open is not null && await RegisterSessions.HasLinesAsync(connection, transaction, open.RegisterSessionId, cancellationToken)
            ? open
            : Failure.Conflict("session_empty", Invariant($"Register {registerId} has taken no money since its last cash-up."));
    }

    /// <summary>
    /// Locks the register row without waiting: cash-ups take it, sales do not, so a second cash-up of the
    /// same register at the same moment is told at once instead of queueing behind the first.
    /// </summary>
    static async Task<Outcome<Register>> LockRegisterAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int registerId, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("SAVEPOINT cashup_lock", transaction: transaction, cancellationToken: cancellationToken));
        try
        {
            var register = await connection.QuerySingleOrDefaultAsync<Register>(new CommandDefinition(
                "SELECT cash_register_id, library_id, starting_float_minor, archived FROM cash_registers WHERE cash_register_id = @registerId FOR NO KEY UPDATE NOWAIT",
                new { registerId }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("RELEASE SAVEPOINT cashup_lock", transaction: transaction, cancellationToken: cancellationToken));
            return register is null
                ? Failure.NotFound("register_not_found", "Register not found")
                : register;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            await connection.ExecuteAsync(new CommandDefinition("ROLLBACK TO SAVEPOINT cashup_lock", transaction: transaction, cancellationToken: CancellationToken.None));
            return Failure.Conflict("cashup_in_progress", Invariant($"Register {registerId} is being cashed up or changed by someone else right now."));
        }
    }

    /// <summary>
    /// A cashier's shift open at the register holds its drawer: banking the takings under it would leave the shift
    /// expecting cash that is gone. End the shift (counting the drawer), then cash up.
    /// </summary>
    static async Task<Failure?> ShiftOpenAtAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int registerId, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition("""
            SELECT u.username FROM shifts s JOIN staff_users u USING (user_id) WHERE s.cash_register_id = @registerId AND s.status = 'open'
            """, new { registerId }, transaction, cancellationToken: cancellationToken)) is { } cashier
            ? Failure.Conflict("register_has_open_shift", Invariant($"{cashier}'s shift is open at register {registerId}; end the shift before cashing up."))
            : null;

    static Task<Cashup> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int registerId, long sessionId, LedgerActor actor, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<Cashup>(new CommandDefinition($"""
            INSERT INTO cashups (cash_register_id, register_session_id, user_id, api_client_id, started_at)
            VALUES (@registerId, @sessionId, @UserId, @ApiClientId, @now)
            RETURNING {Cashup.Columns}
            """, new { registerId, sessionId, actor.UserId, actor.ApiClientId, now }, transaction, cancellationToken: cancellationToken));

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
