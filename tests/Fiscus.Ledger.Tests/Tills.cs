using Dapper;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>Registers and their takings as the schema's owner writes them, for tests of what may then be done to them.</summary>
static class Tills
{
    /// <summary>A new register of MAIN with a float of 20.00 and its first session, open since <paramref name="opensAt"/> (SQL).</summary>
    public static Task<(int Register, long Session)> OpenAsync(NpgsqlConnection owner, string opensAt = "now()") =>
        owner.QuerySingleAsync<(int, long)>($"""
            WITH r AS (INSERT INTO cash_registers (name, library_id, starting_float_minor, created_at, updated_at)
                       VALUES (left(md5(random()::text), 20), 'MAIN', 2000, now(), now()) RETURNING cash_register_id)
            INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
            SELECT cash_register_id, 'open', 2000, {opensAt} FROM r RETURNING cash_register_id, register_session_id
            """);

    /// <summary>A counter sale of a print job paid in <paramref name="paymentType"/>, as the POS writes one, by the tester.</summary>
    public static Task SellAsync(NpgsqlConnection owner, int register, long session, long amountMinor, string paymentType = "CASH") =>
        owner.ExecuteAsync("""
            WITH debit AS (
                INSERT INTO account_lines (debit_type_code, amount_minor, amount_outstanding_minor, cash_register_id, register_session_id,
                                           library_id, user_id, interface, status, description, quantity, posted_at)
                VALUES ('PRINT', @amountMinor, 0, @register, @session, 'MAIN', @tester, 'pos', 'PAID', 'prints', 1, now())
                RETURNING account_line_id),
            credit AS (
                INSERT INTO account_lines (credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
                                           register_session_id, library_id, user_id, interface, description, posted_at)
                VALUES ('PURCHASE', -@amountMinor, 0, @paymentType, @register, @session, 'MAIN', @tester, 'pos', 'prints', now())
                RETURNING account_line_id)
            INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
            SELECT NULL, debit.account_line_id, 'CREATE', @amountMinor, now() FROM debit
            UNION ALL SELECT credit.account_line_id, NULL, 'CREATE', -@amountMinor, now() FROM credit
            UNION ALL SELECT credit.account_line_id, debit.account_line_id, 'APPLY', -@amountMinor, now() FROM debit, credit
            """, new { register, session, amountMinor, paymentType, tester = LedgerDatabase.TesterUserId });
}
