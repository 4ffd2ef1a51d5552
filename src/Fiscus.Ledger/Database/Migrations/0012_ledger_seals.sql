-- The ledger's seal: a SHA-256 hash chain over every append-only row, so that a database superuser or someone with the
-- disk, who can switch off every trigger here, cannot change, remove or slip in a row without `fiscus verify` saying which.
--
-- What is sealed, and when. A row is sealed once it is final; the parts of a row that change later are sealed when they
-- stop changing:
--   account lines              at insert, every column but amount_outstanding_minor and status, which offsets move (the
--                              verifier recomputes both from the sealed offsets)
--   account offsets, register movements, sales, cash-up reconciliations, shift cash transactions, the audit log
--                              at insert, whole (none of them ever changes)
--   register sessions, cash-ups, shifts
--                              twice: at insert the columns their guards keep fixed from birth (a session's register, float
--                              and opening; a cash-up's session and start; a shift's cashier, register, start cash and the
--                              books stamped at its start), and the whole row again once it is closed or completed, the
--                              state no guard lets it leave
-- Each sealed part carries the 64-bit id of the transaction that made it final (seal_xid at insert; final_seal_xid at
-- the close), stamped by a trigger whatever the writer sent. That is what makes "contiguous and committed" decidable
-- under concurrent writers: sequence values commit out of order, so "everything up to the highest id" can skip a row
-- whose transaction is still open, but transaction ids below pg_snapshot_xmin(pg_current_snapshot())
-- all belong to transactions that have ended, and every transaction that writes later gets a larger id. A seal covers
-- the rows stamped in [the previous seal's horizon, its own horizon): a row can be sealed late, never skipped.
--
-- The sealer (Fiscus.Ledger.Sealing, run in the background by the server) writes one ledger_seals row per block, the
-- hashes of the block's rows (the SHA-256 of each one's canonical encoding, and which table and row it is) in
-- ledger_seal_chunks, and the seal's hash over the previous seal's hash, its own header and its rows' hashes. The
-- encoding and the hashing are in the C# (SealedSources), not in functions here, so a superuser cannot redefine what
-- the verifier computes. Nothing here serializes money writes: they only stamp their own transaction id; the sealing
-- happens afterwards, in blocks.

-- 1. The transaction that made each sealed part final. A volatile default stamps the rows already here with this
--    migration's transaction, so the first seal covers the ledger's whole history.
ALTER TABLE account_lines ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE account_offsets ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE sales ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE cashup_reconciliations ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE shift_cash_transactions ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE audit_log ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE register_sessions ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id(), ADD COLUMN final_seal_xid xid8;
ALTER TABLE cashups ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id(), ADD COLUMN final_seal_xid xid8;
ALTER TABLE shifts ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id(), ADD COLUMN final_seal_xid xid8;
-- Register movements had no key: a seal names every row it covers.
ALTER TABLE register_movements
    ADD COLUMN register_movement_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ADD COLUMN seal_xid xid8 NOT NULL DEFAULT pg_current_xact_id();

-- What was already closed is final now. The guards refuse any update of a closed row, so they step aside for this one.
ALTER TABLE cashups DISABLE TRIGGER cashups_guard;
UPDATE cashups SET final_seal_xid = pg_current_xact_id() WHERE completed_at IS NOT NULL;
ALTER TABLE cashups ENABLE TRIGGER cashups_guard;
ALTER TABLE shifts DISABLE TRIGGER shifts_guard;
UPDATE shifts SET final_seal_xid = pg_current_xact_id() WHERE status = 'closed';
ALTER TABLE shifts ENABLE TRIGGER shifts_guard;
UPDATE register_sessions SET final_seal_xid = pg_current_xact_id() WHERE status = 'closed';
SET CONSTRAINTS ALL IMMEDIATE;
-- (No CHECK ties the stamp to the closed state: what was closed with the triggers off, as a restore does, must still
-- load. `fiscus verify` names a closed row without its stamp, which no seal would ever cover.)

-- The sealer finds each block by these.
CREATE INDEX account_lines_seal_xid_idx ON account_lines (seal_xid);
CREATE INDEX account_offsets_seal_xid_idx ON account_offsets (seal_xid);
CREATE INDEX register_movements_seal_xid_idx ON register_movements (seal_xid);
CREATE INDEX sales_seal_xid_idx ON sales (seal_xid);
CREATE INDEX cashup_reconciliations_seal_xid_idx ON cashup_reconciliations (seal_xid);
CREATE INDEX shift_cash_transactions_seal_xid_idx ON shift_cash_transactions (seal_xid);
CREATE INDEX audit_log_seal_xid_idx ON audit_log (seal_xid);
CREATE INDEX register_sessions_seal_xid_idx ON register_sessions (seal_xid);
CREATE INDEX register_sessions_final_seal_xid_idx ON register_sessions (final_seal_xid) WHERE final_seal_xid IS NOT NULL;
CREATE INDEX cashups_seal_xid_idx ON cashups (seal_xid);
CREATE INDEX cashups_final_seal_xid_idx ON cashups (final_seal_xid) WHERE final_seal_xid IS NOT NULL;
CREATE INDEX shifts_seal_xid_idx ON shifts (seal_xid);
CREATE INDEX shifts_final_seal_xid_idx ON shifts (final_seal_xid) WHERE final_seal_xid IS NOT NULL;

-- 2. The stamps, by triggers named to fire after every other BEFORE trigger of their table (they fire in name order), so
--    nothing after them can change the row they date. The writer's own value, if any, is overwritten: no writer can date
--    a row into a block already sealed (where `fiscus verify` would name it as slipped in) or beyond any real transaction
--    (where it would never be sealed).
CREATE FUNCTION fiscus_seal_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seal_xid := pg_current_xact_id();
    RETURN NEW;
END;
$$;
CREATE TRIGGER account_lines_zz_seal BEFORE INSERT ON account_lines FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp();
CREATE TRIGGER account_offsets_zz_seal BEFORE INSERT ON account_offsets FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp();
CREATE TRIGGER register_movements_zz_seal BEFORE INSERT ON register_movements FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp();
CREATE TRIGGER sales_zz_seal BEFORE INSERT ON sales FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp();
CREATE TRIGGER cashup_reconciliations_zz_seal BEFORE INSERT ON cashup_reconciliations FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp();
CREATE TRIGGER shift_cash_transactions_zz_seal BEFORE INSERT ON shift_cash_transactions FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp();
CREATE TRIGGER audit_log_zz_seal BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp();
-- (An account line's later updates cannot touch seal_xid: its guard refuses a change to any column but two.)

-- Sessions, cash-ups and shifts: stamped at insert, and again by the update that makes them final, once. The trigger's
-- argument says what final is: 'closed' (a session's or a shift's status) or 'completed' (a cash-up's completed_at).
CREATE FUNCTION fiscus_seal_stamp_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.seal_xid := pg_current_xact_id();
        NEW.final_seal_xid := NULL;
    ELSE
        NEW.seal_xid := OLD.seal_xid;
        NEW.final_seal_xid := CASE
            WHEN OLD.final_seal_xid IS NOT NULL THEN OLD.final_seal_xid
            -- By name, through jsonb: each table has only one of the two columns.
            WHEN CASE TG_ARGV[0] WHEN 'completed' THEN to_jsonb(NEW) ->> 'completed_at' IS NOT NULL
                                 ELSE to_jsonb(NEW) ->> 'status' = 'closed' END THEN pg_current_xact_id() END;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER register_sessions_zz_seal BEFORE INSERT OR UPDATE ON register_sessions
    FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp_final('closed');
CREATE TRIGGER cashups_zz_seal BEFORE INSERT OR UPDATE ON cashups FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp_final('completed');
CREATE TRIGGER shifts_zz_seal BEFORE INSERT OR UPDATE ON shifts FOR EACH ROW EXECUTE FUNCTION fiscus_seal_stamp_final('closed');

-- 3. Register movements gained two columns, so the functions that build them as rows of the table build the new shape,
--    leaving both empty: the key is the table's own to give (OVERRIDING USER VALUE), the stamp its trigger's.
CREATE OR REPLACE FUNCTION fiscus_line_movement(l account_lines) RETURNS SETOF register_movements LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF l.register_session_id IS NULL THEN
        RETURN;
    END IF;
    IF l.payment_type IS NULL OR COALESCE(l.credit_type_code, l.debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at, 'line', NULL, NULL, NULL, NULL, 1, 0, false,
                        NULL, NULL)::register_movements;
    ELSE
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at,
                        CASE WHEN l.credit_type_code = 'PAID_IN' THEN 'paid_in' WHEN l.debit_type_code = 'PAID_OUT' THEN 'paid_out'
                             WHEN l.credit_type_code IS NOT NULL THEN 'in' ELSE 'out' END,
                        l.payment_type, NULL, NULL, NULL, 1, abs(l.amount_minor), l.counts_as_cash, NULL, NULL)::register_movements;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION fiscus_offset_movements(o account_offsets) RETURNS SETOF register_movements LANGUAGE plpgsql STABLE AS $$
DECLARE
    c account_lines;
    d account_lines;
BEGIN
    SELECT * INTO c FROM account_lines WHERE account_line_id = o.credit_id;
    SELECT * INTO d FROM account_lines WHERE account_line_id = o.debit_id;
    IF o.type <> 'APPLY' THEN
        RETURN;
    END IF;
    IF c.register_session_id IS NOT NULL AND c.payment_type IS NOT NULL AND c.credit_type_code <> 'CASHUP_SURPLUS'
       AND d.debit_type_code NOT IN ('PAYOUT', 'VOID') THEN
        RETURN NEXT ROW(c.register_session_id, c.cash_register_id, c.posted_at, 'income', NULL, d.debit_type_code, NULL, NULL,
                        1, -o.amount_minor, false, NULL, NULL)::register_movements;
    END IF;
    IF d.register_session_id IS NOT NULL AND d.payment_type IS NOT NULL AND d.debit_type_code <> 'CASHUP_DEFICIT' THEN
        RETURN NEXT ROW(d.register_session_id, d.cash_register_id, d.posted_at, 'payout', NULL, d.debit_type_code, c.credit_type_code,
            (SELECT CASE WHEN count(DISTINCT x.debit_type_code) = 1 THEN min(x.debit_type_code) END
             FROM account_lines r
             LEFT JOIN account_offsets ro ON r.credit_type_code IS NOT NULL AND ro.credit_id = r.account_line_id AND ro.type = 'APPLY'
             JOIN account_lines x ON x.account_line_id = CASE WHEN r.debit_type_code IS NOT NULL THEN r.account_line_id ELSE ro.debit_id END
             WHERE r.account_line_id = c.related_account_line_id AND x.debit_type_code NOT IN ('PAYOUT', 'VOID')),
            1, -o.amount_minor, false, NULL, NULL)::register_movements;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION fiscus_account_lines_movement() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    INSERT INTO register_movements OVERRIDING USER VALUE SELECT * FROM fiscus_line_movement(NEW);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION fiscus_account_offsets_movements() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    INSERT INTO register_movements OVERRIDING USER VALUE SELECT * FROM fiscus_offset_movements(NEW);
    RETURN NULL;
END;
$$;

-- 4. The seals. One row per block; seal_no counts from 1 without gaps, and each seal names its predecessor's hash (32 zero
--    bytes for the first) and continues its transaction range, checked as it is inserted, so two instances of Fiscus
--    sealing at once cannot fork the chain (the sealer also holds an advisory lock; the unique constraints are the rule).
CREATE TABLE ledger_seals (
    seal_no bigint PRIMARY KEY CHECK (seal_no > 0),
    previous_hash bytea NOT NULL CHECK (octet_length(previous_hash) = 32),
    hash bytea NOT NULL CHECK (octet_length(hash) = 32),
    -- The block: the parts stamped by transactions from xid_from (inclusive) to xid_to (exclusive, the horizon).
    xid_from xid8 NOT NULL,
    xid_to xid8 NOT NULL,
    row_count bigint NOT NULL CHECK (row_count > 0),
    -- Which canonical encoding of the rows the hashes are over (SealedSources.Encoding).
    encoding smallint NOT NULL,
    sealed_at timestamptz NOT NULL,
    CONSTRAINT ledger_seals_hash_key UNIQUE (hash),
    CONSTRAINT ledger_seals_one_successor UNIQUE (previous_hash),
    CONSTRAINT ledger_seals_range CHECK (xid_from < xid_to)
);

-- The rows a seal covers, in its order, a chunk of up to 4096 rows of one table (and part) to a row: their keys and the
-- SHA-256 of each one's canonical encoding, 32 bytes each, end to end. Chunks rather than a row per sealed row: sealing
-- then writes a few rows and little WAL beside the money it seals (a row each, with a key and indexes, came to as much
-- again as the hashing; measured). Written just before their seal, in its transaction. No foreign key to the seal and no
-- unique row key (each a cost per row); the sealer's blocks never overlap, and `fiscus verify` names a row listed twice
-- and chunks of a seal that is not there.
CREATE TABLE ledger_seal_chunks (
    seal_no bigint NOT NULL,
    chunk integer NOT NULL CHECK (chunk >= 0),
    source text NOT NULL,
    row_keys text[] NOT NULL,
    row_hashes bytea NOT NULL,
    PRIMARY KEY (seal_no, chunk),
    CONSTRAINT ledger_seal_chunks_hash_per_key CHECK (octet_length(row_hashes) = 32 * cardinality(row_keys) AND cardinality(row_keys) > 0)
);

CREATE FUNCTION fiscus_ledger_seals_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last ledger_seals%ROWTYPE;
BEGIN
    SELECT * INTO last FROM ledger_seals ORDER BY seal_no DESC LIMIT 1;
    IF NOT FOUND THEN
        last.seal_no := 0;
        last.hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
        last.xid_to := '0'::xid8;
    END IF;
    IF NEW.seal_no <> last.seal_no + 1 OR NEW.previous_hash <> last.hash OR NEW.xid_from <> last.xid_to THEN
        RAISE EXCEPTION 'seal % does not continue the chain: the last seal is % (its hash %, its horizon %)', NEW.seal_no, last.seal_no,
            encode(last.hash, 'hex'), last.xid_to USING ERRCODE = 'FL009';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_seals_chain BEFORE INSERT ON ledger_seals FOR EACH ROW EXECUTE FUNCTION fiscus_ledger_seals_chain();
CREATE TRIGGER ledger_seals_no_change BEFORE UPDATE OR DELETE ON ledger_seals FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change();
CREATE TRIGGER ledger_seals_no_truncate BEFORE TRUNCATE ON ledger_seals FOR EACH STATEMENT EXECUTE FUNCTION fiscus_refuse_change();
CREATE TRIGGER ledger_seal_chunks_no_change BEFORE UPDATE OR DELETE ON ledger_seal_chunks FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change();
CREATE TRIGGER ledger_seal_chunks_no_truncate BEFORE TRUNCATE ON ledger_seal_chunks FOR EACH STATEMENT EXECUTE FUNCTION fiscus_refuse_change();

-- As every plpgsql function here (0008): the schema's own tables, never a temporary one. CREATE OR REPLACE drops a
-- function's settings, so the replaced ones are pinned again too.
DO $migration$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['fiscus_seal_stamp()', 'fiscus_seal_stamp_final()', 'fiscus_line_movement(account_lines)',
                             'fiscus_offset_movements(account_offsets)',
                             'fiscus_account_lines_movement()', 'fiscus_account_offsets_movements()', 'fiscus_ledger_seals_chain()'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    END LOOP;
END
$migration$;
