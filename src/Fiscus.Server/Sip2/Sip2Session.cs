using System.Globalization;
using Dapper;
using Fiscus.Ledger.Accounts;
using Fiscus.Ledger.Audit;
using Fiscus.Server.Http;

namespace Fiscus.Server.Sip2;

/// <summary>
/// One kiosk's conversation: the login it signed in with (93) and the answers to what it asks. Patron Status (23),
/// Patron Information (63), Fee Paid (37) and End Patron Session (35) need a login; SC Status (99) does not. Requests
/// Fiscus does not serve (checkout, checkin, holds, renewals, items) get their command's negative answer with a screen
/// message, so a kiosk never sees a dropped connection. Money goes through the one command runner, as the kiosk's login.
/// </summary>
public sealed partial class Sip2Session(Sip2Services services, string remoteAddress, long connectionId)
{
    /// <summary>BX: patron status, SC/ACS status, resend, login, patron information, end patron session, fee paid.</summary>
    public const string Supported = "YNNNYYYYYYNNNNNN";

    const string ValidPatronStatus = "              ";
    const string DeniedPatronStatus = "YYYY          ";

    SipLogin? login;
    string libraryName = "";
    TimeZoneInfo zone = TimeZoneInfo.Utc;
    long messages;

    /// <summary>Whether a login (93) was accepted on this connection and still holds.</summary>
    public bool IsLoggedIn => login is not null;

    /// <summary>The answer (without error detection, which the connection adds), or null for a command SIP2 does not define.</summary>
    public async Task<string?> HandleAsync(Sip2Message message)
    {
        messages++;
        var cancellationToken = CancellationToken.None;
        try
        {
            return message.Command switch
            {
                "93" => await LoginAsync(message, cancellationToken),
                "99" => Status(),
                "23" => await PatronStatusAsync(message, cancellationToken),
                "63" => await PatronInformationAsync(message, cancellationToken),
                "37" => await FeePaidAsync(message, cancellationToken),
                "35" => EndSession(message),
                "01" => await BlockPatronAsync(message, cancellationToken),
                _ => Unsupported(message),
            };
        }
        catch (Ledger.Database.CommitOutcomeUnknownException e) when (message.Command == "37")
        {
            // The payment's COMMIT lost its answer and the database could not be asked in time: it may have been kept. SIP2 has
            // no "unknown", and a 38 Y for money nobody saw kept would be a lie; but "try again" sent patrons to pay twice.
            services.Logger.LogError(e, "SIP2 fee paid from {Login} at {Remote} (BK {TransactionId}) may or may not have been recorded: the " +
                "database stopped answering during its commit; check the patron's account", login?.Login, remoteAddress, message["BK"]);
            return FeePaidRefused(message, OutcomeUnknown);
        }
        catch (Npgsql.NpgsqlException e)
        {
            // The database is unreachable or stopped answering: the kiosk gets its command's negative answer and may retry.
            services.Logger.LogWarning("SIP2 {Command} from {Remote} not served: the database is unavailable ({Error})",
                message.Command, remoteAddress, e.Message);
            return Unavailable(message);
        }
    }

    async Task<string> LoginAsync(Sip2Message message, CancellationToken cancellationToken)
    {
        var name = message["CN"] ?? "";
        var password = message["CO"] ?? "";
        login = null;
        if (!message.IsComplete || message.FixedAt(0, 2) != "00" || name.Length == 0)
        {
            // SIP2's algorithms other than 0 (none) were never defined: a login that asks for one cannot be checked.
            await AuditFailedLoginAsync(name, "malformed", cancellationToken);
            return "940";
        }
        // Per address and login: kiosks behind one NAT or the TCP load balancer share an address, and someone guessing one
        // login's password there must not lock every other kiosk out.
        var throttleKey = $"{remoteAddress}\n{name}";
        if (services.Throttle.IsBlocked(throttleKey))
        {
            await AuditFailedLoginAsync(name, "throttled", cancellationToken);
            return "940";
        }
        var found = await services.Logins.VerifyAsync(name, password, cancellationToken);
        if (found is null)
        {
            services.Throttle.Failed(throttleKey);
            await AuditFailedLoginAsync(name, "wrong login or password, or disabled", cancellationToken);
            return "940";
        }
        login = found;
        await using (var connection = await services.Db.OpenConnectionAsync(cancellationToken))
        {
            var library = await connection.QuerySingleAsync<(string Name, string TimeZone)>(new CommandDefinition(
                "SELECT name, time_zone FROM libraries WHERE library_id = @LibraryId", new { found.LibraryId }, cancellationToken: cancellationToken));
            libraryName = library.Name;
            zone = TimeZones.IsIana(library.TimeZone) && TimeZoneInfo.TryFindSystemTimeZoneById(library.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
        }
        await AuditAsync("sip.login", "sip_login", found.Login, new { connection = connectionId }, cancellationToken);
        services.Logger.LogInformation("SIP2 login {Login} from {Remote}", found.Login, remoteAddress);
        return "941";
    }

    string Status() =>
        new Sip2Response("98")
            .Fixed("Y")          // on-line
            .Fixed("N")          // checkin ok
            .Fixed("N")          // checkout ok
            .Fixed("N")          // ACS renewal policy
            .Fixed("N")          // status update ok
            .Fixed("N")          // off-line ok
            .Fixed("100")        // timeout period: 10 s, in tenths
            .Fixed("003")        // retries allowed
            .Fixed(Now())
            .Fixed("2.00")
            .Field("AO", login?.LibraryId ?? "")
            .Field("AM", login is null ? null : libraryName)
            .Field("BX", Supported)
            .Field("AF", login is null ? "Log in (93) to look patrons up and take payments." : null)
            .ToString();

    string EndSession(Sip2Message message) =>
        new Sip2Response("36").Fixed(login is null ? "N" : "Y").Fixed(Now())
            .Field("AO", Institution(message)).Field("AA", message["AA"] ?? "")
            .Field("AF", login is null ? NotLoggedIn : null)
            .ToString();

    /// <summary>The institution to answer with: the request's, else the login's library.</summary>
    string Institution(Sip2Message message) => message["AO"] is { Length: > 0 } ao ? ao : login?.LibraryId ?? "";

    const string NotLoggedIn = "This kiosk is not logged in (93).";

    const string LoginNoLongerValid = "This kiosk's login is no longer valid: log in again.";

    /// <summary>A Fee Paid whose outcome is not known (<see cref="Ledger.Database.CommitOutcomeUnknownException"/>).</summary>
    const string OutcomeUnknown = "The payment may have been recorded, but this could not be confirmed: do not pay again; ask staff to check the account.";

    /// <summary>
    /// The login as it stands now, for a connection signed in earlier (kiosks keep theirs open for days): a login disabled since
    /// is signed out, and a changed setting (PIN rule, library, register, payment types) takes effect at the next message.
    /// </summary>
    async Task<SipLogin?> RefreshLoginAsync(CancellationToken cancellationToken)
    {
        if (login is null)
        {
            return null;
        }
        login = await services.Logins.ReloadAsync(login.SipLoginId, cancellationToken);
        return login;
    }

    /// <summary>The spec's date: YYYYMMDD, four blanks (local time), HHMMSS, in the login's library's time zone.</summary>
    string Now() => TimeZoneInfo.ConvertTime(services.Time.GetUtcNow(), zone).ToString("yyyyMMdd'    'HHmmss", CultureInfo.InvariantCulture);

    /// <summary>Whether a request's transaction date is the spec's 18 characters (digits where digits belong).</summary>
    static bool IsSipDate(string value) =>
        value.Length == 18 && value[..8].All(char.IsAsciiDigit) && value[12..].All(char.IsAsciiDigit);

    AuditActor Actor(SipLogin who) => new(
        string.Create(CultureInfo.InvariantCulture, $"sip:{who.Login} (client:{who.ApiClientId})"), null, who.ApiClientId, remoteAddress,
        RequestId);

    string RequestId => string.Create(CultureInfo.InvariantCulture, $"sip2-{connectionId}-{messages}");

    async Task AuditAsync(string action, string entity, string? entityId, object? details, CancellationToken cancellationToken)
    {
        await using var connection = await services.Db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AuditLog.WriteAsync(connection, transaction, login is null ? Anonymous : Actor(login), services.Time.GetUtcNow(), action, entity, entityId,
            details, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    AuditActor Anonymous => new($"sip ({remoteAddress})", null, null, remoteAddress, RequestId);

    Task AuditFailedLoginAsync(string name, string reason, CancellationToken cancellationToken) =>
        AuditAsync("sip.login_failed", "sip_login", name.Length is > 0 and <= 64 ? name : null, new { reason, connection = connectionId },
            cancellationToken);
}
