-- The SQL of one payment intake as Fiscus runs it, statement for statement (the bearer token is served from Fiscus's
-- few-second credential cache, so it costs no statement): the idempotency key's claim; the account lock with the
-- reference look-ups and the register's open session (share-locked); the debit and the payment written already settled
-- with their CREATE offsets and the applying offset in one statement (LedgerWriter.WriteSettledAsync; triggers stamp
-- the lines and append the register movements), then the balance; the lines read back in Koha's shape for the answer
-- (KohaLineRow); the audit record and the key's stored answer (about 1.2 KB, as Fiscus stores it); commit, where
-- PostgreSQL checks every touched line against its offsets. What PostgreSQL alone sustains for Fiscus's work, without
-- HTTP and .NET. The differences that remain: pgbench sends each statement in a round trip of its own (12, where
-- Fiscus groups them into 6), the write names its debit with VALUES where Fiscus unnests arrays (the same rows and
-- triggers), times are now() rather than the server's clock, and Npgsql's reset of a pooled connection and the
-- background sealer are not here. Patrons are random ids in lo..hi (bench/run passes the bench's own).
--
--   pgbench -n -M prepared -c 16 -j 2 -T 10 -D lo=1 -D hi=1000 -D client=1 -f bench/intake.pgbench.sql fiscus_bench
\set patron random(:lo, :hi)
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
SELECT (SELECT account_line_id FROM debit) AS debit, (SELECT account_line_id FROM credit) AS credit, count(*) AS offsets FROM offsets \gset
SELECT COALESCE(sum(amount_outstanding_minor), 0)::bigint FROM account_lines WHERE patron_id = :patron;
SELECT l.account_line_id, l.patron_id, l.debit_type_code, l.credit_type_code, l.amount_minor, l.amount_outstanding_minor,
       l.payment_type, l.cash_register_id, l.library_id, l.item_id,
       COALESCE(l.user_id, (SELECT a.service_user_id FROM api_clients a WHERE a.api_client_id = l.api_client_id)) AS user_id,
       l.api_client_id, l.interface, l.status, l.description, l.internal_note, l.external_id, l.related_account_line_id,
       l.register_session_id, l.quantity, l.posted_at, c.client_id,
       GREATEST(l.posted_at,
                (SELECT max(o.created_at) FROM account_offsets o WHERE o.debit_id = l.account_line_id),
                (SELECT max(o.created_at) FROM account_offsets o WHERE o.credit_id = l.account_line_id)) AS timestamp
FROM account_lines l LEFT JOIN api_clients c ON c.api_client_id = l.api_client_id
WHERE l.account_line_id = ANY(ARRAY[:debit, :credit]::bigint[]);
INSERT INTO audit_log (occurred_at, api_client_id, actor, action, entity, entity_id, details, remote_address, request_id)
VALUES (now(), :client, 'client:' || :client || ' (Bench kiosk 0123456789abcdef01)', 'account.payment_intake', 'account_line',
        :credit::text, jsonb_build_object('debit', (:debit)::bigint, 'amount', -2.50, 'credit', (:credit)::bigint, 'patron_id', (:patron)::bigint,
        'external_id', 'run-4-205-' || md5((:ext)::text), 'payment_type', 'CASH'), '127.0.0.1', '0HNQDGONV6922:0000011B');
UPDATE idempotency_keys SET status_code = 201, content_type = 'application/json', response_body = convert_to(repeat('x', 1187), 'UTF8'),
       response_location = '/api/v1/patrons/' || :patron || '/account/credits/' || :credit
WHERE idempotency_key_id = :key_idempotency_key_id;
COMMIT;
