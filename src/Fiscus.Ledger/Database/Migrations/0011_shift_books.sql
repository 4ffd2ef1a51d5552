-- What the register's books said its drawer held when a shift started, stamped by the database.
--
-- A shift's expected cash is built on the start cash its cashier declares (POS Kasir's formula), so a cashier who
-- declared 0.00 at a drawer whose books held 114.00 could take the 114.00 and still end balanced; only the next
-- cash-up showed the deficit, and nothing tied it to the shift (hostile review). Now every shift records, as it
-- starts, the register's expected cash in the drawer (its open session's float plus the cash its lines left there,
-- as SessionSummary.ExpectedCashInDrawerMinor computes it from the register movements), the session it read and the
-- last line of that session the figure counts, so `fiscus verify` can recompute it from the lines.
--
-- The trigger writes the figure whatever the writer sent, so the server's role cannot start a shift from books of
-- its own making (it cannot switch triggers off, and the function's search_path is fixed). It needs no SECURITY
-- DEFINER: it only reads, and locks a session row the runtime role may already lock.
--
-- Cut by transactions, not clocks: every line journaled to a register first share-locks the register's open session
-- (RegisterSessions.LockOpenForJournalAsync), so the exclusive lock taken here waits for lines on their way in, and
-- lines arriving later wait for this shift to commit and are then stamped with it (fiscus_account_lines_shift). So
-- the books at the start plus the shift's own cash are the register's books at its end, and a cash-up cannot
-- come between them (it is refused while a shift is open). Shifts started before this migration have no figure.

ALTER TABLE shifts
    ADD COLUMN books_cash_start_minor bigint,
    ADD COLUMN books_register_session_id bigint,
    ADD COLUMN books_through_line_id bigint REFERENCES account_lines (account_line_id),
    ADD CONSTRAINT shifts_books_session_fkey FOREIGN KEY (books_register_session_id, cash_register_id)
        REFERENCES register_sessions (register_session_id, cash_register_id),
    ADD CONSTRAINT shifts_books_whole CHECK (
        (books_cash_start_minor IS NULL) = (books_register_session_id IS NULL)
        AND (books_through_line_id IS NULL OR books_register_session_id IS NOT NULL));

CREATE FUNCTION fiscus_shifts_books_at_start() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    books_session bigint;
    session_float bigint;
BEGIN
    SELECT s.register_session_id, s.float_minor INTO books_session, session_float
    FROM register_sessions s WHERE s.cash_register_id = NEW.cash_register_id AND s.status = 'open'
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cash register % has no open session to start a shift from', NEW.cash_register_id USING ERRCODE = 'FL003';
    END IF;
    -- One statement, one snapshot: the figure and the line it counts up to agree.
    SELECT session_float + COALESCE((SELECT sum(CASE WHEN m.kind IN ('in', 'paid_in') THEN m.amount_minor ELSE -m.amount_minor END)
                                   FROM register_movements m WHERE m.register_session_id = books_session AND m.counts_as_cash), 0),
           (SELECT max(l.account_line_id) FROM account_lines l WHERE l.register_session_id = books_session)
    INTO NEW.books_cash_start_minor, NEW.books_through_line_id;
    NEW.books_register_session_id := books_session;
    RETURN NEW;
END;
$$;
-- As every plpgsql function here (0008): the schema's own tables, never a temporary one.
DO $migration$
BEGIN
    EXECUTE format('ALTER FUNCTION fiscus_shifts_books_at_start() SET search_path = pg_catalog, %I, pg_temp', current_schema());
END
$migration$;

-- Named to run after shifts_born_open (triggers fire in name order), which refuses a shift inserted closed first.
CREATE TRIGGER shifts_zz_books_at_start BEFORE INSERT ON shifts FOR EACH ROW EXECUTE FUNCTION fiscus_shifts_books_at_start();
