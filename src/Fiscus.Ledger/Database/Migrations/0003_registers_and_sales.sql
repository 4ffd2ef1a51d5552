-- Register sessions, cash-ups with reconciliation, and point-of-sale sales.
--
-- A register's session is everything journaled to it since its last cash-up. Every line journaled to a
-- register carries the id of the session it was written in (stamped at insert, under a share lock on the
-- open session), so a session is cut by a transaction-consistent boundary, never by comparing timestamps.

CREATE TABLE register_sessions (
    register_session_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cash_register_id integer NOT NULL REFERENCES cash_registers (cash_register_id),
    -- open: taking money. counting: closed to new money, being counted (two-phase cash-up). closed: cashed up.
    status text NOT NULL CHECK (status IN ('open', 'counting', 'closed')),
    -- The float the drawer started this session with (the register's starting float when it opened).
    float_minor bigint NOT NULL CHECK (float_minor BETWEEN 0 AND 1000000000000),
    opened_at timestamptz NOT NULL,
    counting_started_at timestamptz,
    closed_at timestamptz,
    CONSTRAINT register_sessions_closed_has_time CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CONSTRAINT register_sessions_counting_has_time CHECK (status = 'open' OR counting_started_at IS NOT NULL),
    CONSTRAINT register_sessions_id_register_key UNIQUE (register_session_id, cash_register_id)
);
CREATE UNIQUE INDEX register_sessions_one_open ON register_sessions (cash_register_id) WHERE status = 'open';
CREATE UNIQUE INDEX register_sessions_one_counting ON register_sessions (cash_register_id) WHERE status = 'counting';
CREATE INDEX register_sessions_register_idx ON register_sessions (cash_register_id, register_session_id);

-- A session only moves forward (open -> counting -> closed, or open -> closed) and is never deleted.
CREATE FUNCTION fiscus_register_sessions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'register sessions are never deleted' USING ERRCODE = 'FL001';
    END IF;
    IF NEW.cash_register_id <> OLD.cash_register_id OR NEW.float_minor <> OLD.float_minor OR NEW.opened_at <> OLD.opened_at
       OR NOT ((OLD.status = NEW.status)
               OR (OLD.status = 'open' AND NEW.status IN ('counting', 'closed'))
               OR (OLD.status = 'counting' AND NEW.status = 'closed')) THEN
        RAISE EXCEPTION 'register session %: % -> % is not allowed', OLD.register_session_id, OLD.status, NEW.status
            USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER register_sessions_guard BEFORE UPDATE OR DELETE ON register_sessions
    FOR EACH ROW EXECUTE FUNCTION fiscus_register_sessions_guard();

ALTER TABLE account_lines ADD COLUMN register_session_id bigint;
-- How many of a sold item a sale debit stands for (Koha keeps it in the note).
ALTER TABLE account_lines ADD COLUMN quantity integer CHECK (quantity BETWEEN 1 AND 100000);

-- Every existing register starts its first session now, holding whatever was journaled to it so far.
INSERT INTO register_sessions (cash_register_id, status, float_minor, opened_at)
SELECT cash_register_id, 'open', starting_float_minor, now() FROM cash_registers;
ALTER TABLE account_lines DISABLE TRIGGER account_lines_guard_update;
UPDATE account_lines l SET register_session_id = s.register_session_id
FROM register_sessions s WHERE s.cash_register_id = l.cash_register_id;
-- Run the commit-time balance checks the update queued now: ALTER TABLE refuses a table with pending events.
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE account_lines ENABLE TRIGGER account_lines_guard_update;

-- A line journaled to a register is in exactly one session, of that register.
ALTER TABLE account_lines ADD CONSTRAINT account_lines_session_fkey
    FOREIGN KEY (register_session_id, cash_register_id) REFERENCES register_sessions (register_session_id, cash_register_id);
ALTER TABLE account_lines ADD CONSTRAINT account_lines_register_has_session
    CHECK ((cash_register_id IS NULL) = (register_session_id IS NULL));
CREATE INDEX account_lines_session_idx ON account_lines (register_session_id, account_line_id) WHERE register_session_id IS NOT NULL;
-- The cash drawer report walks the money lines of all registers by time.
CREATE INDEX account_lines_money_posted_idx ON account_lines (posted_at) WHERE payment_type IS NOT NULL;

-- Money enters only an open session of a register in use; a cash-up's own surplus or deficit line may join
-- the session being counted. (Archiving locks the open session, so a writer that got past its own check
-- before the archive committed is stopped here.)
CREATE FUNCTION fiscus_account_lines_session_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    session_status text;
    register_archived boolean;
BEGIN
    IF NEW.register_session_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT s.status, r.archived INTO session_status, register_archived
    FROM register_sessions s JOIN cash_registers r ON r.cash_register_id = s.cash_register_id
    WHERE s.register_session_id = NEW.register_session_id;
    IF register_archived THEN
        RAISE EXCEPTION 'cash register % is archived; it takes no money', NEW.cash_register_id USING ERRCODE = 'FL004';
    END IF;
    IF session_status = 'open'
       OR (session_status = 'counting' AND COALESCE(NEW.credit_type_code, NEW.debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT')) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'register session % is %; money can only be journaled to the open session', NEW.register_session_id, session_status
        USING ERRCODE = 'FL003';
END;
$$;
CREATE TRIGGER account_lines_session_open BEFORE INSERT ON account_lines
    FOR EACH ROW EXECUTE FUNCTION fiscus_account_lines_session_open();

-- A cash-up closes one session: started (two-phase) or started and completed at once. Completed cash-ups
-- are immutable; their summary is frozen as counted.
CREATE TABLE cashups (
    cashup_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cash_register_id integer NOT NULL REFERENCES cash_registers (cash_register_id),
    register_session_id bigint NOT NULL,
    user_id bigint REFERENCES staff_users (user_id),
    api_client_id bigint REFERENCES api_clients (api_client_id),
    started_at timestamptz NOT NULL,
    completed_at timestamptz,
    -- What was actually taken over the session: expected net takings plus the differences counted.
    amount_minor bigint,
    note text CHECK (length(note) <= 1000),
    summary jsonb,
    CONSTRAINT cashups_session_key UNIQUE (register_session_id),
    CONSTRAINT cashups_session_fkey FOREIGN KEY (register_session_id, cash_register_id)
        REFERENCES register_sessions (register_session_id, cash_register_id),
    CONSTRAINT cashups_completed_whole CHECK ((completed_at IS NULL) = (amount_minor IS NULL) AND (completed_at IS NULL) = (summary IS NULL))
);
CREATE INDEX cashups_register_idx ON cashups (cash_register_id, cashup_id DESC);
CREATE INDEX cashups_completed_idx ON cashups (completed_at) WHERE completed_at IS NOT NULL;

CREATE FUNCTION fiscus_cashups_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.completed_at IS NOT NULL
       OR NEW.cashup_id <> OLD.cashup_id OR NEW.register_session_id <> OLD.register_session_id
       OR NEW.started_at <> OLD.started_at THEN
        RAISE EXCEPTION 'cash-up %: a completed cash-up cannot change', OLD.cashup_id USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER cashups_guard BEFORE UPDATE OR DELETE ON cashups FOR EACH ROW EXECUTE FUNCTION fiscus_cashups_guard();

CREATE TABLE cashup_reconciliations (
    cashup_id bigint NOT NULL REFERENCES cashups (cashup_id),
    payment_type text NOT NULL REFERENCES payment_types (code),
    expected_minor bigint NOT NULL,
    counted_minor bigint NOT NULL CHECK (counted_minor BETWEEN -1000000000000 AND 1000000000000),
    difference_minor bigint GENERATED ALWAYS AS (counted_minor - expected_minor) STORED,
    note text CHECK (length(note) <= 1000),
    -- The CASHUP_SURPLUS credit or CASHUP_DEFICIT debit that records the difference, if any.
    account_line_id bigint REFERENCES account_lines (account_line_id),
    PRIMARY KEY (cashup_id, payment_type),
    CONSTRAINT cashup_reconciliations_line_iff_difference CHECK ((counted_minor = expected_minor) = (account_line_id IS NULL))
);
CREATE TRIGGER cashup_reconciliations_no_change BEFORE UPDATE OR DELETE ON cashup_reconciliations
    FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change();

-- A point-of-sale sale: the PURCHASE credit that paid it, with what the customer handed over.
CREATE TABLE sales (
    sale_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cash_register_id integer NOT NULL REFERENCES cash_registers (cash_register_id),
    credit_id bigint NOT NULL UNIQUE REFERENCES account_lines (account_line_id),
    total_minor bigint NOT NULL CHECK (total_minor > 0),
    tendered_minor bigint CHECK (tendered_minor >= total_minor),
    change_minor bigint GENERATED ALWAYS AS (tendered_minor - total_minor) STORED,
    created_at timestamptz NOT NULL
);
CREATE TRIGGER sales_no_change BEFORE UPDATE OR DELETE ON sales FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change();

-- What every line and application did to its register session, appended by triggers as they are written,
-- so a session's totals (or a register's business day) are a sum over a few narrow rows instead of a walk
-- over lines, their offsets and the debits those paid. Kinds:
--   line    a line journaled to the session that moved no money (a sold item, a cash-up difference)
--   in/out  money into or out of the drawer, by payment type (count 1, amount positive)
--   income  what money taken paid for, by debit type (APPLY offsets; a void is the VOID payout where it happens,
--           so a session's history does not change afterwards)
--   payout  what paid money out: an APPLY to a PAYOUT or VOID debit, by credit type and the debit type it refunds
-- The verifier recomputes all of it from the lines and offsets.
CREATE TABLE register_movements (
    register_session_id bigint NOT NULL,
    cash_register_id integer NOT NULL,
    posted_at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('line', 'in', 'out', 'income', 'payout')),
    payment_type text,
    debit_type_code text,
    credit_type_code text,
    related_debit_type_code text,
    count integer NOT NULL,
    -- No foreign key: every movement comes from a line whose own key already ties it to its session.
    amount_minor bigint NOT NULL
);
CREATE INDEX register_movements_session_idx ON register_movements (register_session_id)
    INCLUDE (kind, payment_type, debit_type_code, credit_type_code, related_debit_type_code, count, amount_minor);
CREATE INDEX register_movements_register_posted_idx ON register_movements (cash_register_id, posted_at);
CREATE TRIGGER register_movements_no_change BEFORE UPDATE OR DELETE ON register_movements
    FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change();
CREATE TRIGGER register_movements_no_truncate BEFORE TRUNCATE ON register_movements
    FOR EACH STATEMENT EXECUTE FUNCTION fiscus_refuse_change();

-- (plpgsql, not SQL: its statements' plans are cached across calls, which a trigger called per row needs.)
CREATE FUNCTION fiscus_line_movement(l account_lines) RETURNS SETOF register_movements LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF l.register_session_id IS NULL THEN
        RETURN;
    END IF;
    IF l.payment_type IS NULL OR COALESCE(l.credit_type_code, l.debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at, 'line', NULL, NULL, NULL, NULL, 1, 0)::register_movements;
    ELSE
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at, CASE WHEN l.credit_type_code IS NOT NULL THEN 'in' ELSE 'out' END,
                        l.payment_type, NULL, NULL, NULL, 1, abs(l.amount_minor))::register_movements;
    END IF;
END;
$$;

CREATE FUNCTION fiscus_offset_movements(o account_offsets) RETURNS SETOF register_movements LANGUAGE plpgsql STABLE AS $$
DECLARE
    c account_lines;
    d account_lines;
BEGIN
    SELECT * INTO c FROM account_lines WHERE account_line_id = o.credit_id;
    SELECT * INTO d FROM account_lines WHERE account_line_id = o.debit_id;
    IF o.type <> 'APPLY' THEN
        RETURN;
    END IF;
    -- Money taken at a register paid for this debit.
    IF c.register_session_id IS NOT NULL AND c.payment_type IS NOT NULL AND c.credit_type_code <> 'CASHUP_SURPLUS'
       AND d.debit_type_code NOT IN ('PAYOUT', 'VOID') THEN
        RETURN NEXT ROW(c.register_session_id, c.cash_register_id, c.posted_at, 'income', NULL, d.debit_type_code, NULL, NULL,
                        1, -o.amount_minor)::register_movements;
    END IF;
    -- Money paid out of a register, and what for: the debit a refund names, or the debit type its refunded payment paid.
    IF d.register_session_id IS NOT NULL AND d.payment_type IS NOT NULL AND d.debit_type_code <> 'CASHUP_DEFICIT' THEN
        RETURN NEXT ROW(d.register_session_id, d.cash_register_id, d.posted_at, 'payout', NULL, d.debit_type_code, c.credit_type_code,
            (SELECT CASE WHEN count(DISTINCT x.debit_type_code) = 1 THEN min(x.debit_type_code) END
             FROM account_lines r
             LEFT JOIN account_offsets ro ON r.credit_type_code IS NOT NULL AND ro.credit_id = r.account_line_id AND ro.type = 'APPLY'
             JOIN account_lines x ON x.account_line_id = CASE WHEN r.debit_type_code IS NOT NULL THEN r.account_line_id ELSE ro.debit_id END
             WHERE r.account_line_id = c.related_account_line_id AND x.debit_type_code NOT IN ('PAYOUT', 'VOID')),
            1, -o.amount_minor)::register_movements;
    END IF;
END;
$$;

CREATE FUNCTION fiscus_account_lines_movement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO register_movements SELECT * FROM fiscus_line_movement(NEW);
    RETURN NULL;
END;
$$;
CREATE TRIGGER account_lines_movement AFTER INSERT ON account_lines
    FOR EACH ROW WHEN (NEW.register_session_id IS NOT NULL) EXECUTE FUNCTION fiscus_account_lines_movement();

CREATE FUNCTION fiscus_account_offsets_movements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO register_movements SELECT * FROM fiscus_offset_movements(NEW);
    RETURN NULL;
END;
$$;
CREATE TRIGGER account_offsets_movements AFTER INSERT ON account_offsets
    FOR EACH ROW WHEN (NEW.credit_id IS NOT NULL AND NEW.debit_id IS NOT NULL AND NEW.type = 'APPLY')
    EXECUTE FUNCTION fiscus_account_offsets_movements();

-- What was journaled to registers before this migration.
INSERT INTO register_movements SELECT m.* FROM account_lines l, fiscus_line_movement(l) m WHERE l.register_session_id IS NOT NULL;
INSERT INTO register_movements SELECT m.* FROM account_offsets o, fiscus_offset_movements(o) m
WHERE o.credit_id IS NOT NULL AND o.debit_id IS NOT NULL AND o.type = 'APPLY';
