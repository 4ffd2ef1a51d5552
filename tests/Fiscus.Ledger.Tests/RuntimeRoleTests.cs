using Dapper;
using Fiscus.Ledger.Database;
using Fiscus.Testing;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// The role the server works as cannot take the ledger's guards away, nor go around them: each row is something
/// someone holding FISCUS_DATABASE's credentials might try, and PostgreSQL must refuse it for want of privilege
/// (42501), before any trigger is asked. What the server legitimately does still works.
/// </summary>
public sealed class RuntimeRoleTests(RuntimeRoleDatabase database) : IClassFixture<RuntimeRoleDatabase>
{
    const string InsufficientPrivilege = PostgresErrorCodes.InsufficientPrivilege;

    /// <summary>A 5.00 debit of @patron with its CREATE offset, as the ledger writes one; answers the line's id.</summary>
    const string InsertDebit = """
        WITH line AS (
            INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
            VALUES (@patron, 'MANUAL', 500, 500, 1, 'api', now()) RETURNING account_line_id)
        INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', 500, now() FROM line
        RETURNING debit_id
        """;

    public static TheoryData<string, string> Refused
    {
        get
        {
            var rows = new TheoryData<string, string>
            {
                { "switch off the audit log's triggers", "ALTER TABLE audit_log DISABLE TRIGGER ALL" },
                { "switch off the line update guard", "ALTER TABLE account_lines DISABLE TRIGGER account_lines_guard_update" },
                { "drop the line delete guard", "DROP TRIGGER account_lines_no_delete ON account_lines" },
                { "drop the audit log's guard", "DROP TRIGGER audit_log_no_update ON audit_log" },
                { "defuse the append-only function", "CREATE OR REPLACE FUNCTION fiscus_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END; $$" },
                { "defuse the line guard's function", "CREATE OR REPLACE FUNCTION fiscus_account_lines_guard_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$" },
                { "add a trigger of one's own", "CREATE TRIGGER sneak BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change()" },
                { "bypass every trigger for the session", "SET session_replication_role = replica" },
                { "change a debit's amount", "UPDATE account_lines SET amount_minor = 1 WHERE account_line_id = @debit" },
                { "move a line to another patron", "UPDATE account_lines SET patron_id = NULL WHERE account_line_id = @debit" },
                { "back-date a line", "UPDATE account_lines SET posted_at = posted_at - interval '1 day' WHERE account_line_id = @debit" },
                { "edit an offset", "UPDATE account_offsets SET amount_minor = 0" },
                { "edit the audit log", "UPDATE audit_log SET actor = 'nobody'" },
                { "edit a register movement", "UPDATE register_movements SET amount_minor = 0" },
                { "forge a register movement with no line behind it",
                  "INSERT INTO register_movements SELECT register_session_id, cash_register_id, now(), 'out', 'CASH', NULL, NULL, NULL, 1, 12345, true FROM register_sessions LIMIT 1" },
                { "rewrite the migration history", "UPDATE schema_migrations SET checksum = 'edited'" },
                { "change the installation's currency", "UPDATE installation SET currency_code = 'EUR'" },
                { "write a second installation row", "INSERT INTO installation (singleton, currency_code, currency_exponent, created_at) VALUES (false, 'EUR', 2, now())" },
                { "take the table over", "ALTER TABLE account_lines OWNER TO CURRENT_USER" },
                { "add a column", "ALTER TABLE audit_log ADD COLUMN forged boolean" },
                { "drop the audit log", "DROP TABLE audit_log" },
                { "become a superuser", "ALTER ROLE CURRENT_USER SUPERUSER" },
            };
            foreach (var table in new[] { "account_lines", "account_offsets", "audit_log", "register_movements", "sales", "cashup_reconciliations", "shift_cash_transactions" })
            {
                rows.Add($"delete from {table}", $"DELETE FROM {table}");
            }
            foreach (var table in RuntimePrivileges.Tables.Where(t => t.IsAppendOnly))
            {
                rows.Add($"truncate {table.Table}", $"TRUNCATE {table.Table} CASCADE");
            }
            return rows;
        }
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_runtime_role_cannot_alter_the_ledger(string what, string sql)
    {
        var ids = await ArrangeAsync();
        await using var connection = await database.Runtime.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var error = await Record.ExceptionAsync(() => connection.ExecuteAsync(sql, new { ids.debit }, transaction));

        var postgres = Assert.IsType<PostgresException>(error);
        Assert.True(postgres.SqlState == InsufficientPrivilege,
            $"{what}: expected PostgreSQL to refuse the role (42501), got {postgres.SqlState} {postgres.MessageText}");
    }

    [Fact]
    public async Task The_runtime_role_cannot_grant_itself_or_anyone_more()
    {
        await using var connection = await database.Runtime.OpenConnectionAsync();
        var notices = new List<PostgresNotice>();
        connection.Notice += (_, e) => notices.Add(e.Notice);

        // A role may hold privileges without the right to pass them on: PostgreSQL grants nothing and warns.
        await connection.ExecuteAsync("GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO PUBLIC");
        await connection.ExecuteAsync($"GRANT ALL ON account_lines TO {TestDatabases.RuntimeRole}");

        Assert.Equal(2, notices.Count(n => n.SqlState == "01007"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("DELETE FROM audit_log"));
        Assert.Equal(InsufficientPrivilege, error.SqlState);
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT has_table_privilege('account_lines', 'TRUNCATE')"));
    }

    [Fact]
    public async Task The_runtime_role_can_do_what_the_server_does()
    {
        await using var connection = await database.Runtime.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        // A patron the way the API makes one: an assigned id from the sequence, or an imported id the sequence skips past.
        var patron = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO patrons (patron_id, cardnumber, surname, library_id, created_at, updated_at)
            VALUES (nextval(pg_get_serial_sequence('patrons', 'patron_id')), left(md5(random()::text), 20), 'Runtime', 'MAIN', now(), now())
            RETURNING patron_id
            """, transaction: transaction);
        await connection.ExecuteAsync(
            "SELECT setval(pg_get_serial_sequence('patrons', 'patron_id'), GREATEST(@patron + 10, (SELECT last_value FROM patrons_patron_id_seq)))",
            new { patron }, transaction);
        await connection.ExecuteAsync("SELECT patron_id FROM patrons WHERE patron_id = @patron FOR UPDATE", new { patron }, transaction);

        // A debit, a cash payment journaled to the open session of register 1 (its triggers append register movements
        // and look for an open shift under a share lock), and the payment applied to the debit.
        var debit = await connection.ExecuteScalarAsync<long>(InsertDebit, new { patron }, transaction);
        var credit = await connection.ExecuteScalarAsync<long>("""
            WITH line AS (
                INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                           register_session_id, user_id, interface, posted_at)
                SELECT @patron, 'PAYMENT', -500, -500, 'CASH', 1, register_session_id, 1, 'api', now()
                FROM register_sessions WHERE cash_register_id = 1 AND status = 'open' RETURNING account_line_id)
            INSERT INTO account_offsets (credit_id, type, amount_minor, created_at) SELECT account_line_id, 'CREATE', -500, now() FROM line
            RETURNING credit_id
            """, new { patron }, transaction);
        await connection.ExecuteAsync("""
            SELECT account_line_id FROM account_lines WHERE account_line_id IN (@debit, @credit) ORDER BY account_line_id FOR UPDATE;
            INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at) VALUES (@credit, @debit, 'APPLY', -500, now());
            UPDATE account_lines SET amount_outstanding_minor = 0 WHERE account_line_id IN (@debit, @credit);
            UPDATE account_lines SET status = 'PAID' WHERE account_line_id = @debit;
            INSERT INTO audit_log (occurred_at, actor, action) VALUES (now(), 'runtime test', 'payment.create');
            """, new { debit, credit }, transaction);
        // The ledger's commit-time checks run as this role too.
        await transaction.CommitAsync();

        Assert.Equal(2, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM register_movements m JOIN account_lines l USING (register_session_id) WHERE l.account_line_id = @credit AND m.kind IN ('in', 'income')",
            new { credit }));
        Assert.Equal("PAID", await connection.ExecuteScalarAsync<string>("SELECT status FROM account_lines WHERE account_line_id = @debit", new { debit }));
    }

    /// <summary>A committed debit (and so rows in every table the ledger writes), written by the owner.</summary>
    async Task<(long patron, long debit)> ArrangeAsync()
    {
        await using var connection = await database.Owner.OpenConnectionAsync();
        var patron = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
            VALUES (left(md5(random()::text), 20), 'Owner', 'MAIN', now(), now()) RETURNING patron_id
            """);
        var debit = await connection.ExecuteScalarAsync<long>(InsertDebit, new { patron });
        return (patron, debit);
    }
}
