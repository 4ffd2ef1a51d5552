-- The ledger's triggers, out of the reach of the role that fires them.
--
-- 1. Every plpgsql function gets a fixed search_path. Without it a table name in a trigger is looked up in pg_temp
--    first, so the server's role could create a temporary account_lines, payment_types or register_sessions and
--    answer the triggers' own look-ups (erase a debt past the commit-time check, journal money into a closed
--    session, freeze cash as not cash). pg_temp is named last so it is searched last, and for tables only.
-- 2. Register movements are derived rows: only the triggers that derive them write them, as the schema's owner
--    (SECURITY DEFINER), and the server's role may no longer insert any (RuntimePrivileges).
-- 3. A shift's cash is frozen at its end as what its lines say, checked here, so no writer can close a shift as
--    balanced with made-up figures.

CREATE FUNCTION fiscus_shift_cash_matches_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cash_in bigint;
    cash_out bigint;
    payments bigint;
    refunds bigint;
BEGIN
    IF OLD.status = 'open' AND NEW.status = 'closed' THEN
        -- As CashierShifts.CashOfAsync computes it: the shift's lines that counted as cash when they were written.
        SELECT COALESCE(-sum(amount_minor) FILTER (WHERE credit_type_code = 'PAID_IN'), 0),
               COALESCE(sum(amount_minor) FILTER (WHERE debit_type_code = 'PAID_OUT'), 0),
               COALESCE(-sum(amount_minor) FILTER (WHERE credit_type_code <> 'PAID_IN'), 0),
               COALESCE(sum(amount_minor) FILTER (WHERE debit_type_code <> 'PAID_OUT'), 0)
        INTO cash_in, cash_out, payments, refunds
        FROM account_lines WHERE shift_id = NEW.shift_id AND counts_as_cash;
        IF (NEW.cash_in_minor, NEW.cash_out_minor, NEW.cash_payments_minor, NEW.cash_refunds_minor)
           IS DISTINCT FROM (cash_in, cash_out, payments, refunds) THEN
            RAISE EXCEPTION 'shift %: the cash frozen at its end (% in, % out, % payments, % refunds) is not what its lines say (% , %, %, %)',
                NEW.shift_id, NEW.cash_in_minor, NEW.cash_out_minor, NEW.cash_payments_minor, NEW.cash_refunds_minor,
                cash_in, cash_out, payments, refunds USING ERRCODE = 'FL001';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;
-- Named to run after shifts_guard (triggers fire in name order), which says what may change at all.
CREATE TRIGGER shifts_zz_cash_matches_lines BEFORE UPDATE ON shifts FOR EACH ROW EXECUTE FUNCTION fiscus_shift_cash_matches_lines();

ALTER FUNCTION fiscus_account_lines_movement() SECURITY DEFINER;
ALTER FUNCTION fiscus_account_offsets_movements() SECURITY DEFINER;

DO $migration$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = current_schema()::regnamespace AND l.lanname = 'plpgsql'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    END LOOP;
END
$migration$;
