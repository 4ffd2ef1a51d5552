-- Cash-ups that reconcile with their session's lines, and money that says who wrote it and is dated when it is written.
--
-- A hostile review, working as the runtime role with `fiscus verify` still clean, (a) cashed up a register holding
-- 50.00 of cash takings as "CASH expected 0, counted 0" with no deficit line, closed the session and opened the next,
-- so the 50.00 left the books; and (b) wrote a 777.00 cash payout with neither a user nor a client, dated ten months
-- before its session opened, which changed a closed day's report. So, as PostgreSQL's own rules:
--
-- 1. Register sessions are born open (as shifts and cash-ups are since 0009) and move on only through a cash-up. At
--    commit (deferred constraint triggers, so the order of the statements does not matter): a session that went to
--    counting has its cash-up, a session that closed has its completed cash-up (one: cashups_session_key), and a
--    cash-up that completed has its session closed. A session's counting and closing times, once set, never change.
-- 2. A cash-up completes only as its session's lines say, recomputed here the way Cashups.CompleteAsync and
--    SessionSummary compute it, from each line's stamped counts_as_cash (0007), leaving the cash-up's own difference
--    lines aside:
--      expected of a payment type = the net (money in minus money out) of its lines that counted as cash, when any of
--                                   its lines in the session did; else the net of all its lines (a card's takings);
--    every payment type with a line that counted as cash is counted; each reconciliation's difference (counted minus
--    expected) is recorded by the one CASHUP_SURPLUS credit (above zero) or CASHUP_DEFICIT debit (below) of its
--    payment type and amount in the session that it names, a zero difference by none, and the session holds no other
--    surplus or deficit line; and amount_minor ("what was actually taken") is the net of the session's money lines
--    other than cash paid in or out, differences included (SessionSummary.TotalMinor plus the differences). A surplus
--    or deficit line can only be written while its session's cash-up is in progress. The frozen summary (jsonb) is
--    display data in C#'s shape and is not checked here; `fiscus verify` compares its figures with the lines.
-- 3. Every line names who wrote it: exactly one of a staff user and an API client. Every writer Fiscus has had does
--    (LedgerWriter, with the caller's LedgerActor); there is no system writer, import or CLI path that writes lines.
--    Existing lines are checked before the constraint is validated; should a line written by hand have neither, the
--    constraint stays NOT VALID (new lines are still held to it) and `fiscus verify` names the line.
-- 4. Nothing about money is dated before it is written. The server's clock (its TimeProvider) dates lines, sessions
--    and cash-ups; PostgreSQL takes a date up to fiscus_clock_tolerance() (5 minutes, for clock skew between hosts and
--    for retries) before the transaction began, never earlier (SQLSTATE FL007). On top of that, exactly, whatever
--    the clocks say: a register line is never dated before its session opened, and a session never opens before the
--    register's last one stopped taking money, nor stops or closes before it opened, so a line cannot be slipped into
--    a session already counted. A time within the tolerance before the one it must follow is moved up to it (a sale
--    that took its time just before a cash-up opened the session it then lands in, having waited for the cash-up's
--    lock; a session opened by one instance of Fiscus and counted by another whose clock is a little behind): that is
--    a race or two clocks, not a forgery. Further before is refused.
--    An auditor's reading: a line is in the period it was written in, give or take five minutes across a business
--    day's end, and never in a session already counted. Tests that move the server's clock (TestClock) move it
--    forward, which this allows; a frozen test clock lags the database's by the seconds a test class runs.
--    Future dates are not bounded (a test clock runs ahead by up to a day); `fiscus verify` checks lines against
--    their sessions from the first line written under this migration (ledger_rules 'dated_lines').
-- SQLSTATEs: FL001 born open / frozen times, FL007 backdated, FL008 a cash-up that does not reconcile or a session
-- closed without one, and 23514 (check_violation, account_lines_has_actor) a line with no one behind it.

CREATE FUNCTION fiscus_clock_tolerance() RETURNS interval LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT interval '5 minutes' $$;

CREATE FUNCTION fiscus_refuse_backdated(at timestamptz, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF at < transaction_timestamp() - fiscus_clock_tolerance() THEN
        RAISE EXCEPTION '% is dated %, before the transaction writing it began (%): money is dated when it is written',
            what, at, transaction_timestamp() USING ERRCODE = 'FL007';
    END IF;
END;
$$;

-- A time that must not come before another: a little before it (two hosts' clocks, a request that waited for a lock) is
-- moved up to it; further before it is refused.
CREATE FUNCTION fiscus_not_before(at timestamptz, earliest timestamptz, what text) RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
    IF at < earliest - fiscus_clock_tolerance() THEN
        RAISE EXCEPTION '%, at %', what, earliest USING ERRCODE = 'FL007';
    END IF;
    RETURN CASE WHEN at IS NULL THEN NULL ELSE GREATEST(at, earliest) END;
END;
$$;

-- 3. Who wrote the line.
ALTER TABLE account_lines ADD CONSTRAINT account_lines_has_actor CHECK ((user_id IS NULL) <> (api_client_id IS NULL)) NOT VALID;
DO $migration$
DECLARE
    actorless bigint;
BEGIN
    SELECT count(*) INTO actorless FROM account_lines WHERE (user_id IS NULL) = (api_client_id IS NULL);
    IF actorless = 0 THEN
        ALTER TABLE account_lines VALIDATE CONSTRAINT account_lines_has_actor;
    ELSE
        RAISE WARNING '% account lines name no single user or client (they were not written by Fiscus); `fiscus verify` lists them', actorless;
    END IF;
END
$migration$;

-- From this line on, `fiscus verify` holds lines to their session's opening (older ones may predate it: 0003 opened
-- every register's first session after the lines it took in).
INSERT INTO ledger_rules (name, from_account_line_id) SELECT 'dated_lines', COALESCE(max(account_line_id), 0) + 1 FROM account_lines;

-- Money enters only an open session of a register in use (a cash-up's own surplus or deficit line may join the session
-- being counted, and only then), under a share lock on the session as every writer in Fiscus takes it, so a cash-up
-- closing the session waits for the line (and counts it) or the line for the cash-up (and finds the session closed).
-- A line is dated no earlier than its session's opening, nor than the transaction writing it allows.
CREATE OR REPLACE FUNCTION fiscus_account_lines_session_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    session register_sessions%ROWTYPE;
    register_archived boolean;
    difference boolean := COALESCE(NEW.credit_type_code, NEW.debit_type_code) IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT');
BEGIN
    IF NEW.register_session_id IS NOT NULL THEN
        SELECT * INTO session FROM register_sessions WHERE register_session_id = NEW.register_session_id FOR SHARE;
        SELECT archived INTO register_archived FROM cash_registers WHERE cash_register_id = session.cash_register_id;
        IF register_archived THEN
            RAISE EXCEPTION 'cash register % is archived; it takes no money', NEW.cash_register_id USING ERRCODE = 'FL004';
        END IF;
        IF NOT (session.status = 'open' OR (session.status = 'counting' AND difference)) THEN
            RAISE EXCEPTION 'register session % is %; money can only be journaled to the open session', NEW.register_session_id, session.status
                USING ERRCODE = 'FL003';
        END IF;
        NEW.posted_at := fiscus_not_before(NEW.posted_at, session.opened_at,
            format('an account line dated %s would reach back before its register session %s opened', NEW.posted_at, NEW.register_session_id));
    END IF;
    IF difference AND NOT EXISTS (SELECT 1 FROM cashups WHERE register_session_id = NEW.register_session_id AND completed_at IS NULL) THEN
        RAISE EXCEPTION 'a % line records a cash-up''s count: register session % has no cash-up in progress',
            COALESCE(NEW.credit_type_code, NEW.debit_type_code), COALESCE(NEW.register_session_id::text, '(none)') USING ERRCODE = 'FL008';
    END IF;
    PERFORM fiscus_refuse_backdated(NEW.posted_at, 'an account line');
    RETURN NEW;
END;
$$;

-- 1. Born open, never before the register's last session stopped taking money.
CREATE FUNCTION fiscus_register_sessions_born_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_stopped timestamptz;
BEGIN
    IF NEW.status <> 'open' OR NEW.counting_started_at IS NOT NULL OR NEW.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a register session starts open; a cash-up counts and closes it' USING ERRCODE = 'FL001';
    END IF;
    PERFORM fiscus_refuse_backdated(NEW.opened_at, 'a register session');
    SELECT max(counting_started_at) INTO last_stopped FROM register_sessions WHERE cash_register_id = NEW.cash_register_id;
    NEW.opened_at := fiscus_not_before(NEW.opened_at, last_stopped,
        format('a session of register %s opening at %s would reach back before the last one stopped taking money', NEW.cash_register_id, NEW.opened_at));
    RETURN NEW;
END;
$$;
CREATE TRIGGER register_sessions_born_open BEFORE INSERT ON register_sessions
    FOR EACH ROW EXECUTE FUNCTION fiscus_register_sessions_born_open();

-- A session only moves forward (open -> counting -> closed, or open -> closed), is never deleted, and the times it
-- stopped taking money and closed are written once, in order, when it happens.
CREATE OR REPLACE FUNCTION fiscus_register_sessions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'register sessions are never deleted' USING ERRCODE = 'FL001';
    END IF;
    IF NEW.register_session_id <> OLD.register_session_id OR NEW.cash_register_id <> OLD.cash_register_id
       OR NEW.float_minor <> OLD.float_minor OR NEW.opened_at <> OLD.opened_at
       OR (OLD.counting_started_at IS NOT NULL AND NEW.counting_started_at IS DISTINCT FROM OLD.counting_started_at)
       OR (OLD.closed_at IS NOT NULL AND NEW.closed_at IS DISTINCT FROM OLD.closed_at)
       OR NOT ((OLD.status = NEW.status)
               OR (OLD.status = 'open' AND NEW.status IN ('counting', 'closed'))
               OR (OLD.status = 'counting' AND NEW.status = 'closed')) THEN
        RAISE EXCEPTION 'register session %: % -> % is not allowed', OLD.register_session_id, OLD.status, NEW.status
            USING ERRCODE = 'FL001';
    END IF;
    IF NEW.counting_started_at IS DISTINCT FROM OLD.counting_started_at THEN
        PERFORM fiscus_refuse_backdated(NEW.counting_started_at, format('the count of register session %s', NEW.register_session_id));
        NEW.counting_started_at := fiscus_not_before(NEW.counting_started_at, NEW.opened_at,
            format('register session %s would stop taking money at %s, before it opened', NEW.register_session_id, NEW.counting_started_at));
    END IF;
    IF NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        PERFORM fiscus_refuse_backdated(NEW.closed_at, format('the close of register session %s', NEW.register_session_id));
        NEW.closed_at := fiscus_not_before(NEW.closed_at, NEW.counting_started_at,
            format('register session %s would close at %s, before its count started', NEW.register_session_id, NEW.closed_at));
    END IF;
    RETURN NEW;
END;
$$;

-- At commit: counting means a cash-up has the session, closed means it completed.
CREATE FUNCTION fiscus_register_sessions_cashed_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    completed timestamptz;
BEGIN
    SELECT completed_at INTO completed FROM cashups WHERE register_session_id = NEW.register_session_id;
    IF NOT FOUND OR (NEW.status = 'closed' AND completed IS NULL) THEN
        RAISE EXCEPTION 'register session % went to % without a % cash-up of it', NEW.register_session_id, NEW.status,
            CASE WHEN NEW.status = 'closed' THEN 'completed' ELSE 'started' END USING ERRCODE = 'FL008';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER register_sessions_cashed_up AFTER UPDATE ON register_sessions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION fiscus_register_sessions_cashed_up();

-- Cash-ups start dated when they start (born open since 0009).
CREATE OR REPLACE FUNCTION fiscus_cashups_born_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.completed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a cash-up starts uncompleted; it completes by an update' USING ERRCODE = 'FL001';
    END IF;
    PERFORM fiscus_refuse_backdated(NEW.started_at, 'a cash-up');
    RETURN NEW;
END;
$$;

-- 2. At commit, a completed cash-up closed its session as the session's lines say.
CREATE FUNCTION fiscus_cashups_reconcile() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    session_status text;
    problem text;
BEGIN
    PERFORM fiscus_refuse_backdated(NEW.completed_at, format('the completion of cash-up %s', NEW.cashup_id));
    SELECT status INTO session_status FROM register_sessions WHERE register_session_id = NEW.register_session_id;
    IF session_status IS DISTINCT FROM 'closed' THEN
        RAISE EXCEPTION 'cash-up % completed, but its register session % is %', NEW.cashup_id, NEW.register_session_id, session_status
            USING ERRCODE = 'FL008';
    END IF;
    WITH lines AS (
        SELECT account_line_id, payment_type, amount_minor, counts_as_cash, COALESCE(credit_type_code, debit_type_code) AS type
        FROM account_lines WHERE register_session_id = NEW.register_session_id AND payment_type IS NOT NULL
    ), expected AS (
        SELECT payment_type, bool_or(counts_as_cash) AS cash,
               CASE WHEN bool_or(counts_as_cash) THEN COALESCE(-sum(amount_minor) FILTER (WHERE counts_as_cash), 0)
                    ELSE -sum(amount_minor) END AS amount_minor
        FROM lines WHERE type NOT IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT') GROUP BY payment_type
    ), differences AS (
        SELECT * FROM lines WHERE type IN ('CASHUP_SURPLUS', 'CASHUP_DEFICIT')
    ), counted AS (
        SELECT * FROM cashup_reconciliations WHERE cashup_id = NEW.cashup_id
    )
    SELECT p INTO problem FROM (
        SELECT format('%s was expected as %s, but the session''s lines say %s', c.payment_type, c.expected_minor, COALESCE(e.amount_minor, 0))
        FROM counted c LEFT JOIN expected e USING (payment_type) WHERE c.expected_minor <> COALESCE(e.amount_minor, 0)
        UNION ALL
        SELECT format('%s moved cash through the drawer and was not counted', e.payment_type)
        FROM expected e WHERE e.cash AND NOT EXISTS (SELECT 1 FROM counted c WHERE c.payment_type = e.payment_type)
        UNION ALL
        SELECT format('the %s difference of %s is not what line %s records', c.payment_type, c.difference_minor, COALESCE(c.account_line_id::text, '(none)'))
        FROM counted c LEFT JOIN differences d ON d.account_line_id = c.account_line_id
        WHERE c.difference_minor <> 0
          AND (d.account_line_id IS NULL OR d.payment_type <> c.payment_type OR d.amount_minor <> -c.difference_minor
               OR d.type <> CASE WHEN c.difference_minor > 0 THEN 'CASHUP_SURPLUS' ELSE 'CASHUP_DEFICIT' END)
        UNION ALL
        SELECT format('line %s (%s %s) records no count of this cash-up', d.account_line_id, d.type, d.payment_type)
        FROM differences d WHERE NOT EXISTS (SELECT 1 FROM counted c WHERE c.account_line_id = d.account_line_id)
        UNION ALL
        SELECT format('amount %s, but the session took %s, differences included', NEW.amount_minor, taken)
        FROM (SELECT COALESCE(-sum(amount_minor), 0) AS taken FROM lines WHERE type NOT IN ('PAID_IN', 'PAID_OUT')) t
        WHERE NEW.amount_minor <> taken
    ) problems (p) LIMIT 1;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'cash-up % does not reconcile with register session %: %', NEW.cashup_id, NEW.register_session_id, problem
            USING ERRCODE = 'FL008';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER cashups_reconcile AFTER UPDATE ON cashups DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.completed_at IS NULL AND NEW.completed_at IS NOT NULL) EXECUTE FUNCTION fiscus_cashups_reconcile();

-- As every plpgsql function here (0008): the schema's own tables, never a temporary one. CREATE OR REPLACE drops a
-- function's settings, so the replaced ones are pinned again too.
DO $migration$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['fiscus_refuse_backdated(timestamptz, text)', 'fiscus_not_before(timestamptz, timestamptz, text)',
                             'fiscus_account_lines_session_open()',
                             'fiscus_register_sessions_born_open()', 'fiscus_register_sessions_guard()', 'fiscus_register_sessions_cashed_up()',
                             'fiscus_cashups_born_open()', 'fiscus_cashups_reconcile()'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    END LOOP;
END
$migration$;
