using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using Npgsql;

namespace Fiscus.Faults;

/// <summary>
/// What survived the faults, from the load's log and the database: every acknowledged payment (2xx) is there exactly
/// once, as the line it was answered with; every other one is there at most once, and its replay with the same key is
/// truthful (the line that is there, or written now — then there exactly once); the ledger holds no payment line but these,
/// each for what was sent; nothing was answered 4xx or 500. Prints the
/// figures and exits 1 on any breach.
/// </summary>
static class Check
{
    public static async Task<int> RunAsync(Arguments options)
    {
        var state = JsonSerializer.Deserialize<State>(await File.ReadAllTextAsync(options.Get("--state")))!;
        var outcomes = new List<Outcome>();
        foreach (var file in options.Get("--log").Split(','))
        {
            foreach (var line in await File.ReadAllLinesAsync(file))
            {
                if (line.Length > 0)
                {
                    outcomes.Add(JsonSerializer.Deserialize<Outcome>(line)!);
                }
            }
        }
        var payments = outcomes.Where(o => o.Kind == "payment").ToList();
        var byKey = payments.GroupBy(o => o.Key).ToDictionary(g => g.Key, g => g.ToList());
        await using var db = NpgsqlDataSource.Create(options.Get("--db"));
        var failures = new List<string>();

        var present = await PresentAsync(db, byKey.Keys);
        var acknowledged = 0;
        foreach (var (key, tries) in byKey)
        {
            var answered = tries.Where(t => t.Status is >= 200 and < 300).ToList();
            present.TryGetValue(key, out var found);
            if (found.Count > 1)
            {
                failures.Add($"payment {key} is there {found.Count} times");
            }
            if (answered.Count > 0)
            {
                acknowledged++;
                if (found.Count == 0)
                {
                    failures.Add($"payment {key} was acknowledged ({answered[0].Status}) and is not there");
                }
                foreach (var answer in answered.Where(a => a.Credit != found.Credit && found.Count == 1))
                {
                    failures.Add($"payment {key} was answered with line {answer.Credit}, the ledger has {found.Credit}");
                }
            }
        }
        // The load sends only valid payments, each key with one body: a 4xx (a racing twin's 409 or 422, a 401 while the
        // database is away) is a broken promise, not a fault of the client.
        foreach (var refused in payments.Where(o => o.Status is >= 400 and < 500))
        {
            failures.Add($"payment {refused.Key} answered {refused.Status} {refused.Code}");
        }
        foreach (var server in payments.Where(o => o.Status >= 500 && o.Status != 503).Concat(outcomes.Where(o => o.Kind == "cashup" && o.Status >= 500 && o.Status != 503)))
        {
            failures.Add($"{server.Kind} {server.Key} answered {server.Status} {server.Code}");
        }

        // Every payment never acknowledged is asked again with its key: the truth, whatever happened to the first try.
        var unanswered = byKey.Where(p => !p.Value.Any(t => t.Status is >= 200 and < 300)).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var url = options.Get("--url");
        var replayedKept = 0;
        var writtenNow = 0;
        var gate = new object();
        await Parallel.ForEachAsync(unanswered, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (pair, _) =>
        {
            var (key, tries) = pair;
            present.TryGetValue(key, out var before);
            var replay = await Load.PayAsync(http, url, state.Token, key, tries[0].Patron);
            lock (gate)
            {
                if (replay.Status != 201)
                {
                    failures.Add($"payment {key} replayed: {replay.Status} {replay.Code}");
                }
                else if (before.Count == 1)
                {
                    replayedKept++;
                    if (replay.Credit != before.Credit)
                    {
                        failures.Add($"payment {key} replayed as line {replay.Credit}, the ledger had {before.Credit}");
                    }
                }
                else
                {
                    writtenNow++;
                }
            }
        });
        var after = await PresentAsync(db, byKey.Keys);
        foreach (var key in byKey.Keys.Where(k => !after.TryGetValue(k, out var p) || p.Count != 1))
        {
            failures.Add($"payment {key} is there {(after.TryGetValue(key, out var p) ? p.Count : 0)} times after the replays");
        }

        // Every payment line in the ledger is one of the payments sent, once, for what was sent. The count per external id above
        // cannot see a payment written twice: the unique index on (api_client_id, external_id) keeps that count at one, so a
        // second line would carry another external id, or none.
        var (lines, paidMinor) = await TotalsAsync(db);
        var sentThere = after.Values.Sum(p => p.Count);
        if (lines != sentThere)
        {
            failures.Add($"the ledger holds {lines} payment lines, {sentThere} of them payments sent: {lines - sentThere} written without their key");
        }
        if (paidMinor != lines * Load.AmountMinor)
        {
            failures.Add($"the ledger's {lines} payment lines total {paidMinor} minor units, not {lines} x {Load.AmountMinor}");
        }

        string Count(Func<Outcome, bool> which) => payments.Count(which).ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"  payments sent {byKey.Count} (requests {payments.Count}), acknowledged {acknowledged}; " +
            $"503 busy {Count(o => o is { Status: 503, Code: "busy" })}, database_unavailable {Count(o => o is { Status: 503, Code: "database_unavailable" })}, " +
            $"outcome_unknown {Count(o => o is { Status: 503, Code: "outcome_unknown" })}, no answer {Count(o => o.Status == 0)}, " +
            $"abandoned {Count(o => o.Status == -1)}, other {Count(o => o.Status is > 0 and not (>= 200 and < 300) and not 503)}");
        Console.WriteLine($"  unacknowledged replayed with their key: {unanswered.Count} ({replayedKept} had been kept and were answered " +
            $"as kept, {writtenNow} had not and were written now); lost 0 of {acknowledged} acknowledged? " +
            $"{(failures.Any(f => f.Contains("not there", StringComparison.Ordinal)) ? "NO" : "yes")}; duplicates: " +
            $"{after.Values.Count(p => p.Count > 1) + Math.Max(0, lines - sentThere)}");
        var cashups = outcomes.Where(o => o.Kind == "cashup").ToList();
        if (cashups.Count > 0)
        {
            var refused = cashups.Where(c => c.Status is < 200 or >= 300).GroupBy(c => $"{c.Status} {c.Code}").Select(g => $"{g.Key} x{g.Count()}");
            Console.WriteLine($"  cash-ups: {cashups.Count(c => c.Status is >= 200 and < 300)} done; refused or unanswered: {string.Join(", ", refused.DefaultIfEmpty("none"))}");
        }
        if (options.Get("--since-ms", "") is { Length: > 0 } since)
        {
            var from = long.Parse(since, CultureInfo.InvariantCulture);
            var first = payments.Where(o => o.Status is >= 200 and < 300 && o.AnsweredMs >= from).MinBy(o => o.AnsweredMs);
            Console.WriteLine(first is null
                ? "  recovery: no payment was acknowledged after the fault"
                : $"  recovery: first acknowledged payment {(first.AnsweredMs - from) / 1000.0:0.0} s after the fault was repaired");
            var limit = options.Int("--recovery-limit-ms", int.MaxValue);
            if (first is null || first.AnsweredMs - from > limit)
            {
                failures.Add($"no payment was acknowledged within {limit / 1000.0:0.0} s of the repair");
            }
        }
        foreach (var failure in failures.Take(20))
        {
            Console.WriteLine($"  FAIL {failure}");
        }
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Every payment line in the ledger (the suite's database holds nothing else): how many, and what they paid.</summary>
    static async Task<(long Lines, long PaidMinor)> TotalsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "SELECT count(*), COALESCE(-sum(amount_minor), 0)::bigint FROM account_lines WHERE credit_type_code = 'PAYMENT'");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Payment lines by external id (each payment's key): how many, and the first's id.</summary>
    static async Task<Dictionary<string, (int Count, long? Credit)>> PresentAsync(NpgsqlDataSource db, IEnumerable<string> keys)
    {
        var found = new Dictionary<string, (int, long?)>();
        await using var command = db.CreateCommand("""
            SELECT external_id, count(*)::int, min(account_line_id) FROM account_lines
            WHERE credit_type_code = 'PAYMENT' AND external_id = ANY($1) GROUP BY external_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found[reader.GetString(0)] = (reader.GetInt32(1), reader.GetInt64(2));
        }
        return found;
    }
}
