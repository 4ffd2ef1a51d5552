-- Patron accounts: the offset rules, the ledger's own consistency check, external references and
-- idempotency keys that a request claims before it writes money.
--
-- Offset conventions (Koha's, made consistent):
--   CREATE  one per line, on its own side (debit_id or credit_id), amount = the line's amount.
--   APPLY   credit_id and debit_id, amount < 0: how much of the credit went to the debit.
--   VOID    credit_id and debit_id, amount > 0: an application reversed (the debit owes it again).
-- So, for every line at every commit:
--   debit outstanding  = sum(amount) of its offsets
--   credit outstanding = its CREATE amount - sum(amount) of its APPLY and VOID offsets

-- The line a line answers: the credit a VOID debit voids, the debit a CANCELLATION credit cancels, the
-- payment a REFUND credit refunds, the credit a PAYOUT pays out. Immutable like every other column.
ALTER TABLE account_lines ADD COLUMN related_account_line_id bigint REFERENCES account_lines (account_line_id);
CREATE INDEX account_lines_related_idx ON account_lines (related_account_line_id) WHERE related_account_line_id IS NOT NULL;

-- Oldest outstanding debits first, the order payments are applied in.
CREATE INDEX account_lines_outstanding_debits_idx ON account_lines (patron_id, account_line_id)
    WHERE debit_type_code IS NOT NULL AND amount_outstanding_minor > 0;

-- A caller's own transaction reference is recorded once: a second payment with the same external_id
-- from the same user or client cannot be written, whatever path it takes.
CREATE UNIQUE INDEX account_lines_client_external_id_key ON account_lines (api_client_id, external_id)
    WHERE external_id IS NOT NULL AND credit_type_code IS NOT NULL AND api_client_id IS NOT NULL;
CREATE UNIQUE INDEX account_lines_user_external_id_key ON account_lines (user_id, external_id)
    WHERE external_id IS NOT NULL AND credit_type_code IS NOT NULL AND api_client_id IS NULL;

ALTER TABLE account_offsets ADD CONSTRAINT account_offsets_shape CHECK (
       (type = 'CREATE' AND (credit_id IS NULL) <> (debit_id IS NULL) AND amount_minor <> 0)
    OR (type = 'APPLY' AND credit_id IS NOT NULL AND debit_id IS NOT NULL AND amount_minor < 0)
    OR (type = 'VOID' AND credit_id IS NOT NULL AND debit_id IS NOT NULL AND amount_minor > 0));

-- An offset's debit side must be a debit and its credit side a credit, and an application never crosses
-- from one patron's account to another's (a counter sale's lines have no patron on either side).
CREATE FUNCTION fiscus_account_offsets_validate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debit account_lines%ROWTYPE;
    credit account_lines%ROWTYPE;
BEGIN
    IF NEW.debit_id IS NOT NULL THEN
        SELECT * INTO debit FROM account_lines WHERE account_line_id = NEW.debit_id;
        IF debit.debit_type_code IS NULL THEN
            RAISE EXCEPTION 'offset %: line % is not a debit', NEW.account_offset_id, NEW.debit_id USING ERRCODE = 'FL002';
        END IF;
    END IF;
    IF NEW.credit_id IS NOT NULL THEN
        SELECT * INTO credit FROM account_lines WHERE account_line_id = NEW.credit_id;
        IF credit.credit_type_code IS NULL THEN
            RAISE EXCEPTION 'offset %: line % is not a credit', NEW.account_offset_id, NEW.credit_id USING ERRCODE = 'FL002';
        END IF;
    END IF;
    IF NEW.type = 'CREATE' AND COALESCE(debit.amount_minor, credit.amount_minor) <> NEW.amount_minor THEN
        RAISE EXCEPTION 'offset %: CREATE amount % is not the line''s amount', NEW.account_offset_id, NEW.amount_minor
            USING ERRCODE = 'FL002';
    END IF;
    IF NEW.type <> 'CREATE' AND debit.patron_id IS DISTINCT FROM credit.patron_id THEN
        RAISE EXCEPTION 'offset %: lines % and % belong to different accounts', NEW.account_offset_id, NEW.credit_id, NEW.debit_id
            USING ERRCODE = 'FL002';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER account_offsets_validate AFTER INSERT ON account_offsets
    FOR EACH ROW EXECUTE FUNCTION fiscus_account_offsets_validate();

-- The invariant the whole ledger rests on, checked by PostgreSQL for every line a transaction touched,
-- when it commits: exactly one CREATE offset, and an outstanding amount equal to what the offsets say.
CREATE FUNCTION fiscus_check_account_line(line_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    line account_lines%ROWTYPE;
    creates integer;
    expected bigint;
BEGIN
    SELECT * INTO line FROM account_lines WHERE account_line_id = line_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF line.debit_type_code IS NOT NULL THEN
        SELECT count(*) FILTER (WHERE type = 'CREATE'), COALESCE(sum(amount_minor), 0)
        INTO creates, expected
        FROM account_offsets WHERE debit_id = line_id;
    ELSE
        SELECT count(*) FILTER (WHERE type = 'CREATE'),
               COALESCE(sum(CASE WHEN type = 'CREATE' THEN amount_minor ELSE -amount_minor END), 0)
        INTO creates, expected
        FROM account_offsets WHERE credit_id = line_id;
    END IF;
    IF creates <> 1 THEN
        RAISE EXCEPTION 'account line % has % CREATE offsets', line_id, creates USING ERRCODE = 'FL002';
    END IF;
    IF expected <> line.amount_outstanding_minor THEN
        RAISE EXCEPTION 'account line %: outstanding % but its offsets say %', line_id, line.amount_outstanding_minor, expected
            USING ERRCODE = 'FL002';
    END IF;
END;
$$;

CREATE FUNCTION fiscus_account_lines_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'account_lines' THEN
        PERFORM fiscus_check_account_line(NEW.account_line_id);
    ELSE
        IF NEW.debit_id IS NOT NULL THEN
            PERFORM fiscus_check_account_line(NEW.debit_id);
        END IF;
        IF NEW.credit_id IS NOT NULL THEN
            PERFORM fiscus_check_account_line(NEW.credit_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER account_lines_balanced AFTER INSERT OR UPDATE ON account_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fiscus_account_lines_balanced();
CREATE CONSTRAINT TRIGGER account_offsets_balanced AFTER INSERT ON account_offsets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fiscus_account_lines_balanced();

-- A request claims its key first (the row is written before the money, in the same transaction), so a
-- racing twin waits on the key and then answers with the winner's stored response.
ALTER TABLE idempotency_keys ALTER COLUMN status_code DROP NOT NULL;
ALTER TABLE idempotency_keys ALTER COLUMN response_body DROP NOT NULL;
ALTER TABLE idempotency_keys ADD COLUMN request_method text;
ALTER TABLE idempotency_keys ADD COLUMN request_path text;
ALTER TABLE idempotency_keys ADD COLUMN response_location text;
