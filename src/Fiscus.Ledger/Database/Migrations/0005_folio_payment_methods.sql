-- FOLIO's payment methods are Fiscus payment types; FOLIO files them under a fee/fine owner, which in
-- Fiscus is a library or a group of libraries.

-- Folding names needs Unicode normalization, which PostgreSQL does only in UTF8 databases. Say so plainly
-- rather than fail half-way with an error about collations.
DO $migration$
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE EXCEPTION 'Fiscus needs a UTF8 database, and this one is %', current_setting('server_encoding')
            USING HINT = 'Create a database with ENCODING ''UTF8'' (pg_dump this one and restore it there) and point FISCUS_DATABASE at it.';
    END IF;
END
$migration$;

-- Text compared as people read it: ignoring case and accents (FOLIO's default for CQL, and its UI's rule for
-- duplicate payment method names). Immutable and self-contained (no other function of ours, so a dump restores
-- its indexes whatever the search path), so indexes can use it.
CREATE FUNCTION fiscus_unaccent(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT regexp_replace(normalize(t, NFD), '[\u0300-\u036f]', '', 'g') $$;
-- lower() follows the collation, and in a database created with the C locale it lower-cases ASCII only ('É'
-- stays 'É'): lower-case with a Unicode-aware collation when the server has one (ICU's root locale, else
-- glibc's C.UTF-8), whatever the database's own locale.
DO $migration$
DECLARE
    unicode_case text := COALESCE((
        SELECT ' COLLATE ' || quote_ident(c.collname)
        FROM pg_collation c
        WHERE c.collname IN ('und-x-icu', 'C.utf8', 'C.UTF-8')
          AND c.collencoding IN (-1, (SELECT encoding FROM pg_database WHERE datname = current_database()))
        ORDER BY c.collname = 'und-x-icu' DESC, c.collname
        LIMIT 1), '');
BEGIN
    EXECUTE format($f$CREATE FUNCTION fiscus_lower(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $body$ SELECT lower(t%s) $body$ $f$, unicode_case);
    EXECUTE format($f$CREATE FUNCTION fiscus_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $body$ SELECT regexp_replace(normalize(lower(t%s), NFD), '[\u0300-\u036f]', '', 'g') $body$ $f$, unicode_case);
END
$migration$;

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
-- get their code appended first (and a number, should even that be taken), all but the first by code.
DO $migration$
DECLARE
    clash record;
    candidate text;
    n integer;
BEGIN
    FOR clash IN
        SELECT p.code, p.description, p.owner_id FROM payment_types p
        WHERE EXISTS (SELECT 1 FROM payment_types q
                      WHERE q.code < p.code AND q.owner_id IS NOT DISTINCT FROM p.owner_id
                        AND fiscus_fold(q.description) = fiscus_fold(p.description))
        ORDER BY p.code
    LOOP
        n := 1;
        LOOP
            candidate := left(clash.description, 200 - length(clash.code) - 16) || ' (' || clash.code
                         || CASE WHEN n = 1 THEN '' ELSE ' ' || n END || ')';
            EXIT WHEN NOT EXISTS (SELECT 1 FROM payment_types q
                                  WHERE q.owner_id IS NOT DISTINCT FROM clash.owner_id
                                    AND fiscus_fold(q.description) = fiscus_fold(candidate));
            n := n + 1;
        END LOOP;
        UPDATE payment_types SET description = candidate WHERE code = clash.code;
    END LOOP;
END
$migration$;
CREATE UNIQUE INDEX payment_types_owner_name_key
    ON payment_types (COALESCE(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), fiscus_fold(description));
