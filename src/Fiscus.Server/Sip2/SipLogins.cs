using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Audit;
using Fiscus.Ledger.Database;
using Fiscus.Server.Auth;
using Fiscus.Server.Clients;
using Npgsql;

namespace Fiscus.Server.Sip2;

/// <summary>
/// SIP login administration, shared by the REST API and the command line, and the look-ups the SIP2 server signs kiosks in
/// with. A login owns a service API client, made in the same transaction, which holds the login's library, register and
/// disabled flag (one fact in one place) and is what the ledger records as the writer of the kiosk's money. Its secret is
/// random and never shown, and <see cref="ApiClients"/> refuses to change it or sign it in.
/// </summary>
/// <remarks>
/// A new login's payment type map is stored as rows (<see cref="SipLogin.DefaultPaymentTypes"/> when none is given), so
/// what a kiosk's payments become is visible in the API and changes only when someone changes it; a map can be replaced,
/// never emptied. A login with no rows at all (only a hand-edited database has one) reads as the defaults.
/// </remarks>
public sealed partial class SipLogins(NpgsqlDataSource dataSource, Passwords passwords, TimeProvider time)
{
    /// <summary>What <c>POST /api/v1/sip_logins</c> and <c>fiscus sip-login add</c> ask for; null settings take their defaults.</summary>
    public sealed record NewSipLogin(
        string? Login, string? Password, string? LibraryId, int? CashRegisterId, string? PatronPassword = null, string? Overpayment = null,
        IReadOnlyDictionary<string, string>? PaymentTypes = null, string? FineItemFormat = null);

    /// <summary>A change to a login's settings: what is null stays as it is; a payment type map replaces the whole map.</summary>
    public sealed record SipLoginChanges(
        string? LibraryId = null, int? CashRegisterId = null, string? PatronPassword = null, string? Overpayment = null,
        IReadOnlyDictionary<string, string>? PaymentTypes = null, string? FineItemFormat = null);

    /// <summary>Placeholders a fine item format may use; the SIP2 server fills them in.</summary>
    public static readonly string[] FineItemPlaceholders = ["{id}", "{amount}", "{type}", "{description}", "{date}", "{currency}"];

    public const int MinPasswordLength = PasswordPolicy.MinLength;
    public const int MinFineItemFormatLength = 4;
    public const int MaxFineItemFormatLength = 200;

    public async Task<(IReadOnlyList<SipLogin> Logins, long Total)> ListAsync(long offset, int limit, CancellationToken cancellationToken)
    {
        var (rows, total) = await Http.PagedQuery.RunAsync<SipLogin>(dataSource, SipLogin.Columns, SipLogin.From, "s.sip_login_id", null,
            offset, limit, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var maps = await PaymentTypesAsync(connection, null, rows.Select(r => r.SipLoginId).ToArray(), cancellationToken);
        return (rows.Select(r => WithPaymentTypes(r, maps)).ToList(), total);
    }

    /// <summary>The login of exactly this name (logins are unique regardless of case, but a kiosk must send its own exactly).</summary>
    public async Task<SipLogin?> FindAsync(string login, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null, "s.login = @login", new { login }, cancellationToken);
    }

    /// <summary>
    /// Signs a kiosk in (93's CN and CO): the login matched exactly, the password checked against its hash. An unknown login
    /// costs the same hash as a known one, and a disabled login is checked as well before it is refused, so the time taken
    /// tells nothing. A hash made with older parameters is upgraded.
    /// </summary>
    /// <returns>The login with its payment types, or null for an unknown login, a wrong password or a disabled login.</returns>
    public async Task<SipLogin?> VerifyAsync(string login, string password, CancellationToken cancellationToken)
    {
        var found = IsLogin(login) ? await FindAsync(login, cancellationToken) : null;
        var (valid, rehash) = passwords.Verify(found?.PasswordHash, password);
        if (!valid || found is not { DisabledAt: null })
        {
            return null;
        }
        if (rehash)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sip_logins SET password_hash = @hash WHERE sip_login_id = @SipLoginId AND password_hash = @PasswordHash",
                new { hash = passwords.Hash(password), found.SipLoginId, found.PasswordHash }, cancellationToken: cancellationToken));
        }
        return found;
    }

    /// <summary>
    /// The login as it stands now, for a connection signed in earlier: the SIP2 server asks before each command that moves
    /// money, so a login disabled or moved to another register takes effect within one message.
    /// </summary>
    /// <returns>The login, or null when it is gone or disabled.</returns>
    public async Task<SipLogin?> ReloadAsync(long sipLoginId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null, "s.sip_login_id = @sipLoginId AND c.disabled_at IS NULL", new { sipLoginId }, cancellationToken);
    }

    /// <summary>
    /// Creates a login and its service client. With no password given, one is generated and returned once (a kiosk's
    /// configuration file holds it; nobody has to invent it).
    /// </summary>
    /// <returns>The login, and the generated password when none was given (null otherwise).</returns>
    public async Task<Outcome<(SipLogin Login, string? GeneratedPassword)>> CreateAsync(
        NewSipLogin request, AuditActor actor, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        if (request.Login is null)
        {
            validation.Add("login", "login is required");
        }
        else if (!IsLogin(request.Login))
        {
            validation.Add("login", "login must be 1 to 64 letters, digits, '.', '_', '@' or '-'");
        }
        var generated = request.Password is null ? Secrets.NewPassword() : null;
        if (generated is null && PasswordProblem(request.Password!, request.Login) is { } passwordProblem)
        {
            validation.Add("password", passwordProblem);
        }
        if (request.LibraryId is null)
        {
            validation.Add("library_id", "library_id is required: the library whose patrons the kiosk serves");
        }
        if (request.CashRegisterId is null)
        {
            validation.Add("cash_register_id", "cash_register_id is required: the register the kiosk's money is taken into");
        }
        var paymentTypes = request.PaymentTypes ?? SipLogin.DefaultPaymentTypes;
        var settings = new Settings(request.LibraryId, request.CashRegisterId.GetValueOrDefault(),
            request.PatronPassword ?? PatronPasswordPolicy.IfSet, request.Overpayment ?? OverpaymentPolicy.Refuse, paymentTypes,
            request.FineItemFormat ?? SipLogin.DefaultFineItemFormat);
        ValidateSettings(validation, settings);
        if (!validation.IsValid)
        {
            return validation.ToFailure();
        }
        var hash = passwords.Hash(generated ?? request.Password!);
        return await UniqueAsync(request.Login!, () => Transactions.RunAsync<Outcome<(SipLogin, string?)>>(dataSource, async (connection, transaction) =>
        {
            if (await CheckAsync(connection, transaction, settings, cancellationToken) is { } failure)
            {
                return request.PaymentTypes is null && failure.Code == "unknown_payment_type"
                    ? Failure.Invalid(failure.Code, "payment_types", $"{failure.Message} That is the default map; give payment_types to map to others.")
                    : failure;
            }
            if (await TakenAsync(connection, transaction, request.Login!, cancellationToken) is { } taken)
            {
                return taken;
            }
            var now = time.GetUtcNow();
            var sipLoginId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                WITH client AS (
                    INSERT INTO api_clients (client_uuid, client_id, secret_hash, name, scopes, cash_register_id, library_id,
                                             created_at, updated_at, secret_rotated_at)
                    VALUES (@uuid, @clientId, @secretHash, @name, @scopes, @CashRegisterId, @LibraryId, @now, @now, @now)
                    RETURNING api_client_id)
                INSERT INTO sip_logins (login, password_hash, api_client_id, patron_password, overpayment, fine_item_format,
                                        created_at, updated_at, password_changed_at)
                SELECT @login, @hash, api_client_id, @PatronPassword, @Overpayment, @FineItemFormat, @now, @now, @now FROM client
                RETURNING sip_login_id
                """,
                new
                {
                    uuid = Guid.NewGuid(), clientId = Secrets.NewClientId(), secretHash = Secrets.Hash(Secrets.NewClientSecret()),
                    name = ClientName(request.Login!), scopes = SipLogin.Scopes.Order(StringComparer.Ordinal).ToArray(),
                    settings.CashRegisterId, settings.LibraryId, now, login = request.Login, hash, settings.PatronPassword,
                    settings.Overpayment, settings.FineItemFormat,
                },
                transaction, cancellationToken: cancellationToken));
            await WritePaymentTypesAsync(connection, transaction, sipLoginId, paymentTypes, cancellationToken);
            var login = await LoadAsync(connection, transaction, "s.sip_login_id = @sipLoginId", new { sipLoginId }, cancellationToken);
            await AuditLog.WriteAsync(connection, transaction, actor, now, "sip_login.create", "sip_login", login!.Login,
                new { Settings = AuditView(login), login.ClientId, GeneratedPassword = generated is not null }, cancellationToken);
            return (login, generated);
        }, cancellationToken), cancellationToken);
    }

    /// <summary>Changes a login's settings; a new register or library moves its service client there too.</summary>
    public async Task<Outcome<SipLogin>> UpdateAsync(string login, SipLoginChanges changes, AuditActor actor, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        ValidateSettings(validation, new Settings(changes.LibraryId, changes.CashRegisterId.GetValueOrDefault(), changes.PatronPassword,
            changes.Overpayment, changes.PaymentTypes, changes.FineItemFormat));
        if (!validation.IsValid)
        {
            return validation.ToFailure();
        }
        return await Transactions.RunAsync<Outcome<SipLogin>>(dataSource, async (connection, transaction) =>
        {
            if (await LockAsync(connection, transaction, login, cancellationToken) is not { } before)
            {
                return NotFound(login);
            }
            var settings = new Settings(changes.LibraryId ?? before.LibraryId, changes.CashRegisterId ?? before.CashRegisterId,
                changes.PatronPassword ?? before.PatronPassword, changes.Overpayment ?? before.Overpayment,
                changes.PaymentTypes ?? before.PaymentTypes, changes.FineItemFormat ?? before.FineItemFormat);
            // Only what changes is checked against the database: a login whose register was archived since can still have
            // its other settings changed (and can be moved to a register in use).
            var moved = settings.CashRegisterId != before.CashRegisterId || settings.LibraryId != before.LibraryId;
            if (await CheckAsync(connection, transaction, settings with { PaymentTypes = changes.PaymentTypes }, cancellationToken, moved) is { } failure)
            {
                return failure;
            }
            var now = time.GetUtcNow();
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE sip_logins SET patron_password = @PatronPassword, overpayment = @Overpayment, fine_item_format = @FineItemFormat,
                                      updated_at = @now
                WHERE sip_login_id = @sipLoginId
                """, new { settings.PatronPassword, settings.Overpayment, settings.FineItemFormat, now, before.SipLoginId },
                transaction, cancellationToken: cancellationToken));
            if (moved)
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE api_clients SET cash_register_id = @CashRegisterId, library_id = @LibraryId, updated_at = @now
                    WHERE api_client_id = @ApiClientId
                    """, new { settings.CashRegisterId, settings.LibraryId, now, before.ApiClientId }, transaction,
                    cancellationToken: cancellationToken));
            }
            if (changes.PaymentTypes is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sip_login_payment_types WHERE sip_login_id = @SipLoginId",
                    before, transaction, cancellationToken: cancellationToken));
                await WritePaymentTypesAsync(connection, transaction, before.SipLoginId, changes.PaymentTypes, cancellationToken);
            }
            var after = await LoadAsync(connection, transaction, "s.sip_login_id = @SipLoginId", before, cancellationToken);
            await AuditLog.WriteAsync(connection, transaction, actor, now, "sip_login.update", "sip_login", after!.Login,
                new { From = AuditView(before), To = AuditView(after) }, cancellationToken);
            return after;
        }, cancellationToken);
    }

    /// <summary>Disables or re-enables a login: the flag is its service client's, so the ledger and the SIP2 server see one fact.</summary>
    public Task<Outcome<SipLogin>> SetDisabledAsync(string login, bool disabled, AuditActor actor, CancellationToken cancellationToken) =>
        Transactions.RunAsync<Outcome<SipLogin>>(dataSource, async (connection, transaction) =>
        {
            if (await LockAsync(connection, transaction, login, cancellationToken) is not { } before)
            {
                return NotFound(login);
            }
            var now = time.GetUtcNow();
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE api_clients SET disabled_at = CASE WHEN @disabled THEN COALESCE(disabled_at, @now) END, updated_at = @now
                WHERE api_client_id = @ApiClientId;
                UPDATE sip_logins SET updated_at = @now WHERE sip_login_id = @SipLoginId;
                """, new { disabled, now, before.ApiClientId, before.SipLoginId }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, actor, now, disabled ? "sip_login.disable" : "sip_login.enable", "sip_login",
                before.Login, null, cancellationToken);
            return (await LoadAsync(connection, transaction, "s.sip_login_id = @SipLoginId", before, cancellationToken))!;
        }, cancellationToken);

    /// <summary>Sets a new password, or generates one when none is given (to be shown once).</summary>
    public async Task<Outcome<(SipLogin Login, string Password)>> SetPasswordAsync(
        string login, string? password, AuditActor actor, CancellationToken cancellationToken)
    {
        var generated = password is null;
        password ??= Secrets.NewPassword();
        // The policy looks for the login in the password, so it is checked with the name as stored (any case matches).
        if (!generated && PasswordProblem(password, login) is { } problem)
        {
            return Failure.Invalid("password", problem);
        }
        var hash = passwords.Hash(password);
        return await Transactions.RunAsync<Outcome<(SipLogin, string)>>(dataSource, async (connection, transaction) =>
        {
            if (await LockAsync(connection, transaction, login, cancellationToken) is not { } before)
            {
                return NotFound(login);
            }
            var now = time.GetUtcNow();
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE sip_logins SET password_hash = @hash, password_changed_at = @now, updated_at = @now WHERE sip_login_id = @SipLoginId
                """, new { hash, now, before.SipLoginId }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, actor, now, "sip_login.password", "sip_login", before.Login,
                new { generated }, cancellationToken);
            return ((await LoadAsync(connection, transaction, "s.sip_login_id = @SipLoginId", before, cancellationToken))!, password);
        }, cancellationToken);
    }

    /// <summary>
    /// Refuses to change an API client that is a SIP login's service client: its binding and disabled flag are the login's,
    /// and its secret must stay unknown. Called by <see cref="ApiClients"/> inside its transaction.
    /// </summary>
    internal static async Task<Failure?> RefuseServiceClientAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string clientId, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT s.login FROM sip_logins s JOIN api_clients c USING (api_client_id) WHERE c.client_id = @clientId",
            new { clientId }, transaction, cancellationToken: cancellationToken)) is { } login
            ? Failure.Conflict("sip_login_client",
                $"API client '{clientId}' belongs to SIP login '{login}'; change the login instead, with /api/v1/sip_logins/{login} or `fiscus sip-login`.")
            : null;

    /// <summary>A condition on <c>api_clients</c> that leaves out every SIP login's service client (for signing in over HTTP).</summary>
    internal const string NotAServiceClient =
        "NOT EXISTS (SELECT 1 FROM sip_logins s WHERE s.api_client_id = api_clients.api_client_id)";

    /// <summary>
    /// Why <paramref name="text"/> cannot travel in a SIP2 field, or null: a field ends at <c>|</c> and a message at a
    /// carriage return, so neither (nor any control character) can be part of a value.
    /// </summary>
    public static string? SipFieldProblem(string field, string text) =>
        text.Contains('|', StringComparison.Ordinal) ? $"{field} must not contain '|' (it ends a SIP2 field)"
        : text.Any(char.IsControl) ? $"{field} must not contain control characters (a SIP2 message cannot carry them)"
        : !PasswordPolicy.IsWellFormed(text) ? $"{field} must be valid Unicode text"
        : null;

    /// <summary>The login pattern of the table's CHECK (\z, not $, which .NET also matches before a final newline).</summary>
    public static bool IsLogin(string? login) => login is not null && LoginPattern().IsMatch(login);

    [GeneratedRegex(@"^[A-Za-z0-9._@-]{1,64}\z")]
    private static partial Regex LoginPattern();

    [GeneratedRegex(@"^[0-9]{2}\z")]
    private static partial Regex SipPaymentTypePattern();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Placeholder();

    /// <summary>
    /// A SIP password is typed into a kiosk's configuration, not by a person at each sign-in, but it guards money all the
    /// same: the staff password rules (at least <see cref="MinPasswordLength"/> characters, not common, not the login), and
    /// what a SIP2 field can carry.
    /// </summary>
    static string? PasswordProblem(string password, string? login) =>
        SipFieldProblem("password", password) ?? PasswordPolicy.Problem(password, null, login);

    /// <summary>A login's settings, whole (at creation, or once changes are laid over the stored ones) or as changes (nulls).</summary>
    sealed record Settings(
        string? LibraryId, int CashRegisterId, string? PatronPassword, string? Overpayment, IReadOnlyDictionary<string, string>? PaymentTypes,
        string? FineItemFormat);

    /// <summary>What can be checked without the database.</summary>
    static void ValidateSettings(Validation validation, Settings settings)
    {
        if (settings.PatronPassword is { } patronPassword && !PatronPasswordPolicy.All.Contains(patronPassword, StringComparer.Ordinal))
        {
            validation.Add("patron_password", $"patron_password must be one of {string.Join(", ", PatronPasswordPolicy.All)}, not '{patronPassword}'");
        }
        if (settings.Overpayment is { } overpayment && !OverpaymentPolicy.All.Contains(overpayment, StringComparer.Ordinal))
        {
            validation.Add("overpayment", $"overpayment must be one of {string.Join(", ", OverpaymentPolicy.All)}, not '{overpayment}'");
        }
        if (settings.PaymentTypes is { } map)
        {
            if (map.Count == 0)
            {
                validation.Add("payment_types", "payment_types must map at least one SIP2 payment type (00 is cash) to a payment type");
            }
            foreach (var sipType in map.Keys.Where(k => !SipPaymentTypePattern().IsMatch(k)).Order(StringComparer.Ordinal))
            {
                validation.Add("payment_types", $"payment_types keys are SIP2 payment types, two digits (00 cash, 01 VISA, 02 credit card), not '{sipType}'");
            }
        }
        if (settings.FineItemFormat is { } format && FineItemFormatProblem(format) is { } formatProblem)
        {
            validation.Add("fine_item_format", formatProblem);
        }
    }

    static string? FineItemFormatProblem(string format)
    {
        if (format.Length is < MinFineItemFormatLength or > MaxFineItemFormatLength)
        {
            return $"fine_item_format must be {MinFineItemFormatLength} to {MaxFineItemFormatLength} characters";
        }
        if (SipFieldProblem("fine_item_format", format) is { } problem)
        {
            return problem;
        }
        var unknown = Placeholder().Matches(format).Select(m => m.Value).Where(p => !FineItemPlaceholders.Contains(p, StringComparer.Ordinal))
            .Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            return $"fine_item_format has {string.Join(", ", unknown)}, which {(unknown.Count == 1 ? "is not a placeholder" : "are not placeholders")}; " +
                $"placeholders: {string.Join(" ", FineItemPlaceholders)}";
        }
        return format.Contains("{id}", StringComparison.Ordinal)
            ? null
            : "fine_item_format must contain {id}: the account line id a kiosk sends back (CG) to pay that fine";
    }

    /// <summary>
    /// What needs the database: the register exists, is in use and belongs to the library (when it is being set), and every
    /// payment type mapped to is one in use.
    /// </summary>
    static async Task<Failure?> CheckAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Settings settings, CancellationToken cancellationToken, bool binding = true)
    {
        if (binding && await ApiClients.CheckBindingAsync(connection, transaction,
            new ApiClients.ClientSpec(null, null, settings.CashRegisterId, settings.LibraryId), cancellationToken) is { } bindingFailure)
        {
            return bindingFailure;
        }
        if (settings.PaymentTypes is not { } map)
        {
            return null;
        }
        var usable = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT code FROM payment_types WHERE NOT archived ORDER BY code", transaction: transaction, cancellationToken: cancellationToken)))
            .ToHashSet(StringComparer.Ordinal);
        var wrong = map.Where(m => !usable.Contains(m.Value)).OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => $"{m.Key} maps to '{m.Value}', which is not a payment type in use").ToList();
        return wrong.Count == 0
            ? null
            : Failure.Invalid("unknown_payment_type", "payment_types",
                $"payment_types: {string.Join("; ", wrong)}. Payment types in use: {string.Join(", ", usable.Order(StringComparer.Ordinal))}.");
    }

    static Task WritePaymentTypesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long sipLoginId, IReadOnlyDictionary<string, string> map,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sip_login_payment_types (sip_login_id, sip_payment_type, payment_type)
            SELECT @sipLoginId, sip, code FROM unnest(@sipTypes, @codes) AS m (sip, code)
            """, new { sipLoginId, sipTypes = map.Keys.ToArray(), codes = map.Values.ToArray() }, transaction,
            cancellationToken: cancellationToken));

    /// <summary>The login matching <paramref name="where"/>, with its payment types, in one round trip.</summary>
    static async Task<SipLogin?> LoadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string where, object parameters, CancellationToken cancellationToken)
    {
        await using var reader = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT {SipLogin.Columns} {SipLogin.From} WHERE {where};
            SELECT t.sip_login_id, t.sip_payment_type, t.payment_type
            FROM sip_login_payment_types t JOIN sip_logins s USING (sip_login_id) JOIN api_clients c USING (api_client_id)
            WHERE {where};
            """, parameters, transaction, cancellationToken: cancellationToken));
        var login = await reader.ReadSingleOrDefaultAsync<SipLogin>();
        var maps = (await reader.ReadAsync<PaymentTypeRow>()).ToLookup(r => r.SipLoginId);
        return login is null ? null : WithPaymentTypes(login, maps);
    }

    static async Task<ILookup<long, PaymentTypeRow>> PaymentTypesAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, long[] sipLoginIds, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<PaymentTypeRow>(new CommandDefinition(
            "SELECT sip_login_id, sip_payment_type, payment_type FROM sip_login_payment_types WHERE sip_login_id = ANY(@sipLoginIds)",
            new { sipLoginIds }, transaction, cancellationToken: cancellationToken))).ToLookup(r => r.SipLoginId);

    static SipLogin WithPaymentTypes(SipLogin login, ILookup<long, PaymentTypeRow> maps) =>
        maps[login.SipLoginId].Any()
            ? login with
            {
                PaymentTypes = new SortedDictionary<string, string>(
                    maps[login.SipLoginId].ToDictionary(r => r.SipPaymentType, r => r.PaymentType, StringComparer.Ordinal), StringComparer.Ordinal),
            }
            : login;

    sealed record PaymentTypeRow(long SipLoginId, string SipPaymentType, string PaymentType);

    /// <summary>Locks the login's row, so concurrent changes to one login apply one after the other.</summary>
    static async Task<SipLogin?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string login, CancellationToken cancellationToken)
    {
        var sipLoginId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT sip_login_id FROM sip_logins WHERE login = @login FOR UPDATE", new { login }, transaction, cancellationToken: cancellationToken));
        return sipLoginId is null ? null : await LoadAsync(connection, transaction, "s.sip_login_id = @sipLoginId", new { sipLoginId }, cancellationToken);
    }

    /// <summary>
    /// Two creations of one login racing past <see cref="TakenAsync"/>: the unique indexes have the last word. The service
    /// client is inserted first, so the loser usually trips over its name; PostgreSQL raises a unique violation only once
    /// the winner has committed, so the winner can be read to say which it was.
    /// </summary>
    async Task<Outcome<T>> UniqueAsync<T>(string login, Func<Task<Outcome<T>>> create, CancellationToken cancellationToken)
    {
        try
        {
            return await create();
        }
        catch (PostgresException e) when (e is
            { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "sip_logins_login_key" or "api_clients_name_key" })
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await TakenAsync(connection, null, login, cancellationToken) ?? ClientNameTaken(login);
        }
    }

    /// <summary>
    /// A login of this name in any case, or else an API client with its service client's name. One statement, so both are
    /// read from one snapshot: a login created meanwhile is seen as a login, not as a client's name.
    /// </summary>
    static async Task<Failure?> TakenAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string login, CancellationToken cancellationToken)
    {
        var (existing, clientNamed) = await connection.QuerySingleAsync<(string?, bool)>(new CommandDefinition("""
            SELECT (SELECT login FROM sip_logins WHERE lower(login) = lower(@login)),
                   EXISTS (SELECT 1 FROM api_clients WHERE lower(name) = lower(@name))
            """, new { login, name = ClientName(login) }, transaction, cancellationToken: cancellationToken));
        return existing is not null ? LoginTaken(login, existing) : clientNamed ? ClientNameTaken(login) : null;
    }

    /// <summary>What the audit log keeps of a login's settings (never its password or hash).</summary>
    static object AuditView(SipLogin login) => new
    {
        login.LibraryId, login.CashRegisterId, login.PatronPassword, login.Overpayment, login.PaymentTypes, login.FineItemFormat,
    };

    static string ClientName(string login) => $"SIP login {login}";

    static Failure LoginTaken(string login, string existing) => Failure.Conflict("sip_login_taken",
        string.Equals(login, existing, StringComparison.Ordinal)
            ? $"There is already a SIP login '{login}'."
            : $"There is already a SIP login '{existing}', which differs from '{login}' only in case.");

    static Failure ClientNameTaken(string login) => Failure.Conflict("client_name_taken",
        $"An API client is already called '{ClientName(login)}', the name this login's service client takes; rename that client first.");

    static Failure NotFound(string login) =>
        Failure.NotFound("sip_login_not_found", string.Create(CultureInfo.InvariantCulture, $"There is no SIP login '{login}'."));
}
