using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fiscus.Staff.Services;

// The audit log's wire shape (GET /api/v1/audit): only what the audit screen shows.

public sealed record AuditLine(long AccountLineId, long? PatronId, string? DebitType, string? CreditType, decimal Amount, string? PaymentType,
    int? CashRegisterId, string? InternalNote);

/// <summary>One entry: who (as recorded, and the name to show), what, when, and for an act on money what it moved.</summary>
public sealed record AuditEntry(
    long AuditId, DateTime OccurredAt, string Action, string? Category, string Actor, string ActorName, long? UserId, string? Username,
    string? ClientId, string? ClientName, string? RemoteAddress, string? Entity, string? EntityId, long? PatronId, int? CashRegisterId,
    decimal? Amount, string? Note, JsonElement? Details, AuditLine[] Lines);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditEntry[]))]
public sealed partial class AuditWire : JsonSerializerContext;
