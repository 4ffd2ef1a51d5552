using System.Text.Json.Serialization;
using Dapper;
using Fiscus.Ledger.Money;
using Fiscus.Ledger.Registers;
using Fiscus.Server.Accounts;
using Npgsql;

namespace Fiscus.Server.Registers;

public sealed record TypeDescriptionDto(string? Description);

public sealed record IncomeGroupDto(string DebitTypeCode, TypeDescriptionDto DebitType, long Count, decimal Total);

public sealed record RelatedDebitDto(string DebitTypeCode, TypeDescriptionDto DebitType);

public sealed record PayoutGroupDto(
    string DebitTypeCode, string? CreditTypeCode, TypeDescriptionDto CreditType, RelatedDebitDto? RelatedDebit, decimal Total);

/// <param name="DrawerTotal">
/// What this type left in the drawer: the net of its lines that counted as cash when they were written (the part of
/// <c>total</c> in <c>expected_cash_in_drawer</c>; all of it or none unless the type's counts_as_cash changed mid-session).
/// </param>
public sealed record PaymentTypeTotalDto(
    string PaymentType, string Description, bool CountsAsCash, long IncomeCount, decimal Income, long PayoutCount, decimal Payouts,
    long PaidInCount, decimal PaidIn, long PaidOutCount, decimal PaidOut, decimal Total, decimal DrawerTotal);

public sealed record CountTotalDto(long Count, decimal Total);

public sealed record ReconciliationDto(string PaymentType, decimal Expected, decimal Counted, decimal Difference, string? Note, long? AccountLineId);

/// <summary>
/// A session's totals in Koha's cash-up summary shape (<c>from_date</c>, <c>to_date</c>, <c>income_grouped</c>,
/// <c>income_total</c>, <c>payout_grouped</c>, <c>payout_total</c>, <c>total</c>, <c>total_grouped</c>) plus the
/// float, the expected cash in the drawer, the bankable amount, payouts and refunds, and the reconciliations.
/// </summary>
public sealed record SummaryDto(
    DateTime FromDate,
    DateTime? ToDate,
    decimal Float,
    long LineCount,
    IReadOnlyList<IncomeGroupDto> IncomeGrouped,
    decimal IncomeTotal,
    IReadOnlyList<PayoutGroupDto> PayoutGrouped,
    decimal PayoutTotal,
    decimal Total,
    IReadOnlyList<PaymentTypeTotalDto> TotalGrouped,
    CountTotalDto Payouts,
    CountTotalDto Refunds,
    CountTotalDto PaidIn,
    CountTotalDto PaidOut,
    decimal ExpectedCashInDrawer,
    decimal Bankable,
    IReadOnlyList<ReconciliationDto> Reconciliations)
{
    public static SummaryDto From(SessionSummary s, Currency c) => new(
        s.FromDate, s.ToDate, c.ToMajor(s.FloatMinor), s.LineCount,
        s.IncomeGrouped.Select(g => new IncomeGroupDto(g.DebitTypeCode, new TypeDescriptionDto(g.Description), g.Count, c.ToMajor(g.TotalMinor))).ToList(),
        c.ToMajor(s.IncomeTotalMinor),
        s.PayoutGrouped.Select(g => new PayoutGroupDto(g.DebitTypeCode, g.CreditTypeCode, new TypeDescriptionDto(g.CreditTypeDescription),
            g.RelatedDebitTypeCode is null ? null : new RelatedDebitDto(g.RelatedDebitTypeCode, new TypeDescriptionDto(g.RelatedDebitTypeDescription)),
            c.ToMajor(g.TotalMinor))).ToList(),
        c.ToMajor(s.PayoutTotalMinor), c.ToMajor(s.TotalMinor),
        s.TotalGrouped.Select(t => new PaymentTypeTotalDto(t.PaymentType, t.Description, t.CountsAsCash, t.IncomeCount, c.ToMajor(t.IncomeMinor),
            t.PayoutCount, c.ToMajor(t.PayoutMinor), t.PaidInCount, c.ToMajor(t.PaidInMinor), t.PaidOutCount, c.ToMajor(t.PaidOutMinor),
            c.ToMajor(t.NetMinor), c.ToMajor(t.DrawerMinor))).ToList(),
        new CountTotalDto(s.Payouts.Count, c.ToMajor(s.Payouts.TotalMinor)), new CountTotalDto(s.Refunds.Count, c.ToMajor(s.Refunds.TotalMinor)),
        Count(s.PaidIn, c), Count(s.PaidOut, c),
        c.ToMajor(s.ExpectedCashInDrawerMinor), c.ToMajor(s.BankableMinor),
        s.Reconciliations.Select(r => new ReconciliationDto(r.PaymentType, c.ToMajor(r.ExpectedMinor), c.ToMajor(r.CountedMinor),
            c.ToMajor(r.DifferenceMinor), r.Note, r.AccountLineId)).ToList());

    static CountTotalDto Count(CountTotal? total, Currency c) => new(total?.Count ?? 0, c.ToMajor(total?.TotalMinor ?? 0));
}

/// <summary>The live session of a register: its summary and (a page of) its lines.</summary>
public sealed record SessionDto(
    int CashRegisterId, long RegisterSessionId, string Status, SummaryDto Summary, IReadOnlyList<AccountLineDto> Lines);

/// <summary>
/// A cash-up on the wire: exactly Koha's <c>cashup</c> definition (<c>additionalProperties: false</c>) — <c>cashup_id</c>,
/// <c>cash_register_id</c>, <c>manager_id</c>, <c>amount</c>, <c>timestamp</c> — and its embeds, each present only when
/// asked for with <c>x-koha-embed</c>: <c>manager</c>, <c>summary</c> (Koha's summary object; Fiscus's has more facts in it,
/// which Koha's open <c>summary</c> object allows) and <c>fiscus</c> (what Koha's definition has no room for).
/// </summary>
/// <param name="ManagerId">
/// The staff user who counted; for a cash-up by an API client, the client's service user (which can never sign in).
/// </param>
/// <param name="Amount">
/// What was taken over the session: the net takings the lines say plus the differences counted. While a two-phase count is
/// still going on (<c>fiscus.status</c> <c>counting</c>), what the session's lines say so far.
/// </param>
/// <param name="Timestamp">When the count was completed (while counting: when it started).</param>
public sealed record CashupDto(
    long CashupId,
    int CashRegisterId,
    long ManagerId,
    decimal Amount,
    DateTime Timestamp,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CashupManagerDto? Manager = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryDto? Summary = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CashupFiscusDto? Fiscus = null)
{
    /// <summary>Koha offers <c>manager</c> on the list and <c>summary</c> on one cash-up; Fiscus offers all three on both.</summary>
    public static readonly string[] Embeds = [RegisterEmbeds.Manager, RegisterEmbeds.Summary, RegisterEmbeds.Fiscus];
}

/// <summary>
/// Who counted (<c>x-koha-embed: manager</c>): never more than a name. <c>kind</c> is <c>staff</c>, or <c>api_client</c> for a
/// client's service user, whose <c>name</c> is the client's name.
/// </summary>
public sealed record CashupManagerDto(long UserId, string Username, string Name, string Kind);

/// <summary>What Fiscus knows of a cash-up beyond Koha's definition (<c>x-koha-embed: fiscus</c>).</summary>
/// <param name="ClientId">The API client that counted (its public client_id), or null for a staff user.</param>
/// <param name="Status"><c>counting</c> (started, two-phase) or <c>completed</c>.</param>
public sealed record CashupFiscusDto(
    string? ClientId,
    long RegisterSessionId,
    string Status,
    DateTime StartedAt,
    DateTime? CompletedAt,
    string? Note,
    IReadOnlyList<ReconciliationDto> Reconciliations);

/// <summary>A stored cash-up with who it names as its manager (the user, or the client's service user) and the client's id.</summary>
public sealed record CashupRow(
    long CashupId, int CashRegisterId, long RegisterSessionId, long? UserId, long? ApiClientId, DateTime StartedAt, DateTime? CompletedAt,
    long? AmountMinor, string? Note, string? Summary, long ManagerId, string? ClientId)
{
    /// <summary>Over <c>FROM cashups</c> alone, so that a list's filters stay about cash-ups.</summary>
    public const string Columns =
        "cashup_id, cash_register_id, register_session_id, user_id, api_client_id, started_at, completed_at, amount_minor, note, " +
        "summary::text AS summary, " +
        "COALESCE(user_id, (SELECT a.service_user_id FROM api_clients a WHERE a.api_client_id = cashups.api_client_id)) AS manager_id, " +
        "(SELECT a.client_id FROM api_clients a WHERE a.api_client_id = cashups.api_client_id) AS client_id";

    public Cashup Cashup => new(CashupId, CashRegisterId, RegisterSessionId, UserId, ApiClientId, StartedAt, CompletedAt, AmountMinor, Note, Summary);
}

public static class CashupManagers
{
    /// <summary>The managers these ids name, as <see cref="CashupManagerDto"/>: staff users by username, service users by their client's name.</summary>
    public static async Task<IReadOnlyDictionary<long, CashupManagerDto>> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, long[] userIds, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<CashupManagerDto>(new CommandDefinition("""
            SELECT u.user_id, u.username, COALESCE(a.name, u.username) AS name,
                   CASE WHEN u.is_service_user THEN 'api_client' ELSE 'staff' END AS kind
            FROM staff_users u LEFT JOIN api_clients a ON a.service_user_id = u.user_id
            WHERE u.user_id = ANY(@userIds)
            """, new { userIds }, transaction, cancellationToken: cancellationToken))).ToDictionary(m => m.UserId);
}
