-- Shifts and cash-ups are born open and close only through the update their guards check (0008 checks a shift's
-- frozen cash against its lines when it closes). Without these, a writer could insert a shift already closed with
-- made-up cash, a cash-up already completed with a made-up summary, or a reconciliation under a cash-up that was
-- counted long ago, and skip every check a close makes.
CREATE FUNCTION fiscus_shifts_born_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'open' THEN
        RAISE EXCEPTION 'a shift starts open; it closes by an update' USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION fiscus_cashups_born_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.completed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a cash-up starts uncompleted; it completes by an update' USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION fiscus_cashup_reconciliations_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT completed_at FROM cashups WHERE cashup_id = NEW.cashup_id) IS NOT NULL THEN
        RAISE EXCEPTION 'cash-up % is completed: its count cannot grow', NEW.cashup_id USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;

-- As every plpgsql function here (0008): the schema's own tables, never a temporary one.
DO $migration$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['fiscus_shifts_born_open()', 'fiscus_cashups_born_open()', 'fiscus_cashup_reconciliations_open()'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    END LOOP;
END
$migration$;

CREATE TRIGGER shifts_born_open BEFORE INSERT ON shifts FOR EACH ROW EXECUTE FUNCTION fiscus_shifts_born_open();
CREATE TRIGGER cashups_born_open BEFORE INSERT ON cashups FOR EACH ROW EXECUTE FUNCTION fiscus_cashups_born_open();
CREATE TRIGGER cashup_reconciliations_open BEFORE INSERT ON cashup_reconciliations
    FOR EACH ROW EXECUTE FUNCTION fiscus_cashup_reconciliations_open();
