using Fiscus.Ledger;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Reports;
using Fiscus.Server.Configuration;
using Fiscus.Server.Http;

namespace Fiscus.Server.Reports;

public sealed record IncomeShareDto(string Code, string Description, long Count, decimal Total);

public sealed record IncomeDayDto(DateOnly Date, decimal IncomeTotal, IReadOnlyList<IncomeShareDto> ByPaymentType, IReadOnlyList<IncomeShareDto> ByDebitType);

/// <summary>Income per business day, by payment type and by debit type, with the range's totals of each.</summary>
public sealed record IncomeByDayDto(
    DateOnly From, DateOnly To, string? LibraryId, int? CashRegisterId, decimal IncomeTotal, IReadOnlyList<IncomeShareDto> ByPaymentType,
    IReadOnlyList<IncomeShareDto> ByDebitType, IReadOnlyList<IncomeDayDto> Days);

/// <summary>
/// <c>GET /api/v1/reports/income_by_day</c>: the Z-report's income figures for every business day of a range at once
/// (the staff app's chart draws it), as JSON or CSV.
/// </summary>
public static class IncomeByDayApi
{
    public static RouteGroupBuilder MapIncomeByDay(this RouteGroupBuilder reports)
    {
        reports.MapGet("/income_by_day", IncomeByDayAsync).WithName("getIncomeByDayReport")
            .WithSummary("Income per business day by payment type and by debit type, over up to 366 days (JSON or text/csv)")
            .Produces<IncomeByDayDto>(200).Produces(200, contentType: "text/csv")
            .AcceptsQuery("the income by day report", ReportsApi.RangeParameters);
        return reports;
    }

    static Task<IResult> IncomeByDayAsync(
        HttpContext http, Auth.Caller caller, Startup.ReadDatabase read, FiscusOptions options, CancellationToken cancellationToken) =>
        ReportsApi.RangeReportAsync(http, caller, read,
            async (connection, q) => q.UserId is not null
                // Register movements do not say who took the money: the cash drawer report filters by staff member.
                ? Failure.Invalid("user_id", "income_by_day is not kept per staff member; use cash_drawer_reconciliation?user_id=.")
                : await IncomeByDay.ComputeAsync(connection, q.From, q.To, q.LibraryId, q.RegisterId, cancellationToken),
            report => Answer(http, report, options.Currency), cancellationToken);

    static IResult Answer(HttpContext http, IncomeByDay report, Currency c)
    {
        if (Csv.Wanted(http.Request))
        {
            var csv = new Csv(c).Row("date", "group", "code", "description", "count", "amount");
            foreach (var day in report.Days)
            {
                foreach (var share in day.ByPaymentType)
                {
                    csv.Row(day.Date, "payment_type", share.Code, share.Description, share.Count, csv.Amount(share.TotalMinor));
                }
                foreach (var share in day.ByDebitType)
                {
                    csv.Row(day.Date, "debit_type", share.Code, share.Description, share.Count, csv.Amount(share.TotalMinor));
                }
            }
            return csv.ToResult($"income-by-day-{report.From:yyyy-MM-dd}-{report.To:yyyy-MM-dd}.csv");
        }
        IReadOnlyList<IncomeShareDto> Shares(IEnumerable<IncomeShare> shares) =>
            shares.Select(s => new IncomeShareDto(s.Code, s.Description, s.Count, c.ToMajor(s.TotalMinor))).ToList();
        return Results.Ok(new IncomeByDayDto(report.From, report.To, report.LibraryId, report.CashRegisterId, c.ToMajor(report.IncomeTotalMinor),
            Shares(report.ByPaymentType), Shares(report.ByDebitType),
            report.Days.Select(d => new IncomeDayDto(d.Date, c.ToMajor(d.IncomeTotalMinor), Shares(d.ByPaymentType), Shares(d.ByDebitType))).ToList()));
    }
}
