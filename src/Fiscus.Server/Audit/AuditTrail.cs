using System.Globalization;
using System.Text.Json;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Money;
using Fiscus.Server.Http;
using Npgsql;

namespace Fiscus.Server.Audit;

/// <summary>
/// Reads the audit log (<c>GET /api/v1/audit</c>, <c>fiscus audit</c>): newest first (<c>occurred_at</c>, then
/// <c>audit_id</c>, a total order), by pages, or all of it in batches. Served by <c>audit_log_occurred_idx</c>; the other
/// filters are checked on the rows of the window.
/// </summary>
public static class AuditTrail
{
    const string Columns = """
        a.audit_id, a.occurred_at, a.action, a.actor, a.user_id, u.username, k.client_id, k.name AS client_name, a.remote_address,
        a.request_id, a.entity, a.entity_id, a.details::text AS details
        """;

    const string Joins = """
        FROM audit_log a
        LEFT JOIN staff_users u ON u.user_id = a.user_id
        LEFT JOIN api_clients k ON k.api_client_id = a.api_client_id
        """;

    const string NewestFirst = "a.occurred_at DESC, a.audit_id DESC";

    /// <summary>An account line an entry names, as the ledger holds it.</summary>
    sealed record Line(
        long AccountLineId, long? PatronId, string? DebitTypeCode, string? CreditTypeCode, long AmountMinor, string? PaymentType, int? CashRegisterId,
        string? InternalNote);

    sealed record Row(
        long AuditId, DateTime OccurredAt, string Action, string Actor, long? UserId, string? Username, string? ClientId, string? ClientName,
        string? RemoteAddress, string? RequestId, string? Entity, string? EntityId, string? Details);

    /// <summary>One page and how many entries match in all (for X-Total-Count).</summary>
    public static async Task<Outcome<(AuditEntryDto[] Entries, long Total)>> PageAsync(
        NpgsqlDataSource db, AuditFilter filter, Paging paging, Currency currency, CancellationToken cancellationToken)
    {
        (string Where, DynamicParameters Parameters) sql;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            var built = await filter.ToSqlAsync(connection, cancellationToken);
            if (built.Failure is { } failure)
            {
                return failure;
            }
            sql = built.Value;
        }
        var (rows, total) = await PagedQuery.RunAsync<Row>(db, Columns, $"{Joins} {sql.Where}", NewestFirst, sql.Parameters, paging, cancellationToken);
        await using var reading = await db.OpenConnectionAsync(cancellationToken);
        return (await EntriesAsync(reading, rows, currency, cancellationToken), total);
    }

    /// <summary>
    /// Every matching entry, newest first, in batches of <paramref name="batchSize"/> read one after another (each
    /// continues below the last one's time and id), so a year of the log never sits in memory at once.
    /// </summary>
    public static async IAsyncEnumerable<Outcome<AuditEntryDto[]>> BatchesAsync(
        NpgsqlDataSource db, AuditFilter filter, int batchSize, Currency currency, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var built = await filter.ToSqlAsync(connection, cancellationToken);
        if (built.Failure is { } failure)
        {
            yield return failure;
            yield break;
        }
        var (where, parameters) = built.Value;
        var after = where.Length == 0 ? "WHERE " : where + "\n  AND ";
        parameters.Add("BatchSize", batchSize);
        Row? last = null;
        while (true)
        {
            string sql;
            if (last is null)
            {
                sql = $"SELECT {Columns} {Joins} {where} ORDER BY {NewestFirst} LIMIT @BatchSize";
            }
            else
            {
                parameters.Add("AfterAt", last.OccurredAt);
                parameters.Add("AfterId", last.AuditId);
                sql = $"SELECT {Columns} {Joins} {after}(a.occurred_at, a.audit_id) < (@AfterAt, @AfterId) ORDER BY {NewestFirst} LIMIT @BatchSize";
            }
            var rows = (await connection.QueryAsync<Row>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).AsList();
            if (rows.Count == 0)
            {
                yield break;
            }
            yield return await EntriesAsync(connection, rows, currency, cancellationToken);
            if (rows.Count < batchSize)
            {
                yield break;
            }
            last = rows[^1];
        }
    }

    static async Task<AuditEntryDto[]> EntriesAsync(
        NpgsqlConnection connection, IReadOnlyList<Row> rows, Currency currency, CancellationToken cancellationToken)
    {
        var parsed = rows.Select(r => (Row: r, Details: Parse(r.Details))).ToList();
        var named = parsed.Select(p => (p.Row, p.Details, Names: LinesNamed(p.Row, p.Details))).ToList();
        var ids = named.SelectMany(n => n.Names.Created.Concat(n.Names.Subject)).Distinct().ToArray();
        var lines = ids.Length == 0
            ? new Dictionary<long, Line>()
            : (await connection.QueryAsync<Line>(new CommandDefinition("""
                SELECT account_line_id, patron_id, debit_type_code, credit_type_code, amount_minor, payment_type, cash_register_id, internal_note
                FROM account_lines WHERE account_line_id = ANY(@ids)
                """, new { ids }, cancellationToken: cancellationToken))).ToDictionary(l => l.AccountLineId);
        return named.Select(n => Entry(n.Row, n.Details, n.Names, lines, currency)).ToArray();
    }

    static AuditEntryDto Entry(
        Row row, JsonElement? details, (List<long> Created, List<long> Subject) names, Dictionary<long, Line> lines, Currency currency)
    {
        var created = names.Created.Where(lines.ContainsKey).Select(id => lines[id]).ToList();
        var subject = names.Subject.Where(lines.ContainsKey).Select(id => lines[id]).ToList();
        // What the act moved: a refund's payout, else what it created (a VOID, a WRITEOFF), else the lines it was (a payment).
        var moved = created.Where(l => l.DebitTypeCode == LineTypes.Payout).Take(1).ToList() is { Count: 1 } payout ? payout
            : created.Count > 0 ? created.Take(1).ToList()
            : subject;
        long? amount = moved.Count > 0 ? moved.Sum(l => Math.Abs(l.AmountMinor)) : null;
        var note = moved.Select(l => l.InternalNote).FirstOrDefault(n => n is not null);
        var all = subject.Concat(created).DistinctBy(l => l.AccountLineId).ToList();
        var patronId = Number(details, "patron_id") ?? all.Select(l => l.PatronId).FirstOrDefault(p => p is not null);
        var registerId = Number(details, "cash_register_id") is { } register and <= int.MaxValue ? (int)register
            : moved.Concat(all).Select(l => l.CashRegisterId).FirstOrDefault(r => r is not null);
        return new AuditEntryDto(row.AuditId, row.OccurredAt, row.Action, AuditCategories.Of(row.Action), row.Actor, ActorName(row), row.UserId,
            row.Username, row.ClientId, row.ClientName, row.RemoteAddress, row.RequestId, row.Entity, row.EntityId, patronId, registerId,
            amount is { } minor ? currency.ToMajor(minor) : null, note, details,
            all.Select(l => new AuditLineDto(l.AccountLineId, l.PatronId, l.DebitTypeCode, l.CreditTypeCode, currency.ToMajor(l.AmountMinor),
                l.PaymentType, l.CashRegisterId, l.InternalNote)).ToList());
    }

    /// <summary>A staff user by their username, a client by its name, anyone else as recorded (system, cli (root), anonymous).</summary>
    static string ActorName(Row row) => row.Username ?? row.ClientName ?? row.Actor;

    /// <summary>
    /// The account lines an entry names: those its act created (<c>details.created</c>), and those it is about — the
    /// entity when it is an account line (a Polaris payment names several, comma-separated), a sale's credit, a shift's
    /// cash line. Anything that is not an id is passed over: the log is read, never trusted to be tidy.
    /// </summary>
    static (List<long> Created, List<long> Subject) LinesNamed(Row row, JsonElement? details)
    {
        var created = new List<long>();
        if (details is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("created", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            created.AddRange(list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out _)).Select(e => e.GetInt64()));
        }
        var subject = new List<long>();
        if (row.Entity == "account_line" && row.EntityId is { } ids)
        {
            foreach (var id in ids.Split(','))
            {
                if (long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var lineId))
                {
                    subject.Add(lineId);
                }
            }
        }
        foreach (var name in new[] { "credit", "account_line_id" })
        {
            if (Number(details, name) is { } lineId && !subject.Contains(lineId))
            {
                subject.Add(lineId);
            }
        }
        return (created, subject);
    }

    static long? Number(JsonElement? details, string name) =>
        details is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt64(out var number) ? number : null;

    static JsonElement? Parse(string? details)
    {
        if (details is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(details);
        return document.RootElement.Clone();
    }
}
