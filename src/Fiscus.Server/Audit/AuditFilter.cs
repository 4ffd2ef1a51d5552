using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Fiscus.Ledger;
using Npgsql;

namespace Fiscus.Server.Audit;

/// <summary>
/// What an audit query asks for, read from the API's query string or the command line's options under the same names,
/// with the same rules and messages: <c>from</c>/<c>since</c> and <c>to</c>/<c>until</c> (UTC ISO 8601; a window
/// that includes its start and excludes its end), <c>actor</c>, <c>action</c> and <c>category</c> (each repeatable
/// or comma-separated), <c>entity</c>, <c>entity_id</c>. Every filter narrows; within one, any value may match.
/// </summary>
public sealed partial record AuditFilter(
    DateTimeOffset? From, DateTimeOffset? To, string? Actor, ActionMatch Actions, ActionMatch Categories, string? Entity, string? EntityId)
{
    /// <summary>The query parameters a filter reads (the API answers any other with a 400, so a misspelt filter is not silently ignored).</summary>
    public static readonly IReadOnlyList<string> Names = ["from", "since", "to", "until", "actor", "action", "category", "entity", "entity_id"];

    public const int MaxValues = 50;

    /// <param name="values">The values given for a parameter name (none when it is absent).</param>
    public static Outcome<AuditFilter> Parse(Func<string, IReadOnlyList<string>> values)
    {
        var validation = new Validation();
        var from = Instant(validation, values, "from", "since");
        var to = Instant(validation, values, "to", "until");
        if (from is { } start && to is { } end && end <= start)
        {
            validation.Add(values("to").Count > 0 ? "to" : "until", "The end of the window must be after its start (the start is included, the end is not).");
        }

        var actor = Single(validation, values, "actor");
        if (actor is not null)
        {
            validation.Text("actor", actor, 200);
        }

        var actions = ActionMatch.None;
        foreach (var action in List(validation, values, "action"))
        {
            if (action.Length > 100 || !ActionPattern().IsMatch(action))
            {
                validation.Add("action", $"action '{Shown(action)}' is not an action name such as account.refund, nor one word of one such as refund.");
                continue;
            }
            actions = actions.Or(ActionMatch.Of(action));
        }

        var categories = ActionMatch.None;
        foreach (var name in List(validation, values, "category"))
        {
            if (AuditCategories.Find(name) is { } category)
            {
                categories = categories.Or(category.Match);
            }
            else
            {
                validation.Add("category", $"category '{Shown(name)}' is not one of: {string.Join(", ", AuditCategories.All.Select(c => c.Name))}.");
            }
        }

        var entity = Single(validation, values, "entity");
        if (entity is not null && (entity.Length > 100 || !EntityPattern().IsMatch(entity)))
        {
            validation.Add("entity", "entity must be a kind of record such as account_line, staff_user or cashup (lower-case letters and '_').");
        }
        var entityId = Single(validation, values, "entity_id");
        if (entityId is not null)
        {
            validation.Text("entity_id", entityId, 200);
        }

        if (!validation.IsValid)
        {
            return validation.ToFailure();
        }
        return new AuditFilter(from, to, actor, actions, categories, entity, entityId);
    }

    /// <summary>
    /// The SQL condition over <c>audit_log a</c> and its parameters. The actor is looked up first: a username, an API
    /// client's <c>client_id</c>, a staff user's id, or <c>user:4</c> / <c>client:2</c> as the log names them. Rows
    /// with no signed-in principal match the actor as the log recorded it (<c>system</c>, <c>cli</c>, <c>anonymous</c>),
    /// and a failed sign-in matches the username or client id it was attempted with.
    /// </summary>
    public async Task<Outcome<(string Where, DynamicParameters Parameters)>> ToSqlAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var conditions = new List<string>();
        var parameters = new DynamicParameters();
        if (From is { } from)
        {
            conditions.Add("a.occurred_at >= @From");
            parameters.Add("From", from);
        }
        if (To is { } to)
        {
            conditions.Add("a.occurred_at < @To");
            parameters.Add("To", to);
        }
        if (!Actions.IsEmpty)
        {
            conditions.Add(ActionCondition("Action", Actions, parameters));
        }
        if (!Categories.IsEmpty)
        {
            conditions.Add(ActionCondition("Category", Categories, parameters));
        }
        if (Entity is not null)
        {
            conditions.Add("a.entity = @Entity");
            parameters.Add("Entity", Entity);
        }
        if (EntityId is not null)
        {
            conditions.Add("a.entity_id = @EntityId");
            parameters.Add("EntityId", EntityId);
        }
        if (Actor is not null)
        {
            var principals = await PrincipalsAsync(connection, Actor, cancellationToken);
            if (principals.Failure is { } ambiguous)
            {
                return ambiguous;
            }
            var (users, clients) = principals.Value;
            parameters.Add("ActorUserIds", users.ToArray());
            parameters.Add("ActorClientIds", clients.ToArray());
            parameters.Add("ActorText", Actor);
            conditions.Add("""
                (a.user_id = ANY(@ActorUserIds) OR a.api_client_id = ANY(@ActorClientIds)
                 OR (a.user_id IS NULL AND a.api_client_id IS NULL AND (
                     a.actor = @ActorText OR left(a.actor, length(@ActorText) + 2) = @ActorText || ' ('
                     OR (a.action LIKE 'auth.%' AND (
                         lower(a.details ->> 'username') = lower(@ActorText) OR a.details ->> 'client_id' = @ActorText
                         OR (a.details ->> 'scope' = 'username' AND lower(a.details ->> 'value') = lower(@ActorText)))))))
                """);
        }
        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join("\n  AND ", conditions);
        return (where, parameters);
    }

    /// <summary>The two halves are compared as text, so a word's '_' is no LIKE wildcard and needs no escaping.</summary>
    static string ActionCondition(string name, ActionMatch match, DynamicParameters parameters)
    {
        parameters.Add(name + "Exact", match.Exact.ToArray());
        parameters.Add(name + "Subjects", match.Subjects.ToArray());
        parameters.Add(name + "Verbs", match.Verbs.ToArray());
        return $"(a.action = ANY(@{name}Exact) OR split_part(a.action, '.', 1) = ANY(@{name}Subjects) OR split_part(a.action, '.', 2) = ANY(@{name}Verbs))";
    }

    /// <summary>The staff users and API clients an actor names; more than one is a 400, not a guess.</summary>
    static async Task<Outcome<(List<long> Users, List<long> Clients)>> PrincipalsAsync(
        NpgsqlConnection connection, string actor, CancellationToken cancellationToken)
    {
        if (PrincipalPattern().Match(actor) is { Success: true } principal)
        {
            if (!long.TryParse(principal.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return Failure.Invalid("actor", $"actor '{actor}' names no user or client: the number is too large.");
            }
            (List<long> Users, List<long> Clients) named = principal.Groups[1].Value == "user" ? ([id], []) : ([], [id]);
            return await AsClientsAsync(connection, named, cancellationToken);
        }
        long? userId = long.TryParse(actor, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
        var found = (await connection.QueryAsync<(string Kind, long Id, string Name)>(new CommandDefinition("""
            SELECT 'user', user_id, username FROM staff_users WHERE lower(username) = lower(@actor) OR user_id = @userId
            UNION ALL
            SELECT 'client', api_client_id, client_id FROM api_clients WHERE client_id = @actor
            """, new { actor, userId }, cancellationToken: cancellationToken))).AsList();
        if (found.Count > 1)
        {
            return Failure.Invalid("ambiguous_actor", "actor",
                $"actor '{actor}' names more than one: {string.Join(", ", found.Select(f => $"{f.Kind}:{f.Id} ({f.Name})"))}; send one of these instead.");
        }
        (List<long> Users, List<long> Clients) principals =
            (found.Where(f => f.Kind == "user").Select(f => f.Id).ToList(), found.Where(f => f.Kind == "client").Select(f => f.Id).ToList());
        return await AsClientsAsync(connection, principals, cancellationToken);
    }

    /// <summary>
    /// A client's service user (migration 0014) is the <c>user_id</c> a Koha line or cash-up shows for what the client did,
    /// but the audit log records the client itself: an actor naming the service user means its client, or an auditor who
    /// follows a line's user_id here would find nothing the client did.
    /// </summary>
    static async Task<(List<long> Users, List<long> Clients)> AsClientsAsync(
        NpgsqlConnection connection, (List<long> Users, List<long> Clients) named, CancellationToken cancellationToken)
    {
        if (named.Users.Count == 0)
        {
            return named;
        }
        var served = (await connection.QueryAsync<(long ClientId, long UserId)>(new CommandDefinition(
            "SELECT api_client_id, service_user_id FROM api_clients WHERE service_user_id = ANY(@users)",
            new { users = named.Users.ToArray() }, cancellationToken: cancellationToken))).AsList();
        return (named.Users.Where(u => served.All(s => s.UserId != u)).ToList(), [.. named.Clients, .. served.Select(s => s.ClientId)]);
    }

    static DateTimeOffset? Instant(Validation validation, Func<string, IReadOnlyList<string>> values, string name, string alias)
    {
        var given = values(name).Count > 0;
        if (given && values(alias).Count > 0)
        {
            validation.Add(name, $"Send {name} or {alias}, not both: they are the same filter.");
            return null;
        }
        var field = given ? name : alias;
        if (Single(validation, values, field) is not { } text)
        {
            return null;
        }
        if (DatePattern().IsMatch(text)
            && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            && date.Year is >= 1900 and <= 2999)
        {
            return new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        if (InstantPattern().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            && instant.UtcDateTime.Year is >= 1900 and <= 2999)
        {
            return instant.ToUniversalTime();
        }
        var hint = text.Contains(' ', StringComparison.Ordinal)
            ? " A '+' in a query string reads as a space: write the offset as %2B01:00, or the time in UTC with Z."
            : "";
        validation.Add(field, $"{field} must be a UTC ISO 8601 time such as 2026-03-01T09:00:00Z (or with an offset, +01:00), or a date such as 2026-03-01 (its midnight UTC), from 1900 to 2999.{hint}");
        return null;
    }

    static string? Single(Validation validation, Func<string, IReadOnlyList<string>> values, string name)
    {
        var given = values(name);
        if (given.Count > 1)
        {
            validation.Add(name, $"Send {name} once.");
            return null;
        }
        return given.Count == 1 ? given[0].Trim() is { Length: > 0 } value ? value : null : null;
    }

    static List<string> List(Validation validation, Func<string, IReadOnlyList<string>> values, string name)
    {
        var list = values(name).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > MaxValues)
        {
            validation.Add(name, $"Send at most {MaxValues} values of {name}.");
            return [];
        }
        return list;
    }

    /// <summary>A value quoted back in a message, cut short: it came from the client.</summary>
    static string Shown(string value) => value.Length > 40 ? value[..40] + "…" : value;

    [GeneratedRegex(@"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?\z")]
    private static partial Regex ActionPattern();

    [GeneratedRegex(@"^[a-z][a-z_]*\z")]
    private static partial Regex EntityPattern();

    [GeneratedRegex(@"^(user|client):([0-9]{1,30})\z")]
    private static partial Regex PrincipalPattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z")]
    private static partial Regex DatePattern();

    /// <summary>A date and time that says its offset: a time without one would be read in some zone nobody chose.</summary>
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[+-][0-9]{2}:[0-9]{2})\z")]
    private static partial Regex InstantPattern();
}
