using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Tests.Operations;

/// <summary>
/// A test class's own migrated database for running ledger commands as the server runs them: every command is its own
/// transaction on the runtime role's connections, while the schema's owner seeds what the commands name. Besides the
/// installation's seed (library MAIN, register 1, Koha's types, CASH, CARD and SIP00) it holds, once, what rows refer to
/// and no row changes: a second library with a register, an archived register, archived debit, credit and payment types,
/// a payment type that allows no refunds, and the API client that client actors are.
/// </summary>
public sealed class OperationsDatabase : IAsyncLifetime
{
    public const string Main = "MAIN";
    public const string Elsewhere = "ELSEWHERE";

    /// <summary>Sellable, so a sale finds it archived rather than unsellable.</summary>
    public const string ArchivedDebitType = "OLD_FEE";
    public const string ArchivedCreditType = "OLD_CREDIT";
    public const string ArchivedPaymentType = "OLD_TENDER";

    /// <summary>A gift voucher: money in, never paid back out.</summary>
    public const string NoRefundPaymentType = "VOUCHER";

    readonly RuntimeRoleDatabase database = new();

    /// <summary>The schema's owner, who seeds.</summary>
    public NpgsqlDataSource Owner => database.Owner;

    /// <summary>The role the server works as, which runs every command.</summary>
    public NpgsqlDataSource Runtime => database.Runtime;

    /// <summary>The register of <see cref="Elsewhere"/>; not its default.</summary>
    public int ElsewhereRegister { get; private set; }

    public int ArchivedRegister { get; private set; }

    public long ApiClientId { get; private set; }

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        await using var owner = await Owner.OpenConnectionAsync();
        (ElsewhereRegister, ArchivedRegister, ApiClientId) = await owner.QuerySingleAsync<(int, int, long)>($"""
            INSERT INTO libraries (library_id, name, time_zone, created_at, updated_at) VALUES ('{Elsewhere}', 'Elsewhere', 'UTC', now(), now());
            INSERT INTO debit_types (code, description, can_be_sold, archived, created_at, updated_at)
            VALUES ('{ArchivedDebitType}', 'Old fee', true, true, now(), now());
            INSERT INTO credit_types (code, description, archived, created_at, updated_at) VALUES ('{ArchivedCreditType}', 'Old credit', true, now(), now());
            INSERT INTO payment_types (code, payment_type_uuid, description, archived, created_at, updated_at)
            VALUES ('{ArchivedPaymentType}', gen_random_uuid(), 'Old tender', true, now(), now()),
                   ('{NoRefundPaymentType}', gen_random_uuid(), 'Gift voucher', false, now(), now());
            UPDATE payment_types SET allowed_refund = false WHERE code = '{NoRefundPaymentType}';
            WITH elsewhere AS (
                     INSERT INTO cash_registers (name, library_id, starting_float_minor, created_at, updated_at)
                     VALUES ('elsewhere', '{Elsewhere}', 0, now(), now()) RETURNING cash_register_id),
                 session AS (
                     INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
                     SELECT cash_register_id, 'open', 0, now() FROM elsewhere),
                 archived AS (
                     INSERT INTO cash_registers (name, library_id, archived, created_at, updated_at)
                     VALUES ('archived', '{Main}', true, now(), now()) RETURNING cash_register_id),
                 client AS (
                     INSERT INTO api_clients (client_uuid, client_id, secret_hash, name, scopes, created_at, updated_at, secret_rotated_at)
                     VALUES (gen_random_uuid(), 'ledger-operations-client', sha256('secret'), 'ledger operations', ARRAY[]::text[], now(), now(), now())
                     RETURNING api_client_id)
            SELECT elsewhere.cash_register_id, archived.cash_register_id, client.api_client_id FROM elsewhere, archived, client
            """);
    }

    public Task DisposeAsync() => database.DisposeAsync();
}
