using Fiscus.Server.Reports;

namespace Fiscus.Server.Audit;

/// <summary>The audit log as CSV, the same from the API (<c>?format=csv</c>) and the command line (<c>--csv</c>).</summary>
public static class AuditCsv
{
    public static Csv Header(Csv csv) => csv.Row("audit_id", "occurred_at", "action", "category", "actor", "actor_name", "user_id", "username",
        "client_id", "remote_address", "entity", "entity_id", "patron_id", "cash_register_id", "amount", "note", "details");

    public static Csv Row(Csv csv, AuditEntryDto e) => csv.Row(e.AuditId, e.OccurredAt, e.Action, e.Category, e.Actor, e.ActorName, e.UserId,
        e.Username, e.ClientId, e.RemoteAddress, e.Entity, e.EntityId, e.PatronId, e.CashRegisterId,
        e.Amount is { } amount ? csv.Amount(amount) : null, e.Note, e.Details?.GetRawText());
}
