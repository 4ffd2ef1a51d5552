-- Cashier shifts: a staff member's spell at one register's drawer, from the cash they start with to the
-- cash they count at the end, and the cash they pay into or out of the drawer in between.
--
-- A register has at most one open shift, and every money line journaled to that register while it is open
-- (the cashier's sales and payments, a manager's refund or void from that drawer) carries the shift's id,
-- stamped at insert under a share lock on the open shift (as register sessions are), so a shift's
-- expected cash is what its drawer took and gave, cut by transactions, not by comparing timestamps.

CREATE TABLE shifts (
    shift_id uuid PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES staff_users (user_id),
    cash_register_id integer NOT NULL REFERENCES cash_registers (cash_register_id),
    status text NOT NULL CHECK (status IN ('open', 'closed')),
    start_cash_minor bigint NOT NULL CHECK (start_cash_minor BETWEEN 0 AND 1000000000000),
    start_time timestamptz NOT NULL,
    end_time timestamptz,
    -- Frozen at the end: what the drawer should hold, what was counted, and who counted it (the cashier, or
    -- a manager closing a shift left open).
    expected_cash_end_minor bigint,
    actual_cash_end_minor bigint CHECK (actual_cash_end_minor BETWEEN 0 AND 1000000000000),
    ended_by_user_id bigint REFERENCES staff_users (user_id),
    -- What the expectation was made of, frozen with it (a payment type's counts_as_cash may change later).
    cash_in_minor bigint,
    cash_out_minor bigint,
    cash_payments_minor bigint,
    cash_refunds_minor bigint,
    CONSTRAINT shifts_closed_whole CHECK (
        (status = 'closed') = (end_time IS NOT NULL) AND (status = 'closed') = (expected_cash_end_minor IS NOT NULL)
        AND (status = 'closed') = (actual_cash_end_minor IS NOT NULL) AND (status = 'closed') = (ended_by_user_id IS NOT NULL)
        AND (status = 'closed') = (cash_in_minor IS NOT NULL AND cash_out_minor IS NOT NULL AND cash_payments_minor IS NOT NULL
                                   AND cash_refunds_minor IS NOT NULL)),
    CONSTRAINT shifts_expected_adds_up CHECK (
        expected_cash_end_minor = start_cash_minor + cash_in_minor - cash_out_minor + cash_payments_minor - cash_refunds_minor)
);
-- One open shift per cashier, and one per drawer: a count is only meaningful for one person's drawer.
CREATE UNIQUE INDEX shifts_one_open_per_user ON shifts (user_id) WHERE status = 'open';
CREATE UNIQUE INDEX shifts_one_open_per_register ON shifts (cash_register_id) WHERE status = 'open';
CREATE INDEX shifts_start_time_idx ON shifts (start_time);

-- A shift is opened, then closed once; a closed shift never changes.
CREATE FUNCTION fiscus_shifts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status = 'closed'
       OR (to_jsonb(NEW) - 'status' - 'end_time' - 'expected_cash_end_minor' - 'actual_cash_end_minor' - 'ended_by_user_id'
                         - 'cash_in_minor' - 'cash_out_minor' - 'cash_payments_minor' - 'cash_refunds_minor')
          IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'end_time' - 'expected_cash_end_minor' - 'actual_cash_end_minor' - 'ended_by_user_id'
                            - 'cash_in_minor' - 'cash_out_minor' - 'cash_payments_minor' - 'cash_refunds_minor') THEN
        RAISE EXCEPTION 'shift %: a shift only closes, once', OLD.shift_id USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER shifts_guard BEFORE UPDATE OR DELETE ON shifts FOR EACH ROW EXECUTE FUNCTION fiscus_shifts_guard();

-- Cash paid into or out of the drawer during a shift (the dialect's cash transactions). The money itself is a
-- PAID_IN credit or PAID_OUT debit journaled to the register; this row keeps what the cashier said about it.
CREATE TABLE shift_cash_transactions (
    cash_transaction_id uuid PRIMARY KEY,
    shift_id uuid NOT NULL REFERENCES shifts (shift_id),
    account_line_id bigint NOT NULL UNIQUE REFERENCES account_lines (account_line_id),
    type text NOT NULL CHECK (type IN ('cash_in', 'cash_out')),
    category text NOT NULL CHECK (length(category) BETWEEN 1 AND 50),
    description text CHECK (length(description) <= 1000),
    user_id bigint NOT NULL REFERENCES staff_users (user_id),
    created_at timestamptz NOT NULL
);
CREATE INDEX shift_cash_transactions_shift_idx ON shift_cash_transactions (shift_id, created_at);
CREATE TRIGGER shift_cash_transactions_no_change BEFORE UPDATE OR DELETE ON shift_cash_transactions
    FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change();

ALTER TABLE account_lines ADD COLUMN shift_id uuid REFERENCES shifts (shift_id);
ALTER TABLE account_lines ADD CONSTRAINT account_lines_shift_has_register
    CHECK (shift_id IS NULL OR (cash_register_id IS NOT NULL AND payment_type IS NOT NULL));
CREATE INDEX account_lines_shift_idx ON account_lines (shift_id) WHERE shift_id IS NOT NULL;

-- Stamps a money line journaled to a register with the register's open shift, whoever writes it. The share
-- lock makes ending the shift wait for lines already on their way in; lines after it find no open shift.
-- Cash-up differences are the register's, not the shift's.
CREATE FUNCTION fiscus_account_lines_shift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.shift_id := NULL;
    IF NEW.payment_type IS NOT NULL AND COALESCE(NEW.credit_type_code, NEW.debit_type_code) NOT IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN
        SELECT shift_id INTO NEW.shift_id FROM shifts WHERE cash_register_id = NEW.cash_register_id AND status = 'open' FOR SHARE;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER account_lines_shift BEFORE INSERT ON account_lines
    FOR EACH ROW WHEN (NEW.cash_register_id IS NOT NULL) EXECUTE FUNCTION fiscus_account_lines_shift();

-- Paid in and paid out are drawer movements of their own: they change the cash expected in the drawer but
-- are neither takings nor payouts to customers.
ALTER TABLE register_movements DROP CONSTRAINT register_movements_kind_check;
ALTER TABLE register_movements ADD CONSTRAINT register_movements_kind_check
    CHECK (kind IN ('line', 'in', 'out', 'paid_in', 'paid_out', 'income', 'payout'));

CREATE OR REPLACE FUNCTION fiscus_line_movement(l account_lines) RETURNS SETOF register_movements LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF l.register_session_id IS NULL THEN
        RETURN;
    END IF;
    IF l.payment_type IS NULL OR COALESCE(l.credit_type_code, l.debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at, 'line', NULL, NULL, NULL, NULL, 1, 0)::register_movements;
    ELSE
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at,
                        CASE WHEN l.credit_type_code = 'PAID_IN' THEN 'paid_in' WHEN l.debit_type_code = 'PAID_OUT' THEN 'paid_out'
                             WHEN l.credit_type_code IS NOT NULL THEN 'in' ELSE 'out' END,
                        l.payment_type, NULL, NULL, NULL, 1, abs(l.amount_minor))::register_movements;
    END IF;
END;
$$;

-- The types the cash movements are written with, for installations seeded before they existed (a new
-- installation gets them from its seed).
INSERT INTO credit_types (code, description, can_be_added_manually, is_system, created_at, updated_at)
SELECT 'PAID_IN', 'Cash paid into a drawer', false, true, now(), now() WHERE EXISTS (SELECT 1 FROM installation)
ON CONFLICT (code) DO NOTHING;
INSERT INTO debit_types (code, description, can_be_sold, can_be_invoiced, is_system, created_at, updated_at)
SELECT 'PAID_OUT', 'Cash paid out of a drawer', false, false, true, now(), now() WHERE EXISTS (SELECT 1 FROM installation)
ON CONFLICT (code) DO NOTHING;
