namespace Fiscus.Ledger.Commands;

/// <summary>
/// What a command answered, exactly as its transport sends it, and as it is stored on the command's keys so
/// that a replay gets the same bytes back. <see cref="Status"/> is the transport's outcome code (an HTTP status).
/// </summary>
public sealed record CommandAnswer(int Status, string ContentType, byte[] Body, string? Location = null);

/// <summary>One audit record of a command: what it did to which entity. Who and when come from the runner.</summary>
public sealed record AuditRecord(string Action, string Entity, string? EntityId, object? Details);

/// <summary>A completed command: its answer and its audit records, written in the command's transaction.</summary>
public sealed record Completion(CommandAnswer Answer, IReadOnlyList<AuditRecord> Audit);

/// <summary>
/// How a command ended: answered (fresh, or <see cref="Replayed"/> from its keys), or refused with a
/// <see cref="Failure"/> (nothing was kept, so the same keys may be used again once the request is fixed).
/// </summary>
public sealed record CommandResult(CommandAnswer? Answer, Failure? Failure, bool Replayed = false)
{
    public static CommandResult Refused(Failure failure) => new(null, failure);
}
