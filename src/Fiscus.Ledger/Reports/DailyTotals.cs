using Dapper;
using Fiscus.Ledger.Registers;
using Fiscus.Ledger.Sealing;
using Npgsql;

namespace Fiscus.Ledger.Reports;

public sealed record CashupOfDay(long CashupId, int CashRegisterId, DateTime CompletedAt, long AmountMinor, IReadOnlyList<ReconciliationLine> Reconciliations)
{
    public long DifferenceMinor => Reconciliations.Sum(r => r.DifferenceMinor);
}

public sealed record RegisterDay(int CashRegisterId, string Name, SessionSummary.Aggregates Totals, IReadOnlyList<CashupOfDay> Cashups);

/// <summary>
/// A Z-report: what each register of a library took and paid out on one business day, reckoned in the
/// library's time zone as [local midnight, next local midnight), with the cash-ups completed that day, and the ledger's
/// latest seal when the report was made (<see cref="Seal"/>: null before the first), whose hash the report carries so it
/// can be filed with it and checked later with <c>fiscus verify --against</c>.
/// </summary>
public sealed record DailyTotals(
    string LibraryId, string TimeZone, DateOnly Date, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<RegisterDay> Registers,
    SessionSummary.Aggregates Totals, LedgerSeal? Seal)
{
    sealed record RegisterRow(int CashRegisterId, string Name);

    sealed record ReconciliationRow(long CashupId, string PaymentType, long ExpectedMinor, long CountedMinor, string? Note, long? AccountLineId);

    public static async Task<Outcome<DailyTotals>> ComputeAsync(
        NpgsqlConnection connection, string libraryId, int? cashRegisterId, DateOnly date, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var library = await connection.QuerySingleOrDefaultAsync<(string TimeZone, DateTimeOffset From, DateTimeOffset To)?>(new CommandDefinition("""
            SELECT time_zone, (@date::date)::timestamp AT TIME ZONE time_zone, (@date::date + 1)::timestamp AT TIME ZONE time_zone
            FROM libraries WHERE library_id = @libraryId
            """, new { libraryId, date = date.ToDateTime(TimeOnly.MinValue) }, transaction, cancellationToken: cancellationToken));
        if (library is not { } found)
        {
            return Failure.NotFound("library_not_found", $"There is no library '{libraryId}'.");
        }
        var registers = (await connection.QueryAsync<RegisterRow>(new CommandDefinition("""
            SELECT cash_register_id, name FROM cash_registers
            WHERE library_id = @libraryId AND (@cashRegisterId::integer IS NULL OR cash_register_id = @cashRegisterId)
            ORDER BY cash_register_id
            """, new { libraryId, cashRegisterId }, transaction, cancellationToken: cancellationToken))).AsList();
        var ids = registers.Select(r => r.CashRegisterId).ToArray();
        var cashups = (await connection.QueryAsync<(long CashupId, int CashRegisterId, DateTime CompletedAt, long AmountMinor)>(new CommandDefinition("""
            SELECT cashup_id, cash_register_id, completed_at, amount_minor FROM cashups
            WHERE cash_register_id = ANY(@ids) AND completed_at >= @From AND completed_at < @To
            ORDER BY completed_at
            """, new { ids, found.From, found.To }, transaction, cancellationToken: cancellationToken))).AsList();
        var reconciliations = (await connection.QueryAsync<ReconciliationRow>(new CommandDefinition(
            "SELECT cashup_id, payment_type, expected_minor, counted_minor, note, account_line_id FROM cashup_reconciliations WHERE cashup_id = ANY(@ids) ORDER BY payment_type",
            new { ids = cashups.Select(c => c.CashupId).ToArray() }, transaction, cancellationToken: cancellationToken))).ToLookup(r => r.CashupId);
        var days = new List<RegisterDay>();
        foreach (var register in registers)
        {
            var totals = await SessionSummary.AggregateAsync(connection, transaction,
                LineScope.Window([register.CashRegisterId], found.From, found.To), cancellationToken);
            days.Add(new RegisterDay(register.CashRegisterId, register.Name, totals, cashups.Where(c => c.CashRegisterId == register.CashRegisterId)
                .Select(c => new CashupOfDay(c.CashupId, c.CashRegisterId, c.CompletedAt, c.AmountMinor,
                    reconciliations[c.CashupId].Select(r => new ReconciliationLine(r.PaymentType, r.ExpectedMinor, r.CountedMinor, r.Note, r.AccountLineId)).ToList()))
                .ToList()));
        }
        var all = await SessionSummary.AggregateAsync(connection, transaction, LineScope.Window(ids, found.From, found.To), cancellationToken);
        var seal = await LedgerSeal.LatestAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new DailyTotals(libraryId, found.TimeZone, date, found.From, found.To, days, all, seal);
    }
}
