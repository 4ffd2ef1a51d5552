-- Idempotency keys are stored with what they name in front ("key:" + the Idempotency-Key header,
-- "external_id:" + the body's external_id), and both are documented as up to 255 characters: the stored
-- text needs room for the prefix, or a 252-255 character key is refused by this check as a 500.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_key_check;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 300);
