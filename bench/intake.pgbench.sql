-- The SQL of one payment intake, statement for statement as Fiscus sends it (the bearer token is served
-- from Fiscus's few-second credential cache, so it costs no statement): idempotency key claim, account
-- lock, reference look-ups, the register's open session (share-locked), then the debit and the payment written
-- already settled with their CREATE offsets and the applying offset in one statement (LedgerWriter.WriteSettledAsync;
-- triggers append the register movements), the balance (sent in the same round trip by Fiscus), the audit record,
-- the key's stored answer, commit (where PostgreSQL checks every touched line against its offsets).
-- It gives the machine's ceiling for the intake endpoint: what PostgreSQL alone sustains for the same
-- work, without HTTP and .NET in between. Fiscus sends the three reference look-ups in one round trip;
-- pgbench cannot, so this ceiling pays two round trips more than Fiscus does.
--
--   pgbench -n -c 16 -j 2 -T 10 -D patrons=64 -D client=1 -f bench/intake.pgbench.sql fiscus_bench
\set patron random(1, :patrons)
\set ext random(1, 9000000000000000)
BEGIN;
INSERT INTO idempotency_keys (principal, key, request_hash, request_method, request_path, created_at, expires_at)
VALUES ('client:' || :client, 'external_id:' || (:ext)::text, sha256((:ext)::text::bytea), 'POST', '/api/v1/patrons/x/account/payments',
        now(), now() + interval '24 hours')
ON CONFLICT (principal, key) DO NOTHING RETURNING idempotency_key_id \gset key_
SELECT patron_id, library_id, secured FROM patrons WHERE patron_id = :patron FOR UPDATE;
SELECT code, description, archived, is_system, can_be_sold, default_amount_minor FROM debit_types WHERE code = 'PRINT';
SELECT code, description, counts_as_cash, allowed_refund, archived FROM payment_types WHERE code = 'CASH' FOR KEY SHARE;
SELECT cash_register_id, name, library_id, archived FROM cash_registers WHERE cash_register_id = 1;
SELECT register_session_id AS session FROM register_sessions WHERE cash_register_id = 1 AND status = 'open' FOR SHARE \gset
WITH debit AS (
    INSERT INTO account_lines (patron_id, debit_type_code, amount_minor, amount_outstanding_minor, library_id, api_client_id, interface,
        description, posted_at)
    VALUES (:patron, 'PRINT', 250, 0, 'MAIN', :client, 'api', 'Benchmark print job', now()) RETURNING *),
credit AS (
    INSERT INTO account_lines (patron_id, credit_type_code, amount_minor, amount_outstanding_minor, payment_type, cash_register_id,
        register_session_id, library_id, api_client_id, interface, description, external_id, posted_at)
    SELECT :patron, 'PAYMENT', -250, 0, 'CASH', 1, :session, 'MAIN', :client, 'api', 'Benchmark print job', (:ext)::text, now()
    FROM (SELECT count(*) FROM debit) AS after_debits RETURNING *),
offsets AS (
    INSERT INTO account_offsets (credit_id, debit_id, type, amount_minor, created_at)
    SELECT o.credit_id, o.debit_id, o.type, o.amount_minor, now()
    FROM (SELECT 1 AS step, NULL::bigint AS credit_id, debit.account_line_id AS debit_id, 'CREATE' AS type, debit.amount_minor FROM debit
          UNION ALL SELECT 2, credit.account_line_id, NULL, 'CREATE', credit.amount_minor FROM credit
          UNION ALL SELECT 3, credit.account_line_id, debit.account_line_id, 'APPLY', -debit.amount_minor FROM debit, credit) AS o
    ORDER BY o.step RETURNING *)
SELECT (SELECT account_line_id FROM credit) AS credit, count(*) AS offsets FROM offsets \gset
SELECT COALESCE(sum(amount_outstanding_minor), 0)::bigint FROM account_lines WHERE patron_id = :patron;
INSERT INTO audit_log (occurred_at, api_client_id, actor, action, entity, entity_id, details, remote_address, request_id)
VALUES (now(), :client, 'client:' || :client || ' (bench)', 'account.payment_intake', 'account_line', :credit::text,
        '{"amount": -2.50}'::jsonb, '127.0.0.1', 'pgbench');
UPDATE idempotency_keys SET status_code = 201, content_type = 'application/json', response_body = '\x7b7d', response_location = '/x'
WHERE idempotency_key_id = :key_idempotency_key_id;
COMMIT;
