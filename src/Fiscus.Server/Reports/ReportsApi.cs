using Fiscus.Ledger.Accounts;
using System.Globalization;
using System.Numerics;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Registers;
using Fiscus.Ledger.Reports;
using Fiscus.Ledger.Sealing;
using Fiscus.Server.Auth;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;
using Fiscus.Server.Registers;
using Fiscus.Server.Startup;
using Npgsql;

namespace Fiscus.Server.Reports;

public sealed record DayTotalsDto(
    long LineCount, decimal IncomeTotal, decimal PayoutTotal, decimal Total, IReadOnlyList<PaymentTypeTotalDto> TotalGrouped,
    IReadOnlyList<IncomeGroupDto> IncomeGrouped, IReadOnlyList<PayoutGroupDto> PayoutGrouped, CountTotalDto Payouts, CountTotalDto Refunds,
    CountTotalDto PaidIn, CountTotalDto PaidOut)
{
    public static DayTotalsDto From(SessionSummary.Aggregates a, Currency c)
    {
        var summary = SummaryDto.From(a.ToSummary(0, 0, "", default, null, 0, []), c);
        return new DayTotalsDto(a.LineCount, summary.IncomeTotal, summary.PayoutTotal, summary.Total, summary.TotalGrouped,
            summary.IncomeGrouped, summary.PayoutGrouped, summary.Payouts, summary.Refunds, summary.PaidIn, summary.PaidOut);
    }
}

public sealed record DayCashupDto(long CashupId, DateTime Timestamp, decimal Amount, decimal Difference, IReadOnlyList<ReconciliationDto> Reconciliations);

public sealed record RegisterDayDto(int CashRegisterId, string Name, DayTotalsDto Totals, IReadOnlyList<DayCashupDto> Cashups);

/// <summary>The ledger's latest seal: its hash (64 hex digits) for <c>fiscus verify --against</c>, when it was made and what it covers.</summary>
public sealed record SealDto(long SealNo, string Hash, DateTime SealedAt, long RowCount)
{
    public static SealDto? From(LedgerSeal? seal) => seal is null ? null : new(seal.SealNo, seal.HashHex, seal.SealedAt.UtcDateTime, seal.RowCount);
}

/// <summary>The Z-report of a library (or one register) for one business day, with the ledger's latest seal (null before the first).</summary>
public sealed record DailyReportDto(
    string LibraryId, string TimeZone, DateOnly Date, DateTimeOffset From, DateTimeOffset To, int? CashRegisterId, DayTotalsDto Totals,
    long CashupCount, decimal CashupDifference, IReadOnlyList<RegisterDayDto> Registers, SealDto? Seal);

public sealed record MovementDto(
    long AccountLineId, DateTime Date, DateOnly BusinessDate, string Action, string Type, string PaymentType, decimal Amount, string Source,
    long? UserId, int? CashRegisterId, string? CashRegister, string? LibraryId, long? PatronId, string? DebitType, string? Description);

public sealed record ReportTotalDto(string Name, long Count, decimal In, decimal Out, decimal Net);

public sealed record ReportStatsDto(
    IReadOnlyList<ReportTotalDto> BySource, IReadOnlyList<ReportTotalDto> ByPaymentType, IReadOnlyList<ReportTotalDto> ByDebitType,
    IReadOnlyList<ReportTotalDto> ByCashRegister, ReportTotalDto Total);

public sealed record ReportCashupDto(
    long CashupId, int CashRegisterId, string CashRegister, DateTime Timestamp, long? ManagerId, decimal Amount, decimal Expected, decimal Counted,
    decimal Difference, string? Note);

/// <summary>The cash drawer reconciliation report: FOLIO's <c>reportData</c>/<c>reportStats</c>, netted, with the cash-ups.</summary>
public sealed record CashDrawerReportDto(
    DateOnly From, DateOnly To, string? LibraryId, int? CashRegisterId, long? UserId, IReadOnlyList<MovementDto> ReportData,
    ReportStatsDto ReportStats, IReadOnlyList<ReportCashupDto> Cashups);

public sealed record ShiftRowDto(
    Guid ShiftId, Guid UserId, string Username, int CashRegisterId, string CashRegister, string LibraryId, DateOnly BusinessDate, string Status,
    DateTime StartTime, DateTime? EndTime, decimal StartCash, decimal CashIn, decimal CashOut, decimal CashPayments, decimal CashRefunds,
    decimal? ExpectedCashEnd, decimal? ActualCashEnd, decimal? Difference, decimal? BooksCashStart, decimal? OpeningDifference, decimal? BooksCashEnd,
    decimal? BooksDifference);

/// <summary>
/// The shift report: each shift begun in the range with its cash and difference, and against the register's books;
/// shortages and overages by the cashiers' figures and by the books' (opening and at the end), still open.
/// </summary>
public sealed record ShiftReportDto(
    DateOnly From, DateOnly To, IReadOnlyList<ShiftRowDto> Shifts, long Count, long Open, decimal Short, decimal Over, decimal OpeningShort,
    decimal OpeningOver, decimal BooksShort, decimal BooksOver);

/// <summary>
/// <c>GET /api/v1/reports/daily</c> (Z-report) and <c>GET /api/v1/reports/cash_drawer_reconciliation</c>, as JSON
/// or, with <c>Accept: text/csv</c>, as CSV. Clients bound to a register or library see only theirs.
/// </summary>
public static class ReportsApi
{
    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder routes)
    {
        var reports = routes.MapGroup("/api/v1/reports").WithTags("Reports").RequireAuthorization(Scopes.ReportsRead);
        reports.MapGet("/daily", DailyAsync).WithName("getDailyReport")
            .WithSummary("Z-report: a business day's totals per register and for the library, with its cash-ups (JSON or text/csv)")
            .Produces<DailyReportDto>(200).Produces(200, contentType: "text/csv")
            .AcceptsQuery("the daily report", "date", "library_id", "cash_register_id", "format");
        reports.MapGet("/cash_drawer_reconciliation", CashDrawerAsync).WithName("getCashDrawerReconciliationReport")
            .WithSummary("Money through the drawers over business days, by staff member, payment type, debit type and register (JSON or text/csv)")
            .Produces<CashDrawerReportDto>(200).Produces(200, contentType: "text/csv")
            .AcceptsQuery("the cash drawer report", RangeParameters);
        reports.MapGet("/shifts", ShiftsAsync).WithName("getShiftReport")
            .WithSummary("Cashier shifts begun over business days, with expected and counted cash and the difference (JSON or text/csv)")
            .Produces<ShiftReportDto>(200).Produces(200, contentType: "text/csv")
            .AcceptsQuery("the shift report", RangeParameters);
        reports.MapIncomeByDay();
        return routes;
    }

    static Task<IResult> ShiftsAsync(HttpContext http, Caller caller, ReadDatabase read, FiscusOptions options, CancellationToken cancellationToken) =>
        RangeReportAsync(http, caller, read,
            (connection, q) => ShiftReport.ComputeAsync(connection, q.From, q.To, q.LibraryId, q.RegisterId, q.UserId, cancellationToken),
            report => ShiftsAnswer(http, report, options.Currency), cancellationToken);

    static IResult ShiftsAnswer(HttpContext http, ShiftReport report, Currency c)
    {
        decimal? Major(long? minor) => minor is { } m ? c.ToMajor(m) : null;
        var rows = report.Shifts.Select(s => new ShiftRowDto(s.ShiftId, s.UserUuid, s.Username, s.CashRegisterId, s.RegisterName, s.LibraryId,
            s.BusinessDate, s.Status, s.StartTime, s.EndTime, c.ToMajor(s.StartCashMinor), c.ToMajor(s.Cash.CashInMinor), c.ToMajor(s.Cash.CashOutMinor),
            c.ToMajor(s.Cash.CashPaymentsMinor), c.ToMajor(s.Cash.CashRefundsMinor), Major(s.ExpectedCashEndMinor), Major(s.ActualCashEndMinor),
            Major(s.DifferenceMinor), Major(s.BooksCashStartMinor), Major(s.Books.OpeningDifferenceMinor), Major(s.Books.BooksCashEndMinor),
            Major(s.Books.BooksDifferenceMinor))).ToList();
        if (Csv.Wanted(http.Request))
        {
            // The books' columns come last, so a reader that takes the columns by position still finds the others where they were.
            var csv = new Csv(c).Row("shift_id", "business_date", "username", "cash_register_id", "cash_register", "status", "start_time", "end_time",
                "start_cash", "cash_in", "cash_out", "cash_payments", "cash_refunds", "expected_cash_end", "actual_cash_end", "difference",
                "books_cash_start", "opening_difference", "books_cash_end", "books_difference");
            foreach (var s in report.Shifts)
            {
                Csv.Money? Money(long? minor) => minor is { } m ? csv.Amount(m) : null;
                csv.Row(s.ShiftId, s.BusinessDate, s.Username, s.CashRegisterId, s.RegisterName, s.Status, s.StartTime, s.EndTime, csv.Amount(s.StartCashMinor),
                    csv.Amount(s.Cash.CashInMinor), csv.Amount(s.Cash.CashOutMinor), csv.Amount(s.Cash.CashPaymentsMinor), csv.Amount(s.Cash.CashRefundsMinor),
                    Money(s.ExpectedCashEndMinor), Money(s.ActualCashEndMinor), Money(s.DifferenceMinor), Money(s.BooksCashStartMinor),
                    Money(s.Books.OpeningDifferenceMinor), Money(s.Books.BooksCashEndMinor), Money(s.Books.BooksDifferenceMinor));
            }
            return csv.ToResult($"shifts-{report.From:yyyy-MM-dd}-{report.To:yyyy-MM-dd}.csv");
        }
        return Results.Ok(new ShiftReportDto(report.From, report.To, rows, rows.Count, report.OpenCount, c.ToMajor(report.ShortMinor), c.ToMajor(report.OverMinor),
            c.ToMajor(report.OpeningShortMinor), c.ToMajor(report.OpeningOverMinor), c.ToMajor(report.BooksShortMinor), c.ToMajor(report.BooksOverMinor)));
    }

    static async Task<IResult> DailyAsync(
        HttpContext http, Caller caller, ReadDatabase read, FiscusOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        var validation = new Validation();
        var date = ParseDate(validation, "date", query["date"]);
        var registerId = ParsePositive<int>(validation, "cash_register_id", query["cash_register_id"]);
        await using var connection = await read.DataSource.OpenConnectionAsync(cancellationToken);
        var scope = await ScopeAsync(connection, validation, caller, query["library_id"], registerId, cancellationToken);
        if (scope.Failure is { } refused)
        {
            return ApiProblems.From(refused);
        }
        (var libraryId, registerId) = scope.Value;
        libraryId ??= await SoleLibraryAsync(connection, caller, cancellationToken);
        if (libraryId is null)
        {
            return ApiProblems.From(Failure.Invalid("library_id", "library_id (or cash_register_id) is required: there is more than one library."));
        }
        var day = date ?? await connection.QuerySingleOrDefaultAsync<DateOnly?>(new CommandDefinition(
            "SELECT (@now AT TIME ZONE time_zone)::date FROM libraries WHERE library_id = @libraryId", new { libraryId, now = time.GetUtcNow() },
            cancellationToken: cancellationToken)) ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var outcome = await DailyTotals.ComputeAsync(connection, libraryId, registerId, day, cancellationToken);
        if (outcome.Failure is { } failure)
        {
            return ApiProblems.From(failure);
        }
        return Csv.Wanted(http.Request)
            ? DailyCsv(outcome.Value!, registerId, options.Currency).ToResult($"daily-{libraryId}-{day:yyyy-MM-dd}.csv")
            : Results.Ok(Dto(outcome.Value!, registerId, options.Currency));
    }

    static Task<IResult> CashDrawerAsync(HttpContext http, Caller caller, ReadDatabase read, FiscusOptions options, CancellationToken cancellationToken) =>
        RangeReportAsync(http, caller, read,
            (connection, q) => CashDrawerReport.ComputeAsync(connection, q.From, q.To, options.DefaultTimeZone, q.LibraryId, q.RegisterId, q.UserId,
                cancellationToken),
            report => CashDrawerAnswer(http, report, options.Currency), cancellationToken);

    static IResult CashDrawerAnswer(HttpContext http, CashDrawerReport report, Currency c)
    {
        if (Csv.Wanted(http.Request))
        {
            var csv = new Csv(c).Row("account_line_id", "date", "business_date", "source", "action", "type", "payment_type", "amount", "debit_type",
                "cash_register_id", "cash_register", "library_id", "patron_id", "description");
            foreach (var m in report.Movements)
            {
                csv.Row(m.AccountLineId, m.PostedAt, m.BusinessDate, m.Source, m.Action, m.Kind, m.PaymentType, csv.Amount(m.AmountMinor), m.DebitType,
                    m.CashRegisterId, m.RegisterName, m.LibraryId, m.PatronId, m.Description);
            }
            return csv.ToResult($"cash-drawer-{report.From:yyyy-MM-dd}-{report.To:yyyy-MM-dd}.csv");
        }
        ReportTotalDto Total(ReportTotal t) => new(t.Name, t.Count, c.ToMajor(t.InMinor), c.ToMajor(t.OutMinor), c.ToMajor(t.NetMinor));
        return Results.Ok(new CashDrawerReportDto(report.From, report.To, report.LibraryId, report.CashRegisterId, report.UserId,
            report.Movements.Select(m => new MovementDto(m.AccountLineId, m.PostedAt, m.BusinessDate, m.Action, m.Kind, m.PaymentType,
                c.ToMajor(m.AmountMinor), m.Source, m.UserId, m.CashRegisterId, m.RegisterName, m.LibraryId, m.PatronId, m.DebitType,
                m.Description)).ToList(),
            new ReportStatsDto(report.BySource.Select(Total).ToList(), report.ByPaymentType.Select(Total).ToList(),
                report.ByDebitType.Select(Total).ToList(), report.ByRegister.Select(Total).ToList(), Total(report.Total)),
            report.Cashups.Select(x => new ReportCashupDto(x.CashupId, x.CashRegisterId, x.RegisterName, x.CompletedAt, x.UserId,
                c.ToMajor(x.AmountMinor), c.ToMajor(x.ExpectedMinor), c.ToMajor(x.CountedMinor), c.ToMajor(x.DifferenceMinor), x.Note)).ToList()));
    }

    /// <summary>What a report over business days reads (<see cref="RangeQueryAsync"/>), and <c>format=csv</c>.</summary>
    internal static readonly string[] RangeParameters = ["from", "to", "library_id", "cash_register_id", "user_id", "format"];

    internal sealed record RangeQuery(DateOnly From, DateOnly To, string? LibraryId, int? RegisterId, long? UserId);

    /// <summary>A report over business days: its parameters read and scoped to the caller, computed, then answered (JSON or CSV).</summary>
    internal static async Task<IResult> RangeReportAsync<TReport>(HttpContext http, Caller caller, ReadDatabase read,
        Func<NpgsqlConnection, RangeQuery, Task<Outcome<TReport>>> compute, Func<TReport, IResult> answer, CancellationToken cancellationToken)
    {
        await using var connection = await read.DataSource.OpenConnectionAsync(cancellationToken);
        var parsed = await RangeQueryAsync(http, connection, caller, cancellationToken);
        if (parsed.Failure is { } refused)
        {
            return ApiProblems.From(refused);
        }
        var outcome = await compute(connection, parsed.Value!);
        return outcome.Failure is { } failure ? ApiProblems.From(failure) : answer(outcome.Value!);
    }

    /// <summary>A report over business days: <c>from</c> (required), <c>to</c> (default: from), <c>library_id</c>, <c>cash_register_id</c>, <c>user_id</c>.</summary>
    static async Task<Outcome<RangeQuery>> RangeQueryAsync(HttpContext http, NpgsqlConnection connection, Caller caller, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        var validation = new Validation();
        var from = ParseDate(validation, "from", query["from"], required: true);
        var to = ParseDate(validation, "to", query["to"]) ?? from;
        var registerId = ParsePositive<int>(validation, "cash_register_id", query["cash_register_id"]);
        var userId = ParsePositive<long>(validation, "user_id", query["user_id"]);
        var scope = await ScopeAsync(connection, validation, caller, query["library_id"], registerId, cancellationToken);
        if (scope.Failure is { } refused)
        {
            return refused;
        }
        return new RangeQuery(from!.Value, to!.Value, scope.Value.LibraryId, scope.Value.RegisterId, userId);
    }

    /// <summary>
    /// Checks the query (400) and narrows a report to what the caller may see: a client bound to a register gets that
    /// register, one bound to a library that library. A register named must exist (404) and belong to the library named.
    /// </summary>
    static async Task<Outcome<(string? LibraryId, int? RegisterId)>> ScopeAsync(
        NpgsqlConnection connection, Validation query, Caller caller, string? libraryId, int? registerId, CancellationToken cancellationToken)
    {
        if (!query.IsValid)
        {
            return query.ToFailure();
        }
        var binding = caller.Binding;
        // A bound client's report is its register's or library's; naming another is refused, not narrowed silently.
        if (binding.CashRegisterId is { } bound)
        {
            registerId ??= bound;
        }
        if (libraryId is not null && binding.CheckLibrary(libraryId) is { } otherLibrary)
        {
            return otherLibrary;
        }
        libraryId ??= binding.LibraryId;
        if (registerId is { } id)
        {
            var register = await CashRegistersApi.FindAsync(connection, null, id, cancellationToken);
            if (register is null)
            {
                return CashRegistersApi.RegisterNotFound();
            }
            if (binding.CheckRegister(register.CashRegisterId, register.LibraryId) is { } otherRegister)
            {
                return otherRegister;
            }
            if (libraryId is not null && !string.Equals(libraryId, register.LibraryId, StringComparison.Ordinal))
            {
                return Failure.Invalid("cash_register_id", $"Cash register {id} is not in library '{libraryId}'.");
            }
            libraryId = register.LibraryId;
        }
        if (libraryId is not null && !await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM libraries WHERE library_id = @libraryId)", new { libraryId }, cancellationToken: cancellationToken)))
        {
            return Failure.NotFound("library_not_found", $"There is no library '{libraryId}'.");
        }
        return (libraryId, registerId);
    }

    /// <summary>With one library there is nothing to choose (nor for a staff member assigned to one).</summary>
    static async Task<string?> SoleLibraryAsync(NpgsqlConnection connection, Caller caller, CancellationToken cancellationToken)
    {
        if (caller.LibraryId is not null)
        {
            return caller.LibraryId;
        }
        var libraries = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT library_id FROM libraries LIMIT 2", cancellationToken: cancellationToken))).AsList();
        return libraries.Count == 1 ? libraries[0] : null;
    }

    static DailyReportDto Dto(DailyTotals day, int? registerId, Currency c)
    {
        var registers = day.Registers.Select(r => new RegisterDayDto(r.CashRegisterId, r.Name, DayTotalsDto.From(r.Totals, c),
            r.Cashups.Select(x => new DayCashupDto(x.CashupId, x.CompletedAt, c.ToMajor(x.AmountMinor), c.ToMajor(x.DifferenceMinor),
                x.Reconciliations.Select(l => new ReconciliationDto(l.PaymentType, c.ToMajor(l.ExpectedMinor), c.ToMajor(l.CountedMinor),
                    c.ToMajor(l.DifferenceMinor), l.Note, l.AccountLineId)).ToList())).ToList())).ToList();
        var cashups = day.Registers.SelectMany(r => r.Cashups).ToList();
        return new DailyReportDto(day.LibraryId, day.TimeZone, day.Date, day.From, day.To, registerId, DayTotalsDto.From(day.Totals, c),
            cashups.Count, c.ToMajor(cashups.Sum(x => x.DifferenceMinor)), registers, SealDto.From(day.Seal));
    }

    /// <summary>One row per figure: <c>section</c> says what it is, <c>name</c> which one (a payment or debit type, a cash-up).</summary>
    static Csv DailyCsv(DailyTotals day, int? registerId, Currency c)
    {
        var csv = new Csv(c).Row("library_id", "date", "cash_register_id", "cash_register", "section", "name", "count", "amount");
        void Row(int? id, string register, string section, object name, long? count, long amountMinor) =>
            csv.Row(day.LibraryId, day.Date, id, register, section, name, count, csv.Amount(amountMinor));
        void Totals(int? id, string register, SessionSummary.Aggregates t)
        {
            foreach (var p in t.ByType)
            {
                Row(id, register, "payment_type_in", p.PaymentType, p.IncomeCount, p.IncomeMinor);
                Row(id, register, "payment_type_out", p.PaymentType, p.PayoutCount, p.PayoutMinor);
                if (p.PaidInCount + p.PaidOutCount > 0)
                {
                    Row(id, register, "paid_in", p.PaymentType, p.PaidInCount, p.PaidInMinor);
                    Row(id, register, "paid_out", p.PaymentType, p.PaidOutCount, p.PaidOutMinor);
                }
            }
            foreach (var g in t.Income)
            {
                Row(id, register, "debit_type", g.DebitTypeCode, g.Count, g.TotalMinor);
            }
            foreach (var g in t.Payouts)
            {
                Row(id, register, "payout", g.RelatedDebitTypeCode is null ? g.CreditTypeCode ?? g.DebitTypeCode : $"{g.CreditTypeCode} of {g.RelatedDebitTypeCode}",
                    null, g.TotalMinor);
            }
            Row(id, register, "refunds", LineTypes.Refund, t.Refunds.Count, t.Refunds.TotalMinor);
            Row(id, register, "payouts", LineTypes.Payout, t.PayoutCount.Count, t.PayoutCount.TotalMinor);
            Row(id, register, "total", "income", null, t.IncomeTotalMinor);
            Row(id, register, "total", "payout", null, t.PayoutTotalMinor);
            Row(id, register, "total", "net", t.LineCount, t.IncomeTotalMinor - t.PayoutTotalMinor);
        }
        foreach (var r in day.Registers)
        {
            Totals(r.CashRegisterId, r.Name, r.Totals);
            foreach (var x in r.Cashups)
            {
                Row(r.CashRegisterId, r.Name, "cashup", x.CashupId, 1, x.AmountMinor);
                foreach (var l in x.Reconciliations)
                {
                    Row(r.CashRegisterId, r.Name, "cashup_difference", $"{x.CashupId} {l.PaymentType}", null, l.DifferenceMinor);
                }
            }
        }
        if (registerId is null)
        {
            Totals(null, "All registers", day.Totals);
        }
        // Last, so a reader that takes the rows it knows finds them where they were: the seal's hash under name, its number under count.
        if (day.Seal is { } seal)
        {
            csv.Row(day.LibraryId, day.Date, null, null, "seal", seal.HashHex, seal.SealNo, null);
        }
        return csv;
    }

    static DateOnly? ParseDate(Validation validation, string field, string? value, bool required = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                validation.Add(field, $"{field} is required (YYYY-MM-DD).");
            }
            return null;
        }
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            && date.Year is >= 1900 and <= 2999)
        {
            return date;
        }
        validation.Add(field, $"{field} must be a date as YYYY-MM-DD, from 1900 to 2999.");
        return null;
    }

    static T? ParsePositive<T>(Validation validation, string field, string? value) where T : struct, INumberBase<T>, IComparisonOperators<T, T, bool>
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (T.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > T.Zero)
        {
            return number;
        }
        validation.Add(field, $"{field} must be a positive integer.");
        return null;
    }
}
