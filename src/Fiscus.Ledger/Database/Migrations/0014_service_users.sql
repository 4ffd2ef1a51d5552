-- Every API client has a service user (issue 14). Koha's cash-up names who counted it by manager_id, an integer
-- that is always there; a cash-up done by an API client (a kiosk, an integration) needs a user to name too. A service
-- user is a staff_users row that stands for one client and is nobody: it has no password, no role, is born disabled,
-- has a username no sign-in accepts (api-client:<id>: a colon, which no staff username may hold), and never changes
-- afterwards. Only the trigger below creates one, as the client is inserted, in the client's transaction: the
-- server's role may not insert is_service_user nor choose a client's service_user_id (RuntimePrivileges).

ALTER TABLE staff_users ADD COLUMN is_service_user boolean NOT NULL DEFAULT false;
ALTER TABLE staff_users ALTER COLUMN password_hash DROP NOT NULL, ALTER COLUMN role DROP NOT NULL;
ALTER TABLE staff_users DROP CONSTRAINT staff_users_username_check;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_username_check CHECK (
    CASE WHEN is_service_user THEN username ~ '^api-client:[0-9]{1,19}$' ELSE username ~ '^[A-Za-z0-9._@-]{1,64}$' END);
ALTER TABLE staff_users ADD CONSTRAINT staff_users_service_user_is_nobody CHECK (
    CASE WHEN is_service_user
         THEN password_hash IS NULL AND role IS NULL AND library_id IS NULL AND disabled_at IS NOT NULL
         ELSE password_hash IS NOT NULL AND role IS NOT NULL END);

ALTER TABLE api_clients ADD COLUMN service_user_id bigint REFERENCES staff_users (user_id);

-- The clients that exist get theirs now, dated as the client was created.
WITH made AS (
    INSERT INTO staff_users (user_uuid, username, password_hash, role, library_id, disabled_at, is_service_user,
                             created_at, updated_at, password_changed_at)
    SELECT gen_random_uuid(), 'api-client:' || api_client_id, NULL, NULL, NULL, created_at, true, created_at, created_at, created_at
    FROM api_clients
    RETURNING user_id, username)
UPDATE api_clients c SET service_user_id = made.user_id FROM made WHERE made.username = 'api-client:' || c.api_client_id;

ALTER TABLE api_clients ALTER COLUMN service_user_id SET NOT NULL;
ALTER TABLE api_clients ADD CONSTRAINT api_clients_service_user_key UNIQUE (service_user_id);

-- Every cash-up names who counted it (Koha's manager_id): a staff user, or a client and so its service user.
ALTER TABLE cashups ADD CONSTRAINT cashups_counted_by_someone CHECK (user_id IS NOT NULL OR api_client_id IS NOT NULL);

-- A client's service user is made with the client and stays its own. SECURITY DEFINER: the server's role cannot
-- write a service user itself, only have one made for a client it creates.
CREATE FUNCTION fiscus_api_clients_service_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.service_user_id IS NOT NULL THEN
            RAISE EXCEPTION 'api client %: its service user is made with it, not chosen', NEW.api_client_id USING ERRCODE = 'FL001';
        END IF;
        INSERT INTO staff_users (user_uuid, username, password_hash, role, library_id, disabled_at, is_service_user,
                                 created_at, updated_at, password_changed_at)
        VALUES (gen_random_uuid(), 'api-client:' || NEW.api_client_id, NULL, NULL, NULL, NEW.created_at, true,
                NEW.created_at, NEW.created_at, NEW.created_at)
        RETURNING user_id INTO NEW.service_user_id;
    ELSIF NEW.service_user_id IS DISTINCT FROM OLD.service_user_id THEN
        RAISE EXCEPTION 'api client %: its service user cannot change', OLD.api_client_id USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER api_clients_service_user BEFORE INSERT OR UPDATE ON api_clients
    FOR EACH ROW EXECUTE FUNCTION fiscus_api_clients_service_user();

-- A service user never changes (no password, role or library can be given to it, and it stays disabled), and no user
-- becomes or stops being one.
CREATE FUNCTION fiscus_staff_users_service_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.is_service_user OR NEW.is_service_user THEN
        RAISE EXCEPTION 'user %: a service user stands for an API client and never changes', OLD.user_id USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER staff_users_service_fixed BEFORE UPDATE ON staff_users FOR EACH ROW EXECUTE FUNCTION fiscus_staff_users_service_fixed();

-- Nothing signs a service user in: no token is ever issued for one, whatever code asks.
CREATE FUNCTION fiscus_access_tokens_not_service() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NOT NULL AND EXISTS (SELECT 1 FROM staff_users WHERE user_id = NEW.user_id AND is_service_user) THEN
        RAISE EXCEPTION 'user %: a service user cannot sign in', NEW.user_id USING ERRCODE = 'FL001';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER access_tokens_not_service BEFORE INSERT ON access_tokens FOR EACH ROW EXECUTE FUNCTION fiscus_access_tokens_not_service();

-- As every plpgsql function here (0008): the schema's own tables, never a temporary one.
DO $migration$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['fiscus_api_clients_service_user()', 'fiscus_staff_users_service_fixed()',
                             'fiscus_access_tokens_not_service()'] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    END LOOP;
END
$migration$;
