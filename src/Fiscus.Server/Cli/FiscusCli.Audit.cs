using System.CommandLine;
using System.Globalization;
using Fiscus.Server.Audit;
using Fiscus.Server.Configuration;
using Fiscus.Server.Reports;
using Npgsql;

namespace Fiscus.Server.Cli;

/// <summary>
/// <c>fiscus audit --since ... [--until ...] [--action refund] [--category voids] [--actor ann] [--entity ...] [--entity-id ...]
/// [--csv]</c>: the entries <c>GET /api/v1/audit</c> answers, with the same filters and rules, newest first, all of them
/// (read in batches); as a table, or as the API's CSV.
/// </summary>
public sealed partial class FiscusCli
{
    const int AuditBatchSize = 1000;

    Command AuditCommand(IServiceProvider services)
    {
        var since = new Option<string>("--since")
        {
            Required = true,
            Description = "From this time on (included): UTC ISO 8601, e.g. 2026-03-01T09:00:00Z or +01:00, or a date for its midnight UTC",
        };
        var until = new Option<string?>("--until") { Description = "Up to this time (excluded), as --since; default: now" };
        var action = new Option<string[]>("--action")
        {
            Description = "An action (account.refund) or one word of one (refund: account.refund and pos.refund); repeat or comma-separate",
        };
        var category = new Option<string[]>("--category")
        {
            Description = $"A category ({string.Join(", ", AuditCategories.All.Select(c => c.Name))}); repeat or comma-separate",
        };
        var actor = new Option<string?>("--actor") { Description = "A username, an API client's client_id, a user id, or user:4 / client:2" };
        var entity = new Option<string?>("--entity") { Description = "What was acted on: account_line, staff_user, api_client, cashup, shift, ..." };
        var entityId = new Option<string?>("--entity-id") { Description = "Its id, as the log records it" };
        var csv = new Option<bool>("--csv") { Description = "Print CSV (the API's ?format=csv) instead of a table" };

        var command = new Command("audit", "Print the audit log's entries, newest first: who did what, when.")
        {
            since, until, action, category, actor, entity, entityId, csv,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
            {
                ["since"] = [parse.GetValue(since)!],
                ["until"] = parse.GetValue(until) is { } end ? [end] : [],
                ["action"] = parse.GetValue(action) ?? [],
                ["category"] = parse.GetValue(category) ?? [],
                ["actor"] = parse.GetValue(actor) is { } who ? [who] : [],
                ["entity"] = parse.GetValue(entity) is { } what ? [what] : [],
                ["entity_id"] = parse.GetValue(entityId) is { } id ? [id] : [],
            };
            var filter = AuditFilter.Parse(name => given.TryGetValue(name, out var values) ? values : []);
            if (filter.Failure is { } invalid)
            {
                return Fail(invalid);
            }
            await PrepareAsync(services, cancellationToken);
            var currency = services.GetRequiredService<FiscusOptions>().Currency;
            var asCsv = parse.GetValue(csv);
            if (asCsv)
            {
                output.Write(AuditCsv.Header(new Csv(currency)).ToString());
            }
            // The CSV goes out batch by batch; a table needs every row to size its columns (a human reads no more than that).
            var table = new List<string[]>();
            await foreach (var batch in AuditTrail.BatchesAsync(services.GetRequiredService<NpgsqlDataSource>(), filter.Value!, AuditBatchSize, currency,
                               cancellationToken))
            {
                if (batch.Failure is { } refused)
                {
                    return Fail(refused);
                }
                if (asCsv)
                {
                    var rows = new Csv(currency);
                    foreach (var entry in batch.Value!)
                    {
                        AuditCsv.Row(rows, entry);
                    }
                    output.Write(rows.ToString());
                    continue;
                }
                table.AddRange(batch.Value!.Select(e => new[]
                {
                    e.OccurredAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), e.ActorName, e.Action, e.Entity ?? "-",
                    e.EntityId ?? "-", e.PatronId?.ToString(CultureInfo.InvariantCulture) ?? "-", e.CashRegisterId?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    e.Amount?.ToString("F" + currency.Exponent, CultureInfo.InvariantCulture) ?? "-", OneLine(e.Note) ?? "-",
                }));
            }
            if (!asCsv)
            {
                PrintTable(["occurred_at", "actor", "action", "entity", "entity_id", "patron", "register", "amount", "note"], table);
                output.WriteLine(table.Count == 1 ? "1 entry" : $"{table.Count} entries");
            }
            return 0;
        });
        return command;
    }

    /// <summary>A note as one line of the table (a note may hold line breaks; the CSV keeps them).</summary>
    static string? OneLine(string? text) => text?.ReplaceLineEndings(" ");
}
