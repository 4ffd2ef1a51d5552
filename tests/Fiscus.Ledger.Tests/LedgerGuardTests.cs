using Dapper;
using Fiscus.Ledger.Database;
using Npgsql;

namespace Fiscus.Ledger.Tests;

/// <summary>
/// The database itself keeps the ledger append-only and its signs right, whatever the C# code does.
/// Each row is one statement and the SQLSTATE the database must answer it with (null: accepted).
/// </summary>
public sealed class LedgerGuardTests(LedgerDatabase database) : IClassFixture<LedgerDatabase>
{
    const string Refused = LedgerErrorCodes.AppendOnlyViolation;
    const string Check = PostgresErrorCodes.CheckViolation;
    const string Inconsistent = LedgerErrorCodes.LedgerInconsistent;
    const string Malformed = LedgerErrorCodes.MoneyLineMalformed;
    const string CashWithoutRegister = LedgerErrorCodes.CashWithoutRegister;

    public static TheoryData<string, string, string?> Statements => new()
    {
        { "delete a debit line", "DELETE FROM account_lines WHERE account_line_id = @debit", Refused },
        { "delete every line", "DELETE FROM account_lines", Refused },
        { "change a debit's amount", "UPDATE account_lines SET amount_minor = 1 WHERE account_line_id = @debit", Refused },
        { "move a line to another patron", "UPDATE account_lines SET patron_id = NULL WHERE account_line_id = @debit", Refused },
        { "change a line's type", "UPDATE account_lines SET debit_type_code = 'LOST' WHERE account_line_id = @debit", Refused },
        { "back-date a line", "UPDATE account_lines SET posted_at = posted_at - interval '1 day' WHERE account_line_id = @debit", Refused },
        { "pay part of a debit", "UPDATE account_lines SET amount_outstanding_minor = 100 WHERE account_line_id = @debit", null },
        { "flip a debit's outstanding negative", "UPDATE account_lines SET amount_outstanding_minor = -1 WHERE account_line_id = @debit", Check },
        { "owe more than the debit", "UPDATE account_lines SET amount_outstanding_minor = 501 WHERE account_line_id = @debit", Check },
        { "flip a credit's outstanding positive", "UPDATE account_lines SET amount_outstanding_minor = 1 WHERE account_line_id = @credit", Check },
        { "a positive credit", Insert("NULL", "'WRITEOFF'", 500, 500), Check },
        { "a negative debit", Insert("'MANUAL'", "NULL", -500, -500), Check },
        { "a zero debit", Insert("'MANUAL'", "NULL", 0, 0), Check },
        { "a line that is both debit and credit", Insert("'MANUAL'", "'WRITEOFF'", 500, 500), Check },
        { "a line that is neither", Insert("NULL", "NULL", 500, 500), Check },
        { "a debit with outstanding above its amount", Insert("'MANUAL'", "NULL", 500, 600), Check },
        { "an absurd amount", Insert("'MANUAL'", "NULL", 9_000_000_000_000, 9_000_000_000_000), Check },
        { "a well-formed debit", Insert("'MANUAL'", "NULL", 500, 500), null },
        // Money lines have the shape of their kind (migration 0007): a payment says how it was paid, a charge takes
        // no payment type, an adjustment moves no money, money out says how it left, and cash goes through a drawer.
        { "a card payment", Insert("NULL", "'PAYMENT'", -500, -500, "'CARD'"), null },
        { "a cash payment at a register", Insert("NULL", "'PAYMENT'", -500, -500, "'CASH'", 1), null },
        { "a payment that names no payment type", Insert("NULL", "'PAYMENT'", -500, -500), Malformed },
        { "a sale's purchase that names no payment type", Insert("NULL", "'PURCHASE'", -500, -500, register: 1), Malformed },
        { "a charge that names a payment type", Insert("'MANUAL'", "NULL", 500, 500, "'CASH'", 1), Malformed },
        { "a write-off that names a payment type", Insert("NULL", "'WRITEOFF'", -500, -500, "'CARD'"), Malformed },
        { "a write-off journaled to a register", Insert("NULL", "'WRITEOFF'", -500, -500, register: 1), Malformed },
        { "a payout that names no payment type", Insert("'PAYOUT'", "NULL", 500, 500, register: 1), Malformed },
        { "a card payout", Insert("'PAYOUT'", "NULL", 500, 500, "'CARD'"), null },
        { "cash taken without a register", Insert("NULL", "'PAYMENT'", -500, -500, "'CASH'"), CashWithoutRegister },
        { "cash paid out without a register", Insert("'PAYOUT'", "NULL", 500, 500, "'CASH'"), CashWithoutRegister },
        { "declare a card payment cash afterwards", "UPDATE account_lines SET counts_as_cash = true WHERE account_line_id = @credit", Refused },
        { "an APPLY that adds to a debit", "INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at) VALUES (@credit, @debit, 'APPLY', 100, now())", Check },
        { "a VOID that takes from a debit", "INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at) VALUES (@credit, @debit, 'VOID', -100, now())", Check },
        { "an APPLY with one side", "INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) VALUES (@debit, 'APPLY', -100, now())", Check },
        { "an APPLY from a debit to a debit", "INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at) VALUES (@debit, @debit, 'APPLY', -100, now())", Inconsistent },
        { "a CREATE for the wrong amount", "INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) VALUES (@debit, 'CREATE', 1, now())", Inconsistent },
        { "edit an offset", "UPDATE account_offsets SET amount_minor = 0", Refused },
        { "delete an offset", "DELETE FROM account_offsets", Refused },
        { "edit the audit log", "UPDATE audit_log SET actor = 'nobody'", Refused },
        { "delete the audit log", "DELETE FROM audit_log", Refused },
    };

    static string Insert(string debitType, string creditType, long amount, long outstanding, string paymentType = "NULL", int? register = null) => $"""
        INSERT INTO account_lines (patron_id, debit_type_code, credit_type_code, amount_minor, amount_outstanding_minor, payment_type,
                                   cash_register_id, register_session_id, user_id, interface, posted_at)
        VALUES (@patron, {debitType}, {creditType}, {amount}, {outstanding}, {paymentType}, {(register is null ? "NULL" : $"{register}")},
                {(register is null ? "NULL" : $"(SELECT register_session_id FROM register_sessions WHERE cash_register_id = {register} AND status = 'open')")},
                1, 'api', now())
        """;

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task The_database_enforces_the_ledger_rules(string what, string sql, string? expectedSqlState)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = await ArrangeAsync(connection, transaction);

        var error = await Record.ExceptionAsync(() => connection.ExecuteAsync(sql, new { ids.patron, ids.debit, ids.credit }, transaction));

        if (expectedSqlState is null)
        {
            Assert.True(error is null, $"{what}: expected to be accepted, got {error?.Message}");
        }
        else
        {
            var postgres = Assert.IsType<PostgresException>(error);
            Assert.True(expectedSqlState == postgres.SqlState, $"{what}: expected SQLSTATE {expectedSqlState}, got {postgres.SqlState} {postgres.MessageText}");
        }
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task What_a_line_means_for_a_drawer_is_fixed_when_it_is_written()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var (patron, _, card) = await ArrangeAsync(connection, transaction);
        var cash = await connection.ExecuteScalarAsync<long>(Insert("NULL", "'PAYMENT'", -300, -300, "'CASH'", 1) + " RETURNING account_line_id",
            new { patron }, transaction);

        // A manager now declares cards cash and cash not: lines already written keep what they were.
        await connection.ExecuteAsync("UPDATE payment_types SET counts_as_cash = NOT counts_as_cash WHERE code IN ('CARD', 'CASH')",
            transaction: transaction);
        var flags = (await connection.QueryAsync<(long Id, bool Cash)>(
            "SELECT account_line_id, counts_as_cash FROM account_lines WHERE account_line_id IN (@card, @cash)", new { card, cash }, transaction))
            .ToDictionary(r => r.Id, r => r.Cash);
        Assert.False(flags[card]);
        Assert.True(flags[cash]);
        Assert.True(await connection.ExecuteScalarAsync<bool>(
            "SELECT bool_and(counts_as_cash) FROM register_movements WHERE kind = 'in' AND payment_type = 'CASH'", transaction: transaction));
        // What the writer claims is not what is written: the database reads the flag from the payment type (now not cash).
        var claimed = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, counts_as_cash, user_id, interface, posted_at)
            VALUES (@patron, 'PAYMENT', -100, -100, 'CASH', true, 1, 'api', now()) RETURNING account_line_id
            """, new { patron }, transaction);
        Assert.False(await connection.ExecuteScalarAsync<bool>(
            "SELECT counts_as_cash FROM account_lines WHERE account_line_id = @claimed", new { claimed }, transaction));
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task A_refused_delete_leaves_the_line_in_place()
    {
        long debit;
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            debit = (await ArrangeAsync(connection, transaction)).debit;
            await transaction.CommitAsync();
        }

        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() =>
                connection.ExecuteAsync("DELETE FROM account_lines WHERE account_line_id = @debit", new { debit }));
            Assert.Equal(Refused, error.SqlState);
            Assert.Equal(500, await connection.ExecuteScalarAsync<long>(
                "SELECT amount_minor FROM account_lines WHERE account_line_id = @debit", new { debit }));
        }
    }

    [Theory]
    [InlineData("TRUNCATE account_lines CASCADE")]
    [InlineData("TRUNCATE account_offsets")]
    [InlineData("TRUNCATE audit_log")]
    public async Task Truncating_the_ledger_is_refused(string sql)
    {
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await ArrangeAsync(connection, transaction);
            await transaction.CommitAsync();
        }

        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(sql));
            Assert.Equal(Refused, error.SqlState);
            Assert.True(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM account_lines") > 0);
        }
    }

    /// <summary>A patron with a 5.00 debit, a 2.00 credit, an offset and an audit row.</summary>
    static async Task<(long patron, long debit, long credit)> ArrangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var patron = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO patrons (cardnumber, surname, library_id, created_at, updated_at)
            VALUES (left(md5(random()::text), 20), 'Guard', 'MAIN', now(), now()) RETURNING patron_id
            """, transaction: transaction);
        var debit = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, user_id, interface, posted_at)
            VALUES (@patron, 'MANUAL', 500, 500, 1, 'api', now()) RETURNING account_line_id
            """, new { patron }, transaction);
        var credit = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, user_id, interface, posted_at)
            VALUES (@patron, 'PAYMENT', -200, -200, 'CARD', 1, 'api', now()) RETURNING account_line_id
            """, new { patron }, transaction);
        await connection.ExecuteAsync("""
            INSERT INTO account_offsets (debit_id, type, amount_minor, created_at) VALUES (@debit, 'CREATE', 500, now());
            INSERT INTO account_offsets (credit_id, type, amount_minor, created_at) VALUES (@credit, 'CREATE', -200, now());
            INSERT INTO audit_log (occurred_at, actor, action) VALUES (now(), 'test', 'test.arrange');
            """, new { debit, credit }, transaction);
        return (patron, debit, credit);
    }
}
