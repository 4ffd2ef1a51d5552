using Fiscus.Ledger.Registers;

namespace Fiscus.Ledger.Verification;

/// <summary>
/// The verifier's checks of register sessions and cash-ups (what migration 0010 enforces at commit), recomputed over
/// every session from the lines. Cash-ups are recomputed where their session's lines all carry their cash flag (sessions
/// begun before migration 0007 were flagged afterwards), as the shift check does.
/// </summary>
static class CashupChecks
{
    /// <summary>The cash-ups whose session's lines were all flagged as they were written (or that counted an empty session).</summary>
    const string InScope = """
        cashups_in_scope AS (
            SELECT c.cashup_id, c.register_session_id, c.amount_minor, c.summary, s.float_minor
            FROM cashups c JOIN register_sessions s ON s.register_session_id = c.register_session_id
            WHERE c.completed_at IS NOT NULL
              AND COALESCE((SELECT min(l.account_line_id) FROM account_lines l WHERE l.register_session_id = c.register_session_id),
                           (SELECT from_account_line_id FROM ledger_rules WHERE name = 'money_rules'))
                  >= (SELECT from_account_line_id FROM ledger_rules WHERE name = 'money_rules')),
        session_lines AS (
            SELECT c.cashup_id, l.account_line_id, l.payment_type, l.amount_minor, l.counts_as_cash,
                   COALESCE(l.credit_type_code, l.debit_type_code) AS type,
                   COALESCE(l.credit_type_code, l.debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') AS difference
            FROM cashups_in_scope c JOIN account_lines l ON l.register_session_id = c.register_session_id),
        -- Per payment type that moved, what a cash-up counts it against (PaymentTypeTotal.ExpectedMinor).
        expected AS (
            SELECT cashup_id, payment_type, bool_or(counts_as_cash) AS cash,
                   CASE WHEN bool_or(counts_as_cash) THEN COALESCE(sum(-amount_minor) FILTER (WHERE counts_as_cash), 0)
                        ELSE sum(-amount_minor) END AS expected_minor
            FROM session_lines WHERE payment_type IS NOT NULL AND NOT difference GROUP BY cashup_id, payment_type)
        """;

    public static readonly (string Check, string Sql)[] All =
    [
        ("register sessions are counted and closed by one cash-up", """
            SELECT format('register session %s of register %s is %s, with %s cash-up(s) of which %s completed', s.register_session_id,
                          s.cash_register_id, s.status, count(c.cashup_id), count(c.completed_at))
            FROM register_sessions s LEFT JOIN cashups c ON c.register_session_id = s.register_session_id
            GROUP BY s.register_session_id
            HAVING count(c.cashup_id) > 1 OR (s.status = 'closed') <> (count(c.completed_at) = 1)
                OR (s.status = 'counting' AND count(c.cashup_id) = 0)
            ORDER BY s.register_session_id LIMIT @MaxPerCheck
            """),
        // Opened when the register's session before stopped taking money (never earlier), counted and closed in order.
        ("register session times run in order", """
            SELECT format('register session %s of register %s: opened %s, counted %s, closed %s; the session before stopped taking money %s',
                          s.register_session_id, s.cash_register_id, s.opened_at, COALESCE(s.counting_started_at::text, '-'),
                          COALESCE(s.closed_at::text, '-'), COALESCE(p.counting_started_at::text, '-'))
            FROM register_sessions s
            LEFT JOIN LATERAL (SELECT counting_started_at FROM register_sessions b
                               WHERE b.cash_register_id = s.cash_register_id AND b.register_session_id < s.register_session_id
                               ORDER BY b.register_session_id DESC LIMIT 1) p ON true
            WHERE s.opened_at < p.counting_started_at OR s.counting_started_at < s.opened_at OR s.closed_at < s.counting_started_at
            ORDER BY s.register_session_id LIMIT @MaxPerCheck
            """),
        // What Cashups.CompleteAsync computes and the 0010 trigger checks at completion.
        ("completed cash-ups count what their session's lines say", $"""
            WITH {InScope},
            counts AS (
                SELECT r.* FROM cashup_reconciliations r JOIN cashups_in_scope c ON c.cashup_id = r.cashup_id)
            SELECT format('cash-up %s, %s: %s', COALESCE(r.cashup_id, e.cashup_id), COALESCE(r.payment_type, e.payment_type),
                          CASE WHEN r.cashup_id IS NULL THEN 'cash moved through the drawer, but it was not counted'
                               ELSE format('expected %s, but the session''s lines say %s', r.expected_minor, COALESCE(e.expected_minor, 0)) END)
            FROM counts r FULL JOIN expected e ON e.cashup_id = r.cashup_id AND e.payment_type = r.payment_type
            WHERE (r.cashup_id IS NULL AND e.cash) OR r.expected_minor <> COALESCE(e.expected_minor, 0)
            ORDER BY 1 LIMIT @MaxPerCheck
            """),
        ("cash-up differences are the surplus and deficit lines of their session", $"""
            WITH {InScope},
            differences AS (SELECT * FROM session_lines WHERE difference),
            counts AS (
                SELECT r.* FROM cashup_reconciliations r JOIN cashups_in_scope c ON c.cashup_id = r.cashup_id WHERE r.difference_minor <> 0)
            SELECT format('cash-up %s: %s', COALESCE(r.cashup_id, d.cashup_id), CASE
                       WHEN r.cashup_id IS NULL THEN format('line %s (%s of %s in %s) records no count of it', d.account_line_id, d.type, d.amount_minor, d.payment_type)
                       ELSE format('%s counted %s from what was expected, recorded by line %s (%s)', r.payment_type, r.difference_minor,
                                   COALESCE(r.account_line_id::text, 'none'), COALESCE(format('%s of %s in %s', d.type, d.amount_minor, d.payment_type), 'not in its session')) END)
            FROM counts r FULL JOIN differences d ON d.cashup_id = r.cashup_id AND d.account_line_id = r.account_line_id
            WHERE r.cashup_id IS NULL OR d.cashup_id IS NULL OR d.payment_type <> r.payment_type OR d.amount_minor <> -r.difference_minor
               OR d.type <> CASE WHEN r.difference_minor > 0 THEN 'CASHUP_SURPLUS' ELSE 'CASHUP_DEFICIT' END
            ORDER BY 1 LIMIT @MaxPerCheck
            """),
        // The cash-up's amount is the session's takings plus the differences counted (SessionSummary.TotalMinor plus them).
        ("cash-up amounts are what their session took", $"""
            WITH {InScope}
            SELECT format('cash-up %s: amount %s, but its session took %s, differences included', c.cashup_id, c.amount_minor, COALESCE(t.taken, 0))
            FROM cashups_in_scope c
            LEFT JOIN (SELECT cashup_id, sum(-amount_minor) AS taken FROM session_lines
                       WHERE payment_type IS NOT NULL AND type NOT IN ('PAID_IN', 'PAID_OUT') GROUP BY cashup_id) t ON t.cashup_id = c.cashup_id
            WHERE c.amount_minor <> COALESCE(t.taken, 0)
            ORDER BY c.cashup_id LIMIT @MaxPerCheck
            """),
        // The frozen summary is display data in SessionSummary's JSON shape, so its figures are compared, not its text (names
        // and descriptions are as they were then): the float, the takings and payouts, what the drawer should hold, what each
        // payment type that moved was expected at and the counts recorded.
        ("frozen cash-up summaries show what their session's lines say", $"""
            WITH {InScope},
            figures AS (
                SELECT c.cashup_id, c.float_minor,
                       COALESCE(sum(-l.amount_minor) FILTER (WHERE l.payment_type IS NOT NULL AND NOT l.difference AND l.type NOT IN ('PAID_IN', 'PAID_OUT')
                                                            AND l.amount_minor < 0), 0) AS income_minor,
                       COALESCE(sum(l.amount_minor) FILTER (WHERE l.payment_type IS NOT NULL AND NOT l.difference AND l.type NOT IN ('PAID_IN', 'PAID_OUT')
                                                           AND l.amount_minor > 0), 0) AS payout_minor,
                       COALESCE(sum(-l.amount_minor) FILTER (WHERE l.counts_as_cash AND NOT l.difference), 0) AS bankable_minor
                FROM cashups_in_scope c LEFT JOIN session_lines l ON l.cashup_id = c.cashup_id GROUP BY c.cashup_id, c.float_minor),
            frozen AS (
                SELECT c.cashup_id,
                       (SELECT jsonb_agg(jsonb_build_array(t ->> '{nameof(PaymentTypeTotal.PaymentType)}', (t ->> '{nameof(PaymentTypeTotal.ExpectedMinor)}')::numeric)
                                         ORDER BY t ->> '{nameof(PaymentTypeTotal.PaymentType)}')
                        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.summary -> '{nameof(SessionSummary.TotalGrouped)}') = 'array'
                                                       THEN c.summary -> '{nameof(SessionSummary.TotalGrouped)}' END) t
                        WHERE (t ->> '{nameof(PaymentTypeTotal.Moved)}')::boolean) AS by_type,
                       (SELECT jsonb_agg(jsonb_build_array(r ->> '{nameof(ReconciliationLine.PaymentType)}', (r ->> '{nameof(ReconciliationLine.ExpectedMinor)}')::numeric,
                                                           (r ->> '{nameof(ReconciliationLine.CountedMinor)}')::numeric)
                                         ORDER BY r ->> '{nameof(ReconciliationLine.PaymentType)}')
                        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.summary -> '{nameof(SessionSummary.Reconciliations)}') = 'array'
                                                       THEN c.summary -> '{nameof(SessionSummary.Reconciliations)}' END) r) AS counts
                FROM cashups_in_scope c),
            ledger AS (
                SELECT f.cashup_id,
                       (SELECT jsonb_agg(jsonb_build_array(e.payment_type, e.expected_minor) ORDER BY e.payment_type)
                        FROM expected e WHERE e.cashup_id = f.cashup_id) AS by_type,
                       (SELECT jsonb_agg(jsonb_build_array(r.payment_type, r.expected_minor, r.counted_minor) ORDER BY r.payment_type)
                        FROM cashup_reconciliations r WHERE r.cashup_id = f.cashup_id) AS counts
                FROM figures f)
            SELECT format('cash-up %s: its summary says float %s, income %s, payouts %s, bankable %s, expected in the drawer %s, by type %s, counted %s; '
                          'its session''s lines say %s, %s, %s, %s, %s, %s, %s', f.cashup_id,
                          c.summary ->> '{nameof(SessionSummary.FloatMinor)}', c.summary ->> '{nameof(SessionSummary.IncomeTotalMinor)}',
                          c.summary ->> '{nameof(SessionSummary.PayoutTotalMinor)}', c.summary ->> '{nameof(SessionSummary.BankableMinor)}',
                          c.summary ->> '{nameof(SessionSummary.ExpectedCashInDrawerMinor)}', z.by_type, z.counts,
                          f.float_minor, f.income_minor, f.payout_minor, f.bankable_minor, f.float_minor + f.bankable_minor, g.by_type, g.counts)
            FROM figures f JOIN cashups_in_scope c ON c.cashup_id = f.cashup_id JOIN frozen z ON z.cashup_id = f.cashup_id
            JOIN ledger g ON g.cashup_id = f.cashup_id
            WHERE jsonb_typeof(c.summary) IS DISTINCT FROM 'object'
               OR (c.summary ->> '{nameof(SessionSummary.FloatMinor)}', c.summary ->> '{nameof(SessionSummary.IncomeTotalMinor)}',
                   c.summary ->> '{nameof(SessionSummary.PayoutTotalMinor)}', c.summary ->> '{nameof(SessionSummary.BankableMinor)}',
                   c.summary ->> '{nameof(SessionSummary.ExpectedCashInDrawerMinor)}')
                  IS DISTINCT FROM (f.float_minor::text, f.income_minor::text, f.payout_minor::text, f.bankable_minor::text,
                                    (f.float_minor + f.bankable_minor)::text)
               OR z.by_type IS DISTINCT FROM g.by_type OR z.counts IS DISTINCT FROM g.counts
            ORDER BY f.cashup_id LIMIT @MaxPerCheck
            """),
    ];
}
