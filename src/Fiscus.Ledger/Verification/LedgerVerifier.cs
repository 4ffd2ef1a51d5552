using Dapper;
using Fiscus.Ledger.Sealing;
using Npgsql;

namespace Fiscus.Ledger.Verification;

public sealed record Violation(string Check, string Detail);

public sealed record VerificationReport(long Lines, long Offsets, IReadOnlyList<Violation> Violations)
{
    public bool IsClean => Violations.Count == 0;

    /// <summary>The seal's chain and the sealed rows, recomputed (its findings are among <see cref="Violations"/> too).</summary>
    public SealReport Seal { get; init; } = SealReport.Unchecked;
}

/// <summary>
/// Checks every ledger invariant over the whole database, independently of the triggers that enforce
/// them at commit: a second opinion for operators (<c>fiscus verify</c>) and for the tests, which run it
/// after writing money. Each check reports up to <see cref="MaxPerCheck"/> offending rows. Then the seal
/// (<see cref="SealChecks"/>): whether any row sealed so far was altered, deleted or slipped in since.
/// </summary>
public static class LedgerVerifier
{
    public const int MaxPerCheck = 50;

    static readonly (string Check, string Sql)[] Checks =
    [
        ("outstanding matches offsets", """
            WITH sides AS (
                SELECT debit_id AS id, amount_minor AS delta, type, amount_minor FROM account_offsets WHERE debit_id IS NOT NULL
                UNION ALL
                SELECT credit_id, CASE WHEN type = 'CREATE' THEN amount_minor ELSE -amount_minor END, type, amount_minor
                FROM account_offsets WHERE credit_id IS NOT NULL
            ), totals AS (
                SELECT id, sum(delta) AS expected, count(*) FILTER (WHERE type = 'CREATE') AS creates,
                       max(amount_minor) FILTER (WHERE type = 'CREATE') AS create_amount
                FROM sides GROUP BY id
            )
            SELECT format('line %s: amount %s, outstanding %s, offsets say %s, %s CREATE offset(s) of %s',
                          l.account_line_id, l.amount_minor, l.amount_outstanding_minor, COALESCE(t.expected, 0),
                          COALESCE(t.creates, 0), COALESCE(t.create_amount::text, 'none'))
            FROM account_lines l LEFT JOIN totals t ON t.id = l.account_line_id
            WHERE COALESCE(t.expected, 0) <> l.amount_outstanding_minor OR COALESCE(t.creates, 0) <> 1
               OR t.create_amount IS DISTINCT FROM l.amount_minor
            ORDER BY l.account_line_id LIMIT @MaxPerCheck
            """),
        ("signs and bounds", """
            SELECT format('line %s: %s amount %s with outstanding %s', account_line_id,
                          CASE WHEN debit_type_code IS NOT NULL THEN 'debit' ELSE 'credit' END, amount_minor, amount_outstanding_minor)
            FROM account_lines
            WHERE (debit_type_code IS NULL) = (credit_type_code IS NULL)
               OR (debit_type_code IS NOT NULL AND NOT (amount_minor > 0 AND amount_outstanding_minor BETWEEN 0 AND amount_minor))
               OR (credit_type_code IS NOT NULL AND NOT (amount_minor < 0 AND amount_outstanding_minor BETWEEN amount_minor AND 0))
            ORDER BY account_line_id LIMIT @MaxPerCheck
            """),
        ("offsets join a credit to a debit of one account", """
            SELECT format('offset %s (%s): credit side %s is %s, debit side %s is %s', o.account_offset_id, o.type,
                          o.credit_id, CASE WHEN c.credit_type_code IS NOT NULL THEN 'a credit' ELSE 'not a credit' END,
                          o.debit_id, CASE WHEN d.debit_type_code IS NOT NULL THEN 'a debit' ELSE 'not a debit' END)
            FROM account_offsets o
            LEFT JOIN account_lines c ON c.account_line_id = o.credit_id
            LEFT JOIN account_lines d ON d.account_line_id = o.debit_id
            WHERE (o.credit_id IS NOT NULL AND c.credit_type_code IS NULL)
               OR (o.debit_id IS NOT NULL AND d.debit_type_code IS NULL)
               OR (o.type <> 'CREATE' AND c.patron_id IS DISTINCT FROM d.patron_id)
               OR (o.type = 'APPLY' AND o.amount_minor >= 0)
               OR (o.type = 'VOID' AND o.amount_minor <= 0)
            ORDER BY o.account_offset_id LIMIT @MaxPerCheck
            """),
        ("no application reversed more than it applied", """
            SELECT format('credit %s on debit %s: applied %s, reversed %s', credit_id, debit_id,
                          -sum(amount_minor) FILTER (WHERE type = 'APPLY'), COALESCE(sum(amount_minor) FILTER (WHERE type = 'VOID'), 0))
            FROM account_offsets WHERE type IN ('APPLY', 'VOID')
            GROUP BY credit_id, debit_id HAVING sum(amount_minor) > 0
            ORDER BY credit_id, debit_id LIMIT @MaxPerCheck
            """),
        ("each account's balance equals the sum of its amounts", """
            SELECT format('patron %s: balance %s, but its lines'' amounts sum to %s', COALESCE(patron_id::text, '(no patron)'),
                          sum(amount_outstanding_minor), sum(amount_minor))
            FROM account_lines GROUP BY patron_id HAVING sum(amount_outstanding_minor) <> sum(amount_minor)
            ORDER BY patron_id LIMIT @MaxPerCheck
            """),
        // The register movements the triggers append, recomputed from scratch. (What debit type a refund was
        // for is left out: it reads the refunded payment's applications as they were when the money went out.)
        ("register movements match the lines and offsets", """
            WITH ledger AS (
                SELECT register_session_id AS session, kind, payment_type, NULL::text AS debit_type, NULL::text AS credit_type,
                       cash, count(*) AS count, sum(amount) AS amount
                FROM (SELECT register_session_id,
                             CASE WHEN payment_type IS NULL OR COALESCE(credit_type_code, debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN 'line'
                                  WHEN credit_type_code = 'PAID_IN' THEN 'paid_in' WHEN debit_type_code = 'PAID_OUT' THEN 'paid_out'
                                  WHEN credit_type_code IS NOT NULL THEN 'in' ELSE 'out' END AS kind,
                             CASE WHEN payment_type IS NULL OR COALESCE(credit_type_code, debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN NULL
                                  ELSE payment_type END AS payment_type,
                             CASE WHEN payment_type IS NULL OR COALESCE(credit_type_code, debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN 0
                                  WHEN credit_type_code IS NOT NULL THEN -amount_minor ELSE amount_minor END AS amount,
                             payment_type IS NOT NULL AND COALESCE(credit_type_code, debit_type_code) NOT IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT')
                                 AND counts_as_cash AS cash
                      FROM account_lines WHERE register_session_id IS NOT NULL) l
                GROUP BY 1, 2, 3, 6
                UNION ALL
                SELECT c.register_session_id, 'income', NULL, d.debit_type_code, NULL, false, count(*), -sum(o.amount_minor)
                FROM account_offsets o
                JOIN account_lines c ON c.account_line_id = o.credit_id
                JOIN account_lines d ON d.account_line_id = o.debit_id
                WHERE o.type = 'APPLY' AND c.register_session_id IS NOT NULL AND c.payment_type IS NOT NULL
                  AND c.credit_type_code <> 'CASHUP_SURPLUS' AND d.debit_type_code NOT IN ('PAYOUT', 'VOID')
                GROUP BY 1, 4
                UNION ALL
                SELECT p.register_session_id, 'payout', NULL, p.debit_type_code, c.credit_type_code, false, count(*), -sum(o.amount_minor)
                FROM account_offsets o
                JOIN account_lines p ON p.account_line_id = o.debit_id
                JOIN account_lines c ON c.account_line_id = o.credit_id
                WHERE o.type = 'APPLY' AND p.register_session_id IS NOT NULL AND p.payment_type IS NOT NULL AND p.debit_type_code <> 'CASHUP_DEFICIT'
                GROUP BY 1, 4, 5
            ), recorded AS (
                SELECT register_session_id AS session, kind, payment_type, debit_type_code AS debit_type, credit_type_code AS credit_type,
                       counts_as_cash AS cash, sum(count) AS count, sum(amount_minor) AS amount
                FROM register_movements GROUP BY 1, 2, 3, 4, 5, 6
            )
            SELECT format('session %s, %s %s%s: the ledger says %s for %s, the register movements %s for %s', session, kind,
                          concat_ws('/', payment_type, debit_type, credit_type), CASE WHEN cash THEN ' (cash)' ELSE '' END,
                          max(count) FILTER (WHERE side = 'ledger'),
                          max(amount) FILTER (WHERE side = 'ledger'), max(count) FILTER (WHERE side = 'recorded'),
                          max(amount) FILTER (WHERE side = 'recorded'))
            FROM (SELECT 'ledger' AS side, * FROM (SELECT * FROM ledger EXCEPT SELECT * FROM recorded) a
                  UNION ALL SELECT 'recorded', * FROM (SELECT * FROM recorded EXCEPT SELECT * FROM ledger) b) diff
            GROUP BY session, kind, payment_type, debit_type, credit_type, cash
            ORDER BY session, kind LIMIT @MaxPerCheck
            """),
        // The rules fiscus_account_lines_money_rules enforces on new lines (lines written before migration 0007 predate them).
        ("money lines have the shape of their kind", """
            SELECT format('line %s: a %s %s with payment type %s at register %s%s', account_line_id,
                          COALESCE(credit_type_code, debit_type_code), CASE WHEN credit_type_code IS NOT NULL THEN 'credit' ELSE 'debit' END,
                          COALESCE(payment_type, 'none'), COALESCE(cash_register_id::text, 'none'), CASE WHEN counts_as_cash THEN ' (cash)' ELSE '' END)
            FROM account_lines
            WHERE account_line_id >= (SELECT from_account_line_id FROM ledger_rules WHERE name = 'money_rules')
              AND ((credit_type_code IN ('PAYMENT', 'PURCHASE', 'PAID_IN', 'CASHUP_SURPLUS') AND payment_type IS NULL)
                OR (credit_type_code NOT IN ('PAYMENT', 'PURCHASE', 'PAID_IN', 'CASHUP_SURPLUS') AND (payment_type IS NOT NULL OR cash_register_id IS NOT NULL))
                OR (debit_type_code IN ('PAYOUT', 'PAID_OUT', 'CASHUP_DEFICIT') AND payment_type IS NULL)
                OR (debit_type_code NOT IN ('PAYOUT', 'VOID', 'PAID_OUT', 'CASHUP_DEFICIT') AND payment_type IS NOT NULL)
                OR (counts_as_cash AND cash_register_id IS NULL)
                OR (payment_type IS NULL AND counts_as_cash))
            ORDER BY account_line_id LIMIT @MaxPerCheck
            """),
        // What CashierShifts.CashOfAsync computes and the 0008 trigger checks at the close, for every closed shift whose lines
        // all carry their cash flag (those of shifts begun before migration 0007 were flagged afterwards).
        ("closed shifts froze the cash their lines say", """
            WITH cash AS (
                SELECT shift_id, min(account_line_id) AS first_line,
                       COALESCE(-sum(amount_minor) FILTER (WHERE counts_as_cash AND credit_type_code = 'PAID_IN'), 0) AS cash_in,
                       COALESCE(sum(amount_minor) FILTER (WHERE counts_as_cash AND debit_type_code = 'PAID_OUT'), 0) AS cash_out,
                       COALESCE(-sum(amount_minor) FILTER (WHERE counts_as_cash AND credit_type_code <> 'PAID_IN'), 0) AS payments,
                       COALESCE(sum(amount_minor) FILTER (WHERE counts_as_cash AND debit_type_code <> 'PAID_OUT'), 0) AS refunds
                FROM account_lines WHERE shift_id IS NOT NULL GROUP BY shift_id)
            SELECT format('shift %s: frozen with %s in, %s out, %s payments, %s refunds; its lines say %s, %s, %s, %s', s.shift_id,
                          s.cash_in_minor, s.cash_out_minor, s.cash_payments_minor, s.cash_refunds_minor,
                          COALESCE(c.cash_in, 0), COALESCE(c.cash_out, 0), COALESCE(c.payments, 0), COALESCE(c.refunds, 0))
            FROM shifts s LEFT JOIN cash c ON c.shift_id = s.shift_id
            WHERE s.status = 'closed'
              AND COALESCE(c.first_line, (SELECT from_account_line_id FROM ledger_rules WHERE name = 'money_rules'))
                  >= (SELECT from_account_line_id FROM ledger_rules WHERE name = 'money_rules')
              AND (s.cash_in_minor, s.cash_out_minor, s.cash_payments_minor, s.cash_refunds_minor)
                  IS DISTINCT FROM (COALESCE(c.cash_in, 0), COALESCE(c.cash_out, 0), COALESCE(c.payments, 0), COALESCE(c.refunds, 0))
            ORDER BY s.start_time LIMIT @MaxPerCheck
            """),
        // Every writer names the caller (migration 0010's account_lines_has_actor, which stays NOT VALID where older lines lack one).
        ("lines say who wrote them", """
            SELECT format('line %s: a %s of %s written by %s', account_line_id, COALESCE(credit_type_code, debit_type_code), amount_minor,
                          CASE WHEN user_id IS NULL THEN 'no one' ELSE format('user %s and client %s', user_id, api_client_id) END)
            FROM account_lines WHERE (user_id IS NULL) = (api_client_id IS NULL)
            ORDER BY account_line_id LIMIT @MaxPerCheck
            """),
        // Lines written under migration 0010 (older ones may predate their session: 0003 opened the first sessions after them).
        ("register lines are not dated before their session opened", """
            SELECT format('line %s: dated %s, but its register session %s opened at %s', l.account_line_id, l.posted_at, s.register_session_id, s.opened_at)
            FROM account_lines l JOIN register_sessions s ON s.register_session_id = l.register_session_id
            WHERE l.account_line_id >= (SELECT from_account_line_id FROM ledger_rules WHERE name = 'dated_lines') AND l.posted_at < s.opened_at
            ORDER BY l.account_line_id LIMIT @MaxPerCheck
            """),
        ..CashupChecks.All,
        // What the 0011 trigger stamps on a shift as it starts, recomputed from the lines rather than the movements: the session's
        // float and the cash its lines up to the one named had left in the drawer.
        ("shifts started from the books their register held", """
            SELECT format('shift %s: started from books of %s in session %s through line %s; its lines say %s', s.shift_id,
                          s.books_cash_start_minor, s.books_register_session_id, COALESCE(s.books_through_line_id::text, 'none'),
                          r.float_minor + COALESCE(b.cash, 0))
            FROM shifts s
            JOIN register_sessions r ON r.register_session_id = s.books_register_session_id
            LEFT JOIN LATERAL (
                SELECT -sum(l.amount_minor) AS cash FROM account_lines l
                WHERE l.register_session_id = s.books_register_session_id AND l.account_line_id <= s.books_through_line_id
                  AND l.counts_as_cash AND l.payment_type IS NOT NULL
                  AND COALESCE(l.credit_type_code, l.debit_type_code) NOT IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT')) b ON true
            WHERE s.books_cash_start_minor <> r.float_minor + COALESCE(b.cash, 0) OR r.cash_register_id <> s.cash_register_id
            ORDER BY s.start_time LIMIT @MaxPerCheck
            """),
        // So the books at a shift's end are its books at the start moved by its own cash (ShiftBooks).
        ("a shift's lines come after the books it started from", """
            SELECT format('line %s of shift %s is in session %s, but the shift started from the books of session %s through line %s',
                          l.account_line_id, s.shift_id, l.register_session_id, s.books_register_session_id,
                          COALESCE(s.books_through_line_id::text, 'none'))
            FROM account_lines l JOIN shifts s ON s.shift_id = l.shift_id
            WHERE s.books_register_session_id IS NOT NULL
              AND (l.register_session_id <> s.books_register_session_id OR l.account_line_id <= s.books_through_line_id)
            ORDER BY l.account_line_id LIMIT @MaxPerCheck
            """),
        ("shift lines are at their shift's register", """
            SELECT format('line %s: in shift %s at register %s, but journaled to register %s',
                          l.account_line_id, s.shift_id, s.cash_register_id, l.cash_register_id)
            FROM account_lines l JOIN shifts s ON s.shift_id = l.shift_id
            WHERE l.cash_register_id <> s.cash_register_id
            ORDER BY l.account_line_id LIMIT @MaxPerCheck
            """),
        ("cash transactions are paid in or out in their shift", """
            SELECT format('cash transaction %s (%s of shift %s): its line %s is a %s in shift %s',
                          t.cash_transaction_id, t.type, t.shift_id, l.account_line_id, COALESCE(l.credit_type_code, l.debit_type_code),
                          COALESCE(l.shift_id::text, 'none'))
            FROM shift_cash_transactions t JOIN account_lines l ON l.account_line_id = t.account_line_id
            WHERE l.shift_id IS DISTINCT FROM t.shift_id
               OR COALESCE(l.credit_type_code, l.debit_type_code) <> CASE WHEN t.type = 'cash_in' THEN 'PAID_IN' ELSE 'PAID_OUT' END
            ORDER BY t.created_at LIMIT @MaxPerCheck
            """),
    ];

    /// <param name="against">A seal's hash recorded elsewhere (<c>fiscus verify --against</c>): a finding unless the chain has it.</param>
    public static async Task<VerificationReport> VerifyAsync(NpgsqlConnection connection, CancellationToken cancellationToken, byte[]? against = null)
    {
        // One snapshot for every check, so a verification running beside live traffic sees one consistent ledger.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var violations = new List<Violation>();
        foreach (var (check, sql) in Checks)
        {
            var rows = await connection.QueryAsync<string>(new CommandDefinition(sql, new { MaxPerCheck }, transaction,
                cancellationToken: cancellationToken, commandTimeout: 0));
            violations.AddRange(rows.Select(detail => new Violation(check, detail)));
        }
        var seal = await SealChecks.CheckAsync(connection, transaction, against, MaxPerCheck, cancellationToken);
        violations.AddRange(seal.Findings.Select(f => new Violation(f.Check, f.Detail)));
        var lines = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM account_lines", transaction: transaction, cancellationToken: cancellationToken));
        var offsets = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM account_offsets", transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new VerificationReport(lines, offsets, violations) { Seal = seal };
    }
}
