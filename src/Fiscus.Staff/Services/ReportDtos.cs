using System.Text.Json.Serialization;

namespace Fiscus.Staff.Services;

// The reports' wire shapes (snake_case JSON, amounts in major units): only what the reports screen shows.

public sealed record DayTotals(
    long LineCount, decimal IncomeTotal, decimal PayoutTotal, decimal Total, PaymentTypeTotal[] TotalGrouped, IncomeGroup[] IncomeGrouped,
    CountTotal Payouts, CountTotal Refunds, CountTotal PaidIn, CountTotal PaidOut);

public sealed record DayCashup(long CashupId, DateTime Timestamp, decimal Amount, decimal Difference, Reconciliation[] Reconciliations);

public sealed record RegisterDay(int CashRegisterId, string Name, DayTotals Totals, DayCashup[] Cashups);

/// <summary>The ledger's latest seal: the hash an auditor files with a Z-report and checks later (<c>fiscus verify --against</c>).</summary>
public sealed record LedgerSeal(long SealNo, string Hash, DateTime SealedAt, long RowCount);

/// <summary>The Z-report of one business day (<c>GET /api/v1/reports/daily</c>), with the ledger's latest seal (null before the first).</summary>
public sealed record DailyReport(
    string LibraryId, string TimeZone, DateOnly Date, DateTimeOffset From, DateTimeOffset To, int? CashRegisterId, DayTotals Totals,
    long CashupCount, decimal CashupDifference, RegisterDay[] Registers, LedgerSeal? Seal = null);

public sealed record DrawerMovement(
    long AccountLineId, DateTime Date, DateOnly BusinessDate, string Action, string Type, string PaymentType, decimal Amount, string Source,
    int? CashRegisterId, string? CashRegister, string? LibraryId, long? PatronId, string? DebitType, string? Description);

public sealed record ReportTotal(string Name, long Count, decimal In, decimal Out, decimal Net);

public sealed record ReportStats(
    ReportTotal[] BySource, ReportTotal[] ByPaymentType, ReportTotal[] ByDebitType, ReportTotal[] ByCashRegister, ReportTotal Total);

public sealed record ReportCashup(
    long CashupId, int CashRegisterId, string CashRegister, DateTime Timestamp, decimal Amount, decimal Expected, decimal Counted,
    decimal Difference, string? Note);

/// <summary>The cash drawer reconciliation report (<c>GET /api/v1/reports/cash_drawer_reconciliation</c>).</summary>
public sealed record CashDrawerReport(
    DateOnly From, DateOnly To, string? LibraryId, int? CashRegisterId, DrawerMovement[] ReportData, ReportStats ReportStats,
    ReportCashup[] Cashups);

public sealed record IncomeShare(string Code, string Description, long Count, decimal Total);

public sealed record IncomeDay(DateOnly Date, decimal IncomeTotal, IncomeShare[] ByPaymentType, IncomeShare[] ByDebitType);

/// <summary>Income per business day by payment type and by debit type (<c>GET /api/v1/reports/income_by_day</c>).</summary>
public sealed record IncomeByDay(
    DateOnly From, DateOnly To, string? LibraryId, int? CashRegisterId, decimal IncomeTotal, IncomeShare[] ByPaymentType,
    IncomeShare[] ByDebitType, IncomeDay[] Days);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DailyReport))]
[JsonSerializable(typeof(CashDrawerReport))]
[JsonSerializable(typeof(IncomeByDay))]
public sealed partial class ReportWire : JsonSerializerContext;
