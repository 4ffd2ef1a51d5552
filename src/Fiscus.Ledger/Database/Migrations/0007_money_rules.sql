-- Money rules a bug in C# must not be able to break, and what a line means for a drawer, frozen when it is written.
--
-- 1. counts_as_cash on every line (and on the register movements made from it): whether the money was cash in a
--    drawer when the line was written. Summaries and shifts read it from there, so a later edit of a payment
--    type's counts_as_cash never rewrites the expected cash of a session or a shift that already took the money.
-- 2. The shape of a money line (LineTypes in Fiscus.Ledger says the same): a credit either brings money in
--    (PAYMENT, PURCHASE, PAID_IN, CASHUP_SURPLUS: it names a payment type) or is an adjustment (anything else: no
--    payment type, no register); a debit either takes money out (PAYOUT, PAID_OUT and CASHUP_DEFICIT name a
--    payment type; a VOID names the one of the credit it voids, if any) or is a charge (no payment type). Cash goes
--    through a register. A typeless PAYMENT (a write-off in disguise) or a charge carrying a payment type (money
--    leaving a drawer disguised as a fee) is refused by PostgreSQL itself.
-- The rules are checked when a line is inserted: lines written before this migration keep their history and can
-- still be voided, refunded and paid as before.

ALTER TABLE account_lines ADD COLUMN counts_as_cash boolean NOT NULL DEFAULT false;
ALTER TABLE register_movements ADD COLUMN counts_as_cash boolean NOT NULL DEFAULT false;

-- History: what the summaries said until now (the payment type's current flag). The guards refuse changes to
-- these append-only rows, so they step aside for this one backfill.
ALTER TABLE account_lines DISABLE TRIGGER account_lines_guard_update;
UPDATE account_lines l SET counts_as_cash = true
FROM payment_types p WHERE p.code = l.payment_type AND p.counts_as_cash;
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE account_lines ENABLE TRIGGER account_lines_guard_update;

ALTER TABLE register_movements DISABLE TRIGGER register_movements_no_change;
UPDATE register_movements m SET counts_as_cash = true
FROM payment_types p WHERE p.code = m.payment_type AND p.counts_as_cash AND m.kind IN ('in', 'out', 'paid_in', 'paid_out');
ALTER TABLE register_movements ENABLE TRIGGER register_movements_no_change;

-- The first line the shape rules below apply to, so that `fiscus verify` holds older lines to the rules of their day.
CREATE TABLE ledger_rules (
    name text PRIMARY KEY,
    from_account_line_id bigint NOT NULL
);
INSERT INTO ledger_rules (name, from_account_line_id) SELECT 'money_rules', COALESCE(max(account_line_id), 0) + 1 FROM account_lines;
CREATE TRIGGER ledger_rules_no_change BEFORE UPDATE OR DELETE ON ledger_rules FOR EACH ROW EXECUTE FUNCTION fiscus_refuse_change();

-- SQLSTATE FL005: a line of the wrong shape (a bug). FL006: cash without a drawer, which a payment racing an edit
-- of its payment type's counts_as_cash can meet: the request is refused and may be sent again.
CREATE FUNCTION fiscus_account_lines_money_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.payment_type IS NULL THEN
        NEW.counts_as_cash := false;
    ELSIF NEW.debit_type_code = 'VOID' AND NEW.related_account_line_id IS NOT NULL THEN
        -- A void sends back out what its credit brought in, as that credit counted it.
        SELECT counts_as_cash INTO NEW.counts_as_cash FROM account_lines WHERE account_line_id = NEW.related_account_line_id;
    ELSE
        SELECT counts_as_cash INTO NEW.counts_as_cash FROM payment_types WHERE code = NEW.payment_type;
    END IF;
    NEW.counts_as_cash := COALESCE(NEW.counts_as_cash, false);

    IF NEW.credit_type_code IN ('PAYMENT', 'PURCHASE', 'PAID_IN', 'CASHUP_SURPLUS') THEN
        IF NEW.payment_type IS NULL THEN
            RAISE EXCEPTION 'a % credit brings money in and must name its payment type', NEW.credit_type_code USING ERRCODE = 'FL005';
        END IF;
    ELSIF NEW.credit_type_code IS NOT NULL THEN
        IF NEW.payment_type IS NOT NULL OR NEW.cash_register_id IS NOT NULL THEN
            RAISE EXCEPTION 'a % credit moves no money: it takes no payment type and no register', NEW.credit_type_code USING ERRCODE = 'FL005';
        END IF;
    ELSIF NEW.debit_type_code IN ('PAYOUT', 'PAID_OUT', 'CASHUP_DEFICIT') THEN
        IF NEW.payment_type IS NULL THEN
            RAISE EXCEPTION 'a % debit takes money out and must name its payment type', NEW.debit_type_code USING ERRCODE = 'FL005';
        END IF;
    ELSIF NEW.debit_type_code <> 'VOID' AND NEW.payment_type IS NOT NULL THEN
        RAISE EXCEPTION 'a % debit is a charge: it takes no payment type', NEW.debit_type_code USING ERRCODE = 'FL005';
    END IF;

    IF NEW.counts_as_cash AND NEW.cash_register_id IS NULL THEN
        RAISE EXCEPTION 'payment type % counts as cash: the line must go through a cash register', NEW.payment_type USING ERRCODE = 'FL006';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER account_lines_money_rules BEFORE INSERT ON account_lines
    FOR EACH ROW EXECUTE FUNCTION fiscus_account_lines_money_rules();

-- The movements carry the line's counts_as_cash (drawer movements only; what money paid for is not in a drawer).
CREATE OR REPLACE FUNCTION fiscus_line_movement(l account_lines) RETURNS SETOF register_movements LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF l.register_session_id IS NULL THEN
        RETURN;
    END IF;
    IF l.payment_type IS NULL OR COALESCE(l.credit_type_code, l.debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') THEN
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at, 'line', NULL, NULL, NULL, NULL, 1, 0, false)::register_movements;
    ELSE
        RETURN NEXT ROW(l.register_session_id, l.cash_register_id, l.posted_at,
                        CASE WHEN l.credit_type_code = 'PAID_IN' THEN 'paid_in' WHEN l.debit_type_code = 'PAID_OUT' THEN 'paid_out'
                             WHEN l.credit_type_code IS NOT NULL THEN 'in' ELSE 'out' END,
                        l.payment_type, NULL, NULL, NULL, 1, abs(l.amount_minor), l.counts_as_cash)::register_movements;
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
                        1, -o.amount_minor, false)::register_movements;
    END IF;
    IF d.register_session_id IS NOT NULL AND d.payment_type IS NOT NULL AND d.debit_type_code <> 'CASHUP_DEFICIT' THEN
        RETURN NEXT ROW(d.register_session_id, d.cash_register_id, d.posted_at, 'payout', NULL, d.debit_type_code, c.credit_type_code,
            (SELECT CASE WHEN count(DISTINCT x.debit_type_code) = 1 THEN min(x.debit_type_code) END
             FROM account_lines r
             LEFT JOIN account_offsets ro ON r.credit_type_code IS NOT NULL AND ro.credit_id = r.account_line_id AND ro.type = 'APPLY'
             JOIN account_lines x ON x.account_line_id = CASE WHEN r.debit_type_code IS NOT NULL THEN r.account_line_id ELSE ro.debit_id END
             WHERE r.account_line_id = c.related_account_line_id AND x.debit_type_code NOT IN ('PAYOUT', 'VOID')),
            1, -o.amount_minor, false)::register_movements;
    END IF;
END;
$$;

-- Summaries group a session's movements by payment type and whether they counted as cash.
DROP INDEX register_movements_session_idx;
CREATE INDEX register_movements_session_idx ON register_movements (register_session_id)
    INCLUDE (kind, payment_type, debit_type_code, credit_type_code, related_debit_type_code, count, amount_minor, counts_as_cash);
