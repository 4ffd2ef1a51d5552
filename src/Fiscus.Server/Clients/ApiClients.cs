using Fiscus.Ledger.Audit;
using System.Globalization;
using System.Security.Cryptography;
using Dapper;
using Fiscus.Ledger;
using Fiscus.Ledger.Access;
using Fiscus.Ledger.Database;
using Fiscus.Server.Audit;
using Fiscus.Server.Auth;
using Fiscus.Server.Sip2;
using Npgsql;

namespace Fiscus.Server.Clients;

/// <summary>
/// API client administration, shared by the REST API and the command line. A client holds explicit scopes
/// (never the staff-only ones) and may be bound to one register or one library.
/// </summary>
public sealed class ApiClients(NpgsqlDataSource dataSource, TimeProvider time, CallerCache cache)
{
    public sealed record ClientSpec(string? Name, IReadOnlyList<string>? Scopes, int? CashRegisterId, string? LibraryId);

    public Task<(IReadOnlyList<ApiClient> Clients, long Total)> ListAsync(long offset, int limit, CancellationToken cancellationToken) =>
        Http.PagedQuery.RunAsync<ApiClient>(dataSource, ApiClient.Columns, "FROM api_clients", "api_client_id", null, offset, limit,
            cancellationToken);

    /// <param name="signingIn">Leave out SIP logins' service clients, which never sign in over HTTP.</param>
    public async Task<ApiClient?> FindAsync(string clientId, CancellationToken cancellationToken, bool signingIn = false)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition(
            $"SELECT {ApiClient.Columns} FROM api_clients WHERE client_id = @clientId{(signingIn ? $" AND {SipLogins.NotAServiceClient}" : "")}",
            new { clientId },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Checks client credentials in constant time; null for unknown, wrong or disabled, and for a SIP login's service client
    /// whatever secret is presented (it writes a kiosk's money, and only a SIP2 connection signed in as its login may).
    /// </summary>
    public async Task<ApiClient?> VerifyAsync(string clientId, string secret, CancellationToken cancellationToken)
    {
        var client = clientId.Length is > 0 and <= 64 ? await FindAsync(clientId, cancellationToken, signingIn: true) : null;
        var presented = Secrets.Hash(secret);
        var stored = client?.SecretHash ?? new byte[presented.Length];
        var matches = CryptographicOperations.FixedTimeEquals(presented, stored);
        return matches && client is { DisabledAt: null } ? client : null;
    }

    public async Task<Outcome<(ApiClient Client, string Secret)>> CreateAsync(
        ClientSpec spec, AuditActor actor, CancellationToken cancellationToken)
    {
        if (Validate(spec) is { } invalid)
        {
            return invalid;
        }
        var secret = Secrets.NewClientSecret();
        return await Transactions.RunAsync<Outcome<(ApiClient, string)>>(dataSource, async (connection, transaction) =>
        {
            if (await CheckBindingAsync(connection, transaction, spec, cancellationToken) is { } bindingFailure)
            {
                return bindingFailure;
            }
            if (await NameTakenAsync(connection, transaction, spec.Name!, null, cancellationToken))
            {
                return NameTaken(spec.Name!);
            }
            var now = time.GetUtcNow();
            var client = await connection.QuerySingleAsync<ApiClient>(new CommandDefinition($"""
                INSERT INTO api_clients (client_uuid, client_id, secret_hash, name, scopes, cash_register_id, library_id,
                                         created_at, updated_at, secret_rotated_at)
                VALUES (@uuid, @clientId, @hash, @Name, @scopes, @CashRegisterId, @LibraryId, @now, @now, @now)
                RETURNING {ApiClient.Columns}
                """,
                new
                {
                    uuid = Guid.NewGuid(), clientId = Secrets.NewClientId(), hash = Secrets.Hash(secret), spec.Name,
                    scopes = Normalise(spec.Scopes!), spec.CashRegisterId, spec.LibraryId, now,
                },
                transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction, actor, now, "client.create", "api_client", client.ClientId,
                new { client.Name, client.Scopes, client.CashRegisterId, client.LibraryId }, cancellationToken);
            return (client, secret);
        }, cancellationToken);
    }

    public async Task<Outcome<ApiClient>> UpdateAsync(string clientId, ClientSpec spec, AuditActor actor, CancellationToken cancellationToken)
    {
        if (Validate(spec) is { } invalid)
        {
            return invalid;
        }
        var outcome = await Transactions.RunAsync<Outcome<ApiClient>>(dataSource, async (connection, transaction) =>
        {
            if (await SipLogins.RefuseServiceClientAsync(connection, transaction, clientId, cancellationToken) is { } serviceClient)
            {
                return serviceClient;
            }
            if (await CheckBindingAsync(connection, transaction, spec, cancellationToken) is { } bindingFailure)
            {
                return bindingFailure;
            }
            if (await NameTakenAsync(connection, transaction, spec.Name!, clientId, cancellationToken))
            {
                return NameTaken(spec.Name!);
            }
            var now = time.GetUtcNow();
            var client = await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition($"""
                UPDATE api_clients
                SET name = @Name, scopes = @scopes, cash_register_id = @CashRegisterId, library_id = @LibraryId, updated_at = @now
                WHERE client_id = @clientId
                RETURNING {ApiClient.Columns}
                """, new { spec.Name, scopes = Normalise(spec.Scopes!), spec.CashRegisterId, spec.LibraryId, now, clientId },
                transaction, cancellationToken: cancellationToken));
            if (client is null)
            {
                return ClientNotFound(clientId);
            }
            await AuditLog.WriteAsync(connection, transaction, actor, now, "client.update", "api_client", client.ClientId,
                new { client.Name, client.Scopes, client.CashRegisterId, client.LibraryId }, cancellationToken);
            return client;
        }, cancellationToken);
        cache.Clear();
        return outcome;
    }

    /// <summary>Disables (revoking every token) or re-enables a client.</summary>
    public async Task<Outcome<ApiClient>> SetDisabledAsync(string clientId, bool disabled, AuditActor actor, CancellationToken cancellationToken)
    {
        var outcome = await SetDisabledCoreAsync(clientId, disabled, actor, cancellationToken);
        cache.Clear();
        return outcome;
    }

    Task<Outcome<ApiClient>> SetDisabledCoreAsync(string clientId, bool disabled, AuditActor actor, CancellationToken cancellationToken) =>
        Transactions.RunAsync<Outcome<ApiClient>>(dataSource, async (connection, transaction) =>
        {
            if (await SipLogins.RefuseServiceClientAsync(connection, transaction, clientId, cancellationToken) is { } serviceClient)
            {
                return serviceClient;
            }
            var now = time.GetUtcNow();
            var client = await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition($"""
                UPDATE api_clients
                SET disabled_at = CASE WHEN @disabled THEN COALESCE(disabled_at, @now) END, updated_at = @now
                WHERE client_id = @clientId
                RETURNING {ApiClient.Columns}
                """, new { disabled, now, clientId }, transaction, cancellationToken: cancellationToken));
            if (client is null)
            {
                return ClientNotFound(clientId);
            }
            if (disabled)
            {
                await Tokens.RevokeAllAsync(connection, transaction, null, client.ApiClientId, now, cancellationToken);
            }
            await AuditLog.WriteAsync(connection, transaction, actor, now, disabled ? "client.disable" : "client.enable",
                "api_client", client.ClientId, null, cancellationToken);
            return client;
        }, cancellationToken);

    /// <summary>Issues a new secret (shown once) and revokes every token issued under the old one.</summary>
    public async Task<Outcome<(ApiClient Client, string Secret)>> RotateSecretAsync(
        string clientId, AuditActor actor, CancellationToken cancellationToken)
    {
        var secret = Secrets.NewClientSecret();
        var outcome = await Transactions.RunAsync<Outcome<(ApiClient, string)>>(dataSource, async (connection, transaction) =>
        {
            if (await SipLogins.RefuseServiceClientAsync(connection, transaction, clientId, cancellationToken) is { } serviceClient)
            {
                return serviceClient;
            }
            var now = time.GetUtcNow();
            var client = await connection.QuerySingleOrDefaultAsync<ApiClient>(new CommandDefinition($"""
                UPDATE api_clients SET secret_hash = @hash, secret_rotated_at = @now, updated_at = @now
                WHERE client_id = @clientId
                RETURNING {ApiClient.Columns}
                """, new { hash = Secrets.Hash(secret), now, clientId }, transaction, cancellationToken: cancellationToken));
            if (client is null)
            {
                return ClientNotFound(clientId);
            }
            await Tokens.RevokeAllAsync(connection, transaction, null, client.ApiClientId, now, cancellationToken);
            await AuditLog.WriteAsync(connection, transaction, actor, now, "client.rotate_secret", "api_client",
                client.ClientId, null, cancellationToken);
            return (client, secret);
        }, cancellationToken);
        cache.Clear();
        return outcome;
    }

    static Failure? Validate(ClientSpec spec)
    {
        var validation = new Validation().Text("name", spec.Name, 100);
        if (spec.Scopes is null || spec.Scopes.Count == 0)
        {
            validation.Add("scopes", "scopes must list at least one scope");
        }
        else
        {
            foreach (var scope in spec.Scopes)
            {
                if (Scopes.StaffOnly.Contains(scope))
                {
                    validation.Add("scopes", $"'{scope}' can only be held by staff users, not by an API client");
                }
                else if (!Scopes.All.Contains(scope))
                {
                    validation.Add("scopes", $"'{scope}' is not a scope; known scopes: {string.Join(", ", Scopes.All.Except(Scopes.StaffOnly).Order(StringComparer.Ordinal))}");
                }
            }
        }
        if (spec.CashRegisterId is not null || spec.LibraryId is not null)
        {
            foreach (var scope in spec.Scopes?.Where(Scopes.InstallationWide.Contains) ?? [])
            {
                validation.Add("scopes", scope switch
                {
                    Scopes.AuditRead => $"'{scope}' reads the audit log of every library, so a client bound to a register or a library cannot hold it",
                    Scopes.MetricsRead => $"'{scope}' reads every library's metrics, so a client bound to a register or a library cannot hold it",
                    _ => $"'{scope}' changes what every library shares, so a client bound to a register or a library cannot hold it",
                });
            }
        }
        return validation.IsValid ? null : validation.ToFailure();
    }

    /// <summary>The register must exist and be in use; a library given with it must be the register's own.</summary>
    internal static async Task<Failure?> CheckBindingAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ClientSpec spec, CancellationToken cancellationToken)
    {
        if (spec.CashRegisterId is { } registerId)
        {
            var register = await connection.QuerySingleOrDefaultAsync<(string LibraryId, bool Archived)?>(new CommandDefinition(
                "SELECT library_id, archived FROM cash_registers WHERE cash_register_id = @registerId",
                new { registerId }, transaction, cancellationToken: cancellationToken));
            if (register is not { } found)
            {
                return Failure.Invalid("unknown_register", "cash_register_id", $"cash_register_id {registerId} does not name a register.");
            }
            if (found.Archived)
            {
                return Failure.Invalid("register_archived", "cash_register_id", $"Register {registerId} is archived.");
            }
            if (spec.LibraryId is not null && !string.Equals(spec.LibraryId, found.LibraryId, StringComparison.Ordinal))
            {
                return Failure.Invalid("library_id",
                    $"Register {registerId} belongs to library {found.LibraryId}, not {spec.LibraryId}.");
            }
        }
        if (spec.LibraryId is { } libraryId && !await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM libraries WHERE library_id = @libraryId)", new { libraryId }, transaction,
            cancellationToken: cancellationToken)))
        {
            return Failure.Invalid("unknown_library", "library_id", $"library_id '{libraryId}' does not name a library.");
        }
        return null;
    }

    static Task<bool> NameTakenAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string name, string? exceptClientId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM api_clients WHERE lower(name) = lower(@name) AND client_id IS DISTINCT FROM @exceptClientId)",
            new { name, exceptClientId }, transaction, cancellationToken: cancellationToken));

    static string[] Normalise(IReadOnlyList<string> scopes) => scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    static Failure NameTaken(string name) => Failure.Conflict("client_name_taken", $"Another API client is already called '{name}'.");

    static Failure ClientNotFound(string clientId) =>
        Failure.NotFound("client_not_found", string.Create(CultureInfo.InvariantCulture, $"There is no API client '{clientId}'."));
}
