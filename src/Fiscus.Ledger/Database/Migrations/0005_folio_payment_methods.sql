-- FOLIO's payment methods are Fiscus payment types; FOLIO files them under a fee/fine owner, which in
-- Fiscus is a library or a group of libraries.

-- Text compared as people read it: ignoring case and accents (FOLIO's default for CQL, and its UI's rule for
-- duplicate payment method names). Immutable and self-contained (no other function of ours, so a dump restores
-- its indexes whatever the search path), so indexes can use it.
CREATE FUNCTION fiscus_unaccent(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT regexp_replace(normalize(t, NFD), '[\u0300-\u036f]', '', 'g') $$;
CREATE FUNCTION fiscus_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT regexp_replace(normalize(lower(t), NFD), '[\u0300-\u036f]', '', 'g') $$;

CREATE TABLE fee_fine_owners (
    owner_id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX fee_fine_owners_name_key ON fee_fine_owners (fiscus_fold(name));

-- A library belongs to at most one owner.
ALTER TABLE libraries ADD COLUMN owner_id uuid REFERENCES fee_fine_owners (owner_id);

ALTER TABLE payment_types ADD COLUMN owner_id uuid REFERENCES fee_fine_owners (owner_id);
-- Who created and last changed it (FOLIO's metadata), and a version for optimistic locking (the FOLIO ETag).
ALTER TABLE payment_types ADD COLUMN created_by_uuid uuid;
ALTER TABLE payment_types ADD COLUMN created_by_name text;
ALTER TABLE payment_types ADD COLUMN updated_by_uuid uuid;
ALTER TABLE payment_types ADD COLUMN updated_by_name text;
ALTER TABLE payment_types ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE FUNCTION fiscus_payment_types_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;
CREATE TRIGGER payment_types_version BEFORE UPDATE ON payment_types FOR EACH ROW EXECUTE FUNCTION fiscus_payment_types_version();

-- One name per owner, ignoring case and accents (FOLIO only checks this in its UI). Names that already clash
-- get their code appended first.
UPDATE payment_types p SET description = left(p.description, 190) || ' (' || left(p.code, 7) || ')'
WHERE EXISTS (SELECT 1 FROM payment_types q
              WHERE q.code < p.code AND q.owner_id IS NOT DISTINCT FROM p.owner_id AND fiscus_fold(q.description) = fiscus_fold(p.description));
CREATE UNIQUE INDEX payment_types_owner_name_key
    ON payment_types (COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), fiscus_fold(description));
