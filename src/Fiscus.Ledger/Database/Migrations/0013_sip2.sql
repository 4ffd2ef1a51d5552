-- SIP2 for self-service kiosks (issue 13): patron PINs, and SIP logins with their settings.

-- A patron's PIN for SIP2's patron password (AD), hashed as staff passwords are. NULL: no PIN is set.
ALTER TABLE patrons ADD COLUMN pin_hash text CHECK (length(pin_hash) BETWEEN 1 AND 400);
ALTER TABLE patrons ADD COLUMN pin_changed_at timestamptz;

-- A SIP login (93's CN/CO) is a kiosk's own credential. The ledger sees its money as written by an API client
-- (the login's service client: its register and library binding, its scopes, its disabled flag), so nothing about how
-- money is stored knows SIP2; the service client has no usable secret and cannot sign in over HTTP.
CREATE TABLE sip_logins (
    sip_login_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login text NOT NULL CHECK (login ~ '^[A-Za-z0-9._@-]{1,64}$'),
    password_hash text NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 400),
    api_client_id bigint NOT NULL REFERENCES api_clients (api_client_id),
    -- Whether 37/63/23 need the patron's PIN (AD): always, only when the patron has one, or never.
    patron_password text NOT NULL DEFAULT 'if-set' CHECK (patron_password IN ('required', 'if-set', 'ignored')),
    -- A Fee Paid for more than is owed: refused (38N), or the excess kept as the patron's credit.
    overpayment text NOT NULL DEFAULT 'refuse' CHECK (overpayment IN ('refuse', 'credit')),
    -- How 64 lists a fine item (AV); it carries {id}, the account line id a kiosk sends back as CG.
    fine_item_format text NOT NULL DEFAULT '{id} {amount} {type} {description}'
        CHECK (length(fine_item_format) BETWEEN 4 AND 200 AND strpos(fine_item_format, '{id}') > 0
               AND strpos(fine_item_format, '|') = 0 AND fine_item_format !~ '[[:cntrl:]]'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL,
    CONSTRAINT sip_logins_api_client_key UNIQUE (api_client_id)
);
-- Logins are compared exactly, but two that differ only in case would confuse whoever configures a kiosk.
CREATE UNIQUE INDEX sip_logins_login_key ON sip_logins (lower(login));

-- SIP2's payment type (37's two digits: 00 cash, 01 VISA, 02 credit card, vendors' own beyond) -> a Fiscus payment type.
CREATE TABLE sip_login_payment_types (
    sip_login_id bigint NOT NULL REFERENCES sip_logins (sip_login_id) ON DELETE CASCADE,
    sip_payment_type text NOT NULL CHECK (sip_payment_type ~ '^[0-9]{2}$'),
    payment_type text NOT NULL REFERENCES payment_types (code),
    PRIMARY KEY (sip_login_id, sip_payment_type)
);
