using System.Globalization;
using Dapper;

namespace Fiscus.Server.Sip2;

public sealed partial class Sip2Session
{
    /// <param name="OwedMinor">What the patron owes: the balance, its unapplied credits included, never below zero.</param>
    sealed record SipPatron(
        long PatronId, string Cardnumber, string? Firstname, string Surname, string LibraryId, bool Secured, string? PinHash, long OwedMinor,
        long FineItems)
    {
        public string Name => Firstname is { Length: > 0 } first ? $"{first} {Surname}" : Surname;
    }

    sealed record FineItem(long AccountLineId, string DebitTypeCode, string? Description, string TypeDescription, long AmountOutstandingMinor, DateTime PostedAt);

    /// <summary>What the login's <c>patron_password</c> makes of the PIN given (AD): may the patron act, and CQ when it is reported.</summary>
    sealed record PinCheck(bool Allowed, string? Cq);

    async Task<string> PatronStatusAsync(Sip2Message m, CancellationToken cancellationToken) =>
        await PatronStatusAsync(m, Language(m.FixedAt(0, 3)), null, cancellationToken);

    /// <summary>Block Patron (01): Fiscus blocks no cards (the library system does); the answer is the patron's status.</summary>
    async Task<string> BlockPatronAsync(Sip2Message m, CancellationToken cancellationToken) =>
        await PatronStatusAsync(m, "000", "Fiscus does not block cards: please ask staff.", cancellationToken);

    async Task<string> PatronStatusAsync(Sip2Message m, string language, string? note, CancellationToken cancellationToken)
    {
        if (login is null)
        {
            return PatronStatusRefused(m, NotLoggedIn, language);
        }
        if (await RefreshLoginAsync(cancellationToken) is null)
        {
            return PatronStatusRefused(m, LoginNoLongerValid, language);
        }
        var (patron, refusal) = await FindPatronAsync(m, cancellationToken);
        if (patron is null)
        {
            return PatronStatusRefused(m, refusal!, language);
        }
        var pin = await CheckPinAsync(patron, m["AD"], cancellationToken);
        return new Sip2Response("24").Fixed(ValidPatronStatus).Fixed(language).Fixed(Now())
            .Field("AO", Institution(m)).Field("AA", m["AA"]).Field("AE", pin.Allowed ? patron.Name : "")
            .Field("BL", "Y").Field("CQ", pin.Cq)
            .Field("BH", services.Fiscus.Currency.Code).Field("BV", pin.Allowed ? Major(patron.OwedMinor) : null)
            .Field("AF", !pin.Allowed ? WrongPin : note)
            .ToString();
    }

    string PatronStatusRefused(Sip2Message m, string why, string language = "000") =>
        new Sip2Response("24").Fixed(DeniedPatronStatus).Fixed(language).Fixed(Now())
            .Field("AO", Institution(m)).Field("AA", m["AA"] ?? "").Field("AE", "").Field("BL", "N").Field("AF", why)
            .ToString();

    async Task<string> PatronInformationAsync(Sip2Message m, CancellationToken cancellationToken)
    {
        var language = Language(m.FixedAt(0, 3));
        if (login is null)
        {
            return PatronInformationRefused(m, NotLoggedIn);
        }
        if (await RefreshLoginAsync(cancellationToken) is null)
        {
            return PatronInformationRefused(m, LoginNoLongerValid);
        }
        if (!m.IsComplete || !IsSipDate(m.FixedAt(3, 18)))
        {
            return PatronInformationRefused(m, "The request is malformed: language (3), transaction date (18) and summary (10) come first.");
        }
        var (patron, refusal) = await FindPatronAsync(m, cancellationToken);
        if (patron is null)
        {
            return PatronInformationRefused(m, refusal!);
        }
        var pin = await CheckPinAsync(patron, m["AD"], cancellationToken);
        var answer = new Sip2Response("64").Fixed(ValidPatronStatus).Fixed(language).Fixed(Now())
            // Holds, overdue, charged, fine items, recalls, unavailable holds. Fiscus knows only fines; the others are 0 rather
            // than the spec's four blanks for "unsupported", which kiosks that read the counts as numbers choke on.
            .Fixed("0000").Fixed("0000").Fixed("0000").Fixed(pin.Allowed ? Math.Min(patron.FineItems, 9999).ToString("D4", CultureInfo.InvariantCulture) : "0000")
            .Fixed("0000").Fixed("0000")
            .Field("AO", Institution(m)).Field("AA", m["AA"]).Field("AE", pin.Allowed ? patron.Name : "")
            .Field("BL", "Y").Field("CQ", pin.Cq)
            .Field("BH", services.Fiscus.Currency.Code).Field("BV", pin.Allowed ? Major(patron.OwedMinor) : null);
        var summary = m.FixedAt(21, 10);
        if (pin.Allowed && summary.Length == 10 && summary[3] is 'Y' or 'y')
        {
            foreach (var item in await FineItemsAsync(patron, m, cancellationToken))
            {
                answer.Field("AV", FormatFineItem(item));
            }
        }
        return answer.Field("AF", pin.Allowed ? null : WrongPin).ToString();
    }

    string PatronInformationRefused(Sip2Message m, string why) =>
        new Sip2Response("64").Fixed(DeniedPatronStatus).Fixed(Language(m.FixedAt(0, 3))).Fixed(Now())
            .Fixed("0000").Fixed("0000").Fixed("0000").Fixed("0000").Fixed("0000").Fixed("0000")
            .Field("AO", Institution(m)).Field("AA", m["AA"] ?? "").Field("AE", "").Field("BL", "N").Field("AF", why)
            .ToString();

    const string WrongPin = "The PIN is wrong or missing.";

    /// <summary>The patron by card number (AA), or why not: unknown, or outside the login's library.</summary>
    async Task<(SipPatron? Patron, string? Refusal)> FindPatronAsync(Sip2Message m, CancellationToken cancellationToken)
    {
        var cardnumber = m["AA"];
        if (string.IsNullOrEmpty(cardnumber))
        {
            return (null, "No patron identifier (AA) was sent.");
        }
        if (cardnumber.Any(char.IsControl) || cardnumber.Length > 64)
        {
            return (null, "Unknown patron: please ask staff.");
        }
        await using var connection = await services.Db.OpenConnectionAsync(cancellationToken);
        var patron = await connection.QuerySingleOrDefaultAsync<SipPatron>(new CommandDefinition("""
            SELECT p.patron_id, p.cardnumber, p.firstname, p.surname, p.library_id, p.secured, p.pin_hash,
                   GREATEST(COALESCE(sum(l.amount_outstanding_minor), 0), 0)::bigint AS owed_minor,
                   count(l.account_line_id) FILTER (WHERE l.debit_type_code IS NOT NULL AND l.amount_outstanding_minor > 0) AS fine_items
            FROM patrons p
            LEFT JOIN account_lines l ON l.patron_id = p.patron_id AND l.amount_outstanding_minor <> 0
            WHERE p.cardnumber = @cardnumber
            GROUP BY p.patron_id
            """, new { cardnumber }, cancellationToken: cancellationToken));
        if (patron is null)
        {
            return (null, "Unknown patron: please ask staff.");
        }
        if (!login!.Binding.PermitsLibrary(patron.LibraryId))
        {
            return (null, "This card cannot be used at this kiosk: please ask staff.");
        }
        if (patron.Secured)
        {
            // A secured record takes no writes (Polaris' secured patrons): say so before the kiosk takes any money.
            return (null, "This account cannot be used at a kiosk: please ask staff.");
        }
        return (patron, null);
    }

    /// <summary>The PIN check, with a wrong PIN (one actually checked: at most the throttle's few per patron) in the audit log.</summary>
    async Task<PinCheck> CheckPinAsync(SipPatron patron, string? presented, CancellationToken cancellationToken)
    {
        var (check, wrong) = CheckPin(patron, presented);
        if (wrong)
        {
            await AuditAsync("sip.pin_failed", "patron", patron.PatronId.ToString(CultureInfo.InvariantCulture),
                new { blocked_now = services.Throttle.PinsBlocked(patron.PatronId) }, cancellationToken);
        }
        return check;
    }

    (PinCheck Check, bool Wrong) CheckPin(SipPatron patron, string? presented)
    {
        var policy = login!.PatronPassword;
        var hasPin = patron.PinHash is not null;
        // Verified even when the patron has none (against a decoy), so the time taken does not say whether a PIN is set. Past
        // the wrong-PIN limit the patron's PIN is not checked at all (so not found, whatever was typed) until the window ends.
        var blocked = hasPin && services.Throttle.PinsBlocked(patron.PatronId);
        var matches = presented is not null && services.Passwords.Verify(blocked ? null : patron.PinHash, presented).Valid;
        var wrong = hasPin && presented is not null && !matches && !blocked;
        if (wrong)
        {
            services.Throttle.WrongPin(patron.PatronId);
        }
        var valid = hasPin ? matches : policy != PatronPasswordPolicy.Required;
        var allowed = policy == PatronPasswordPolicy.Ignored || valid;
        var reported = presented is not null || policy == PatronPasswordPolicy.Required;
        return (new PinCheck(allowed, reported ? (valid ? "Y" : "N") : null), wrong);
    }

    async Task<IReadOnlyList<FineItem>> FineItemsAsync(SipPatron patron, Sip2Message m, CancellationToken cancellationToken)
    {
        // BP/BQ: the first and last item wanted, counted from 1.
        var first = int.TryParse(m["BP"], NumberStyles.None, CultureInfo.InvariantCulture, out var bp) && bp >= 1 ? bp : 1;
        var last = int.TryParse(m["BQ"], NumberStyles.None, CultureInfo.InvariantCulture, out var bq) && bq >= first
            ? Math.Min(bq, first + services.Options.MaxFineItems - 1)
            : first + services.Options.MaxFineItems - 1;
        await using var connection = await services.Db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<FineItem>(new CommandDefinition("""
            SELECT l.account_line_id, l.debit_type_code, l.description, t.description AS type_description, l.amount_outstanding_minor, l.posted_at
            FROM account_lines l JOIN debit_types t ON t.code = l.debit_type_code
            WHERE l.patron_id = @PatronId AND l.debit_type_code IS NOT NULL AND l.amount_outstanding_minor > 0
            ORDER BY l.account_line_id
            OFFSET @skip LIMIT @take
            """, new { patron.PatronId, skip = first - 1, take = last - first + 1 }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>A fine item in the login's format; <c>{id}</c> is what the kiosk sends back as the fee identifier (CG).</summary>
    string FormatFineItem(FineItem item) =>
        login!.FineItemFormat
            .Replace("{id}", item.AccountLineId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{amount}", Major(item.AmountOutstandingMinor), StringComparison.Ordinal)
            .Replace("{currency}", services.Fiscus.Currency.Code, StringComparison.Ordinal)
            .Replace("{type}", item.DebitTypeCode, StringComparison.Ordinal)
            .Replace("{date}", TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(item.PostedAt, DateTimeKind.Utc)), zone)
                .ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{description}", item.Description is { Length: > 0 } description ? description : item.TypeDescription, StringComparison.Ordinal)
            .Trim();

    /// <summary>An amount in major units with the currency's decimals (5.00; 500 for a currency without minor units).</summary>
    string Major(long amountMinor) => services.Fiscus.Currency.ToMajor(amountMinor).ToString(CultureInfo.InvariantCulture);

    static string Language(string value) => value.Length == 3 && value.All(char.IsAsciiDigit) ? value : "000";
}
