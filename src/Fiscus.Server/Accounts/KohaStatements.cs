using System.Globalization;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Commands;

namespace Fiscus.Server.Accounts;

/// <summary>
/// What a Koha client may state about a line it adds, beyond the money (Koha's debit and patron_account_credit bodies):
/// <c>user_id</c>, the staff member it acts for; <c>interface</c>; <c>date</c>; <c>checkout_id</c>. Fiscus accepts them
/// so that a Koha client works unchanged, and keeps them where they cannot move money or blur who did what:
/// <list type="bullet">
/// <item><c>user_id</c> must name an active staff user (else 400). It is recorded as "on behalf of" in the line's audit
/// record; the authenticated caller stays the audited actor and the line's writer (the line's <c>user_id</c>).</item>
/// <item><c>interface</c> is recorded as stated in the audit record; the line's own <c>interface</c> is the one it came
/// through (<c>api</c>), as Koha itself forces.</item>
/// <item><c>date</c> (a date, or a date-time with an offset) is recorded as the line's stated date in the audit record.
/// The line keeps the time it was written: a line is never dated back (the database refuses it, migration 0010), since a
/// back-dated line would move money into a register session or a day that has been counted and closed. The stated date
/// is still bounded: not in the future, not before 2000, not before the patron's record was created, and for a line
/// journaled to a register not before the register's session opened.</item>
/// <item><c>checkout_id</c> (a positive integer, or null) is recorded in the audit record; Fiscus has no checkouts, so
/// the Koha shapes show <c>checkout_id: null</c>.</item>
/// </list>
/// </summary>
public sealed record KohaStatements(long? OnBehalfOfUserId, KohaStatements.StatedDate? Date, string? Interface, long? CheckoutId)
{
    public static readonly KohaStatements None = new(null, null, null, null);

    static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How far ahead of the server's clock a stated date-time may be (another machine's clock).</summary>
    static readonly TimeSpan ClockTolerance = TimeSpan.FromMinutes(5);

    /// <summary>A stated date as the period it names: a whole day in the library's time zone, or one instant.</summary>
    public sealed record StatedDate(string Text, DateTimeOffset Start, DateTimeOffset End);

    /// <summary>The statements' wire checks; what needs the database is checked in <see cref="AroundAsync{T}"/>.</summary>
    public static KohaStatements Check(Validation validation, long? userId, string? @interface, string? date, long? checkoutId, string timeZone)
    {
        validation.Positive("user_id", userId).Positive("checkout_id", checkoutId).Texts(("interface", @interface, 80));
        StatedDate? stated = null;
        if (date is not null)
        {
            stated = Parse(date, timeZone);
            if (stated is null)
            {
                validation.Add("date", "date must be a date (2026-01-31) or a date-time with its offset (2026-01-31T14:05:00Z)");
            }
        }
        return new KohaStatements(userId, stated, @interface, checkoutId);
    }

    static StatedDate? Parse(string text, string timeZone)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            // Far outside the bounds AroundAsync checks, a day's midnight may not be an instant .NET can hold (9999-12-31's
            // next day, 0001-01-01 east of UTC): it is simply before 2000 or in the future, refused there as such.
            if (day.Year is < 1000 or > 9000)
            {
                var beyond = day.Year < 1000 ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue;
                return new StatedDate(text, beyond, beyond);
            }
            var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
            DateTimeOffset Midnight(DateOnly d)
            {
                var local = d.ToDateTime(TimeOnly.MinValue);
                return new DateTimeOffset(local, zone.GetUtcOffset(local));
            }
            return new StatedDate(text, Midnight(day), Midnight(day.AddDays(1)));
        }
        // A date-time must say its offset: without one it would mean a different instant on every machine.
        if (text.Length >= 20 && (text.EndsWith('Z') || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            return new StatedDate(text, instant, instant);
        }
        return null;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> in the command's transaction between the statements' checks: the stated date is not
    /// in the future before it; the user acted for exists, and the date is not before the patron's record or the session of
    /// the line's register, after it (a refusal rolls the line back).
    /// </summary>
    public async Task<Outcome<T>> AroundAsync<T>(
        CommandScope scope, long patronId, Func<Task<Outcome<T>>> operation, Func<T, AccountLine> line)
    {
        if (Date is { } date && (date.Start > scope.Now + ClockTolerance || date.End <= Earliest))
        {
            return Failure.Invalid("date_out_of_range", "date", date.Start > scope.Now
                ? $"date {date.Text} is in the future; a line is stated on or before the day it is written."
                : $"date {date.Text} is before 2000.");
        }
        var done = await operation();
        if (done.Failure is not null)
        {
            return done;
        }
        // After the write, so that only a request that would otherwise have been recorded learns whether a user id is an
        // active staff user (a probe with a bad type or amount learns nothing); the refusal rolls the line back.
        if (OnBehalfOfUserId is { } userId && !await scope.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM staff_users WHERE user_id = @userId AND disabled_at IS NULL)", new { userId }, scope.Transaction,
                cancellationToken: scope.CancellationToken)))
        {
            return Failure.Invalid("unknown_user", "user_id", $"user_id {userId} is not an active staff user.");
        }
        if (Date is not { } stated)
        {
            return done;
        }
        var written = line(done.Value!);
        var (patronCreated, sessionOpened) = await scope.Connection.QuerySingleAsync<(DateTime, DateTime?)>(new CommandDefinition(
            """
            SELECT (SELECT created_at FROM patrons WHERE patron_id = @patronId),
                   (SELECT opened_at FROM register_sessions WHERE register_session_id = @session)
            """, new { patronId, session = written.RegisterSessionId }, scope.Transaction, cancellationToken: scope.CancellationToken));
        if (stated.End <= patronCreated)
        {
            return Failure.Invalid("date_out_of_range", "date", $"date {stated.Text} is before patron {patronId}'s record was created.");
        }
        if (sessionOpened is { } opened && stated.End <= opened)
        {
            return Failure.Invalid("date_out_of_range", "date", string.Create(CultureInfo.InvariantCulture,
                $"date {stated.Text} is before the session of cash register {written.CashRegisterId} opened ({opened:O}): that money was counted at its cash-up."));
        }
        return done;
    }

    /// <summary>What the audit record keeps of the statements (only those made).</summary>
    public Dictionary<string, object> AuditDetails()
    {
        var details = new Dictionary<string, object>(StringComparer.Ordinal);
        if (OnBehalfOfUserId is { } userId)
        {
            details["on_behalf_of_user_id"] = userId;
        }
        if (Date is { } date)
        {
            details["stated_date"] = date.Text;
        }
        if (Interface is { } stated)
        {
            details["stated_interface"] = stated;
        }
        if (CheckoutId is { } checkout)
        {
            details["checkout_id"] = checkout;
        }
        return details;
    }
}
