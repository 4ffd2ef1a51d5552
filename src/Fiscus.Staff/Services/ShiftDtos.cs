using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fiscus.Staff.Services;

// The cashier shifts' wire shapes (POS Kasir's dialect): a {message, data} envelope, amounts as integers in the
// currency's minor unit (so they are already what the app computes with), snake_case.

public sealed record ShiftEnvelope<T>(string Message, T? Data);

/// <summary>
/// A shift: POS Kasir's fields, the register and the cash it moved, for an open shift the cash expected now, and the
/// register's books (Fiscus extensions, absent for shifts started before Fiscus recorded them).
/// </summary>
public sealed record CashierShift(
    Guid Id, Guid UserId, long StartCash, string Status, DateTime StartTime, int CashRegisterId,
    DateTime? EndTime = null, long? ExpectedCashEnd = null, long? ActualCashEnd = null, long? Difference = null, long? ExpectedCash = null,
    long? CashIn = null, long? CashOut = null, long? CashPayments = null, long? CashRefunds = null, string? Username = null,
    CashTransaction[]? Transactions = null, long? BooksCashStart = null, long? OpeningDifference = null, long? BooksCashEnd = null,
    long? BooksDifference = null)
{
    public bool Open => Status == "open";
}

public sealed record CashTransaction(
    Guid Id, Guid ShiftId, string Type, long Amount, string Category, string? Description, Guid UserId, DateTime CreatedAt, long AccountLineId);

public sealed record StartShiftRequest(long StartCash, string Password, int? CashRegisterId);

public sealed record EndShiftRequest(string Password, long ActualCashEnd);

public sealed record CashTransactionRequest(string Type, long Amount, string Category, string? Description);

/// <summary>The shifts' error envelope, <c>{message, error, data: {errors: {field: message}}}</c>.</summary>
public sealed record ShiftError(string? Message, string? Error, ShiftErrorData? Data)
{
    public Problem ToProblem() => new(Error, Message, null, null, Data?.Errors?.ToDictionary(e => e.Key, e => new[] { e.Value }));

    /// <summary>Reads a refusal in the shifts' envelope (it has a <c>message</c>; problem+json never does), else null.</summary>
    public static Problem? TryRead(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
            ? body.Deserialize(ShiftWire.Default.ShiftError)?.ToProblem()
            : null;
}

public sealed record ShiftErrorData(Dictionary<string, string>? Errors);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ShiftEnvelope<CashierShift>))]
[JsonSerializable(typeof(ShiftEnvelope<CashierShift[]>))]
[JsonSerializable(typeof(ShiftEnvelope<CashTransaction>))]
[JsonSerializable(typeof(StartShiftRequest))]
[JsonSerializable(typeof(EndShiftRequest))]
[JsonSerializable(typeof(CashTransactionRequest))]
[JsonSerializable(typeof(ShiftError))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class ShiftWire : JsonSerializerContext;
