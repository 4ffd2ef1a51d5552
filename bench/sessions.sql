-- Bulk history for bench/sessions: counter sales (a PRINT or COPY debit, a PURCHASE credit, their CREATE
-- offsets, the APPLY between them and their register movements) journaled straight into a register's open
-- session, as the API would write them, many times faster. Triggers and foreign keys are skipped for the
-- load (replica role), so this only ever runs in the benchmark's own throwaway cluster. The sales are the
-- admin's, dated between the session's opening and now, as the ledger's rules want them (migration 0010;
-- its CHECK that a line names its writer holds even for the load).
CREATE OR REPLACE FUNCTION bench_fill(register integer, sales integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    session bigint;
    library text;
    opened timestamptz;
    seller bigint := (SELECT min(user_id) FROM staff_users WHERE role = 'admin');
    seq text := pg_get_serial_sequence('account_lines', 'account_line_id');
BEGIN
    SET LOCAL session_replication_role = replica;
    SELECT s.register_session_id, r.library_id, s.opened_at INTO STRICT session, library, opened
    FROM register_sessions s JOIN cash_registers r USING (cash_register_id)
    WHERE s.cash_register_id = register AND s.status = 'open';
    CREATE TEMP TABLE bench_sales ON COMMIT DROP AS
    SELECT g, nextval(seq) AS debit_id, nextval(seq) AS credit_id,
           CASE WHEN g % 2 = 0 THEN 'PRINT' ELSE 'COPY' END AS debit_type,
           CASE WHEN g % 5 = 0 THEN 'CASH' WHEN g % 7 = 0 THEN 'SIP00' ELSE 'CARD' END AS payment_type,
           (10 + g % 190)::bigint AS amount,
           opened + (now() - opened) * g / sales AS at
    FROM generate_series(1, sales) g;
    INSERT INTO account_lines (account_line_id, debit_type_code, amount_minor, amount_outstanding_minor, cash_register_id,
                               register_session_id, library_id, user_id, interface, status, description, quantity, posted_at)
    OVERRIDING SYSTEM VALUE
    SELECT debit_id, debit_type, amount, 0, register, session, library, seller, 'pos', 'PAID', 'bench item', 1, at FROM bench_sales;
    -- counts_as_cash as the money-rules trigger would stamp it.
    INSERT INTO account_lines (account_line_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, counts_as_cash,
                               cash_register_id, register_session_id, library_id, user_id, interface, description, posted_at)
    OVERRIDING SYSTEM VALUE
    SELECT credit_id, 'PURCHASE', -amount, 0, b.payment_type, p.counts_as_cash, register, session, library, seller, 'pos', 'bench item', at
    FROM bench_sales b JOIN payment_types p ON p.code = b.payment_type;
    INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
    SELECT NULL, debit_id, 'CREATE', amount, at FROM bench_sales
    UNION ALL SELECT credit_id, NULL, 'CREATE', -amount, at FROM bench_sales
    UNION ALL SELECT credit_id, debit_id, 'APPLY', -amount, at FROM bench_sales;
    -- The register movements the skipped triggers would have appended (their key and transaction stamp are the table's defaults).
    INSERT INTO register_movements (register_session_id, cash_register_id, posted_at, kind, payment_type, debit_type_code, credit_type_code,
                                    related_debit_type_code, count, amount_minor, counts_as_cash)
    SELECT m.register_session_id, m.cash_register_id, m.posted_at, m.kind, m.payment_type, m.debit_type_code, m.credit_type_code,
           m.related_debit_type_code, m.count, m.amount_minor, m.counts_as_cash
    FROM (SELECT m.* FROM bench_sales b JOIN account_lines l ON l.account_line_id IN (b.debit_id, b.credit_id), fiscus_line_movement(l) m
          UNION ALL
          SELECT m.* FROM account_offsets o, fiscus_offset_movements(o) m
          WHERE o.type = 'APPLY' AND o.credit_id >= (SELECT min(credit_id) FROM bench_sales) AND o.debit_id IS NOT NULL) m;
END;
$$;
