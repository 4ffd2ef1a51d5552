using System.Text.Json;
using System.Text.Json.Serialization;
using Fiscus.Ledger.Shifts;
using Fiscus.Server.Http;

namespace Fiscus.Server.Dialects.Shifts;

/// <summary>POS Kasir's success envelope: <c>{message, data}</c> (data may be null).</summary>
public sealed record ShiftEnvelope<T>(string Message, T? Data);

/// <summary>
/// A shift in POS Kasir's shape — <c>id</c>, <c>user_id</c> (the staff member's UUID), <c>start_cash</c>,
/// <c>status</c>, <c>start_time</c>, and once ended <c>end_time</c>, <c>expected_cash_end</c>,
/// <c>actual_cash_end</c>, <c>difference</c> — plus the register and the cash the shift moved (Square's
/// paid in, paid out, payments, refunds), for an open shift the cash expected in the drawer now, and the register's
/// books beside the cashier's figures: <c>books_cash_start</c> and <c>opening_difference</c> (start cash minus the
/// books), once ended <c>books_cash_end</c> and <c>books_difference</c> (actual cash end minus the books' end).
/// Amounts are integers in the currency's minor unit.
/// </summary>
public sealed record ShiftDto(
    Guid Id,
    Guid UserId,
    long StartCash,
    string Status,
    DateTime StartTime,
    int CashRegisterId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? BooksCashStart = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? OpeningDifference = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTime? EndTime = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ExpectedCashEnd = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ActualCashEnd = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Difference = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? BooksCashEnd = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? BooksDifference = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? ExpectedCash = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CashIn = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CashOut = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CashPayments = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CashRefunds = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Username = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<CashTransactionDto>? Transactions = null)
{
    /// <summary>As started: the fields POS Kasir answers a start with, the register, and the start against the books.</summary>
    public static ShiftDto Started(Shift s) => new(s.ShiftId, s.UserUuid, s.StartCashMinor, s.Status, s.StartTime, s.CashRegisterId,
        s.BooksCashStartMinor, s.Books.OpeningDifferenceMinor);

    /// <summary>With the cash it moved: the expected cash so far while open, the count and difference once closed.</summary>
    public static ShiftDto WithCash(Shift s, ShiftCash cash) => Started(s) with
    {
        EndTime = s.EndTime,
        ExpectedCashEnd = s.ExpectedCashEndMinor,
        ActualCashEnd = s.ActualCashEndMinor,
        Difference = s.DifferenceMinor,
        BooksCashEnd = s.Books.BooksCashEndMinor,
        BooksDifference = s.Books.BooksDifferenceMinor,
        ExpectedCash = s.Status == "open" ? cash.ExpectedMinor(s.StartCashMinor) : null,
        CashIn = cash.CashInMinor,
        CashOut = cash.CashOutMinor,
        CashPayments = cash.CashPaymentsMinor,
        CashRefunds = cash.CashRefundsMinor,
    };
}

/// <summary>A cash transaction in POS Kasir's shape, plus the ledger line that carries the money.</summary>
public sealed record CashTransactionDto(
    Guid Id, Guid ShiftId, string Type, long Amount, string Category, string? Description, Guid UserId, DateTime CreatedAt, long AccountLineId)
{
    public static CashTransactionDto From(CashTransaction t) =>
        new(t.CashTransactionId, t.ShiftId, t.Type, t.AmountMinor, t.Category, t.Description, t.UserUuid, t.CreatedAt, t.AccountLineId);
}

/// <summary>
/// POS Kasir's error envelope: <c>{message, error, data}</c>: the human message, Fiscus's stable code in
/// <c>error</c>, and for validation failures <c>data.errors</c> naming each field with its message (a string,
/// as POS Kasir's validator writes it). Unlike POS Kasir, every refusal has its real status (400, 401, 403,
/// 404, 409, 429), never a 500.
/// </summary>
public sealed class ShiftErrors : IErrorShape
{
    public static readonly ShiftErrors Instance = new();

    static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task WriteAsync(HttpContext context, int status, string code, string message, IReadOnlyDictionary<string, string[]>? errors)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body,
            new ShiftError(message, code, errors is null ? null : new ShiftErrorData(errors.ToDictionary(e => e.Key, e => string.Join("; ", e.Value)))),
            Options, context.RequestAborted);
    }

    sealed record ShiftError(string Message, string Error, ShiftErrorData? Data);

    sealed record ShiftErrorData(IReadOnlyDictionary<string, string> Errors);
}
