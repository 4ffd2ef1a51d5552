using Fiscus.Ledger.Audit;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Npgsql;

namespace Fiscus.Server.Auth;

/// <summary>
/// The audit of sign-ins that did not succeed, on every path (<c>auth.login_failed</c>, <c>auth.basic_failed</c>,
/// <c>auth.token_failed</c>, <c>auth.step_up_failed</c>), of budgets spent (<c>auth.locked_out</c>) and, once per
/// window, of what the throttle counted (<c>auth.throttled</c>: failures, refusals, rows left out, busy answers and,
/// for a username, from how many addresses). Rate-limited by <see cref="SignInThrottle"/> (the budget per address,
/// 1,000 rows a minute per instance, lock-outs apart), so a flood of guesses cannot flood the audit log; nothing is
/// lost from the count, and a user's name guessed always shows in a summary.
/// </summary>
public sealed class SignInAudit(NpgsqlDataSource db, TimeProvider time, SignInThrottle throttle)
{
    /// <summary>Usernames and client ids are recorded as sent, up to this length.</summary>
    const int MaxNameLength = 64;

    /// <summary>
    /// Records a failed sign-in, unless its address (or person, or the instance) has used up its rows for this window;
    /// then it is counted on every budget of the attempt instead.
    /// </summary>
    public async Task FailedAsync(AuditActor actor, SignInSubject subject, AttemptStanding standing, string action, string entity,
        string? entityId, object details, CancellationToken cancellationToken)
    {
        if (!throttle.TryCountAuditRow(subject, standing))
        {
            return;
        }
        await WriteAsync([new AuditEntry(actor, time.GetUtcNow(), action, entity, entityId, details)], cancellationToken);
    }

    /// <summary>
    /// Records the budgets a failure has just spent (from now on this window refuses them), as
    /// <see cref="SignInThrottle.Failed"/> chose them: those of users' names always, the rest under a cap of their own.
    /// </summary>
    public Task LockedOutAsync(AuditActor actor, IReadOnlyList<Lockout> lockouts, CancellationToken cancellationToken)
    {
        var entries = lockouts
            .Select(l => new AuditEntry(actor, time.GetUtcNow(), "auth.locked_out", Entity(l.Kind), EntityId(l.Kind, l.Value),
                new { scope = l.Kind, l.Value, l.Failures, l.RetryAfterSeconds }))
            .ToArray();
        return entries.Length == 0 ? Task.CompletedTask : WriteAsync(entries, cancellationToken);
    }

    /// <summary>Writes the summaries of the windows that have ended (all of them, current included, when stopping).</summary>
    public Task FlushAsync(bool includeCurrent, CancellationToken cancellationToken)
    {
        var entries = throttle.TakeSummaries(includeCurrent).Select(s => new AuditEntry(
            new AuditActor("system (sign-in throttle)", null, null, s.Kind == "address" ? s.Value : null, null),
            time.GetUtcNow(), "auth.throttled", Entity(s.Kind), EntityId(s.Kind, s.Value),
            new { scope = s.Kind, s.Value, window_start = s.WindowStart, s.Failures, s.Refused, s.Unrecorded, s.Busy, s.Addresses })).ToArray();
        return entries.Length == 0 ? Task.CompletedTask : WriteAsync(entries, cancellationToken);
    }

    /// <summary>A name as the audit keeps it: at most <see cref="MaxNameLength"/> characters.</summary>
    public static string Truncate(string name) => name.Length > MaxNameLength ? name[..MaxNameLength] : name;

    Task WriteAsync(AuditEntry[] entries, CancellationToken cancellationToken) =>
        Transactions.RunAsync(db, async (connection, transaction) =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var entry in entries)
            {
                batch.BatchCommands.Add(AuditLog.Command(entry));
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>A person is a staff user by id; a username is recorded in the details (it may name no one); an address has no entity.</summary>
    static string Entity(string kind) => kind is "person" or "username" ? "staff_user" : "sign_in";

    static string? EntityId(string kind, string? value) => kind == "person" ? value : null;
}
