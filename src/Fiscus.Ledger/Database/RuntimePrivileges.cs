namespace Fiscus.Ledger.Database;

/// <summary>
/// Everything the server's runtime role (FISCUS_DATABASE, when FISCUS_MIGRATION_DATABASE names the schema owner)
/// may do to the schema, in one place. <see cref="RuntimeGrants"/> applies exactly this on every start; a test
/// fails when a table has no entry here, so a migration that adds a table must say what the server may do with it.
/// </summary>
/// <remarks>
/// Derived from the SQL the server runs: every <c>INSERT</c>, every column an <c>UPDATE ... SET</c> names, the few
/// <c>DELETE</c>s, and the row locks (<c>SELECT ... FOR UPDATE/NO KEY UPDATE/SHARE/KEY SHARE</c> need UPDATE on at
/// least one column of the table, which every locked table here has). Triggers run as the role that fired them,
/// so what they write counts too — except <c>register_movements</c>, derived by triggers that run as the owner. Every table is
/// readable. Nothing gets TRUNCATE, REFERENCES or TRIGGER, and no role but the owner can ALTER, DROP or
/// GRANT: the append-only triggers stand between the server and the ledger, and now nothing the server can do
/// takes them away.
/// </remarks>
public static class RuntimePrivileges
{
    public static IReadOnlyList<TableAccess> Tables { get; } =
    [
        // Written once by first-start seeding, which runs as the owner; read for the installation's currency.
        AppendOnly("installation", insert: false),
        // Written by migrations (the owner); /health/ready reads the schema version.
        AppendOnly("schema_migrations", insert: false),
        // Written by migration 0007 (the owner); `fiscus verify` reads from which line the money rules hold.
        AppendOnly("ledger_rules", insert: false),

        // The ledger. A line changes only its outstanding amount and status (as the update trigger also says);
        // offsets, register movements, sales, reconciliations and shift cash transactions never change.
        AppendOnly("account_lines", update: ["amount_outstanding_minor", "status"]),
        AppendOnly("account_offsets"),
        // Derived by the ledger's triggers, which write them as the owner (migration 0008): never by the server itself.
        AppendOnly("register_movements", insert: false),
        AppendOnly("sales"),
        AppendOnly("cashup_reconciliations"),
        AppendOnly("shift_cash_transactions"),
        AppendOnly("audit_log"),
        // The seal (migration 0012): the server's sealer appends seals and their rows, and can never change one.
        AppendOnly("ledger_seals"),
        AppendOnly("ledger_seal_chunks"),

        // Registers' sessions, cash-ups and shifts move forward through their states (their triggers say how). Sessions and
        // cash-ups are inserted open (migrations 0009, 0010), so the columns that count and close them are never inserted.
        Mutable("register_sessions", insert: ["cash_register_id", "status", "float_minor", "opened_at"],
            update: ["status", "counting_started_at", "closed_at"]),
        Mutable("cashups", insert: ["cash_register_id", "register_session_id", "user_id", "api_client_id", "started_at"],
            update: ["completed_at", "amount_minor", "note", "summary"]),
        Mutable("shifts", update:
        [
            "status", "end_time", "expected_cash_end_minor", "actual_cash_end_minor", "ended_by_user_id",
            "cash_in_minor", "cash_out_minor", "cash_payments_minor", "cash_refunds_minor",
        ]),

        // Reference data, managed through the API. A FOLIO client may delete a payment method nothing has used.
        Mutable("libraries", update: ["name", "time_zone", "owner_id", "updated_at"]),
        Mutable("fee_fine_owners", update: ["name", "updated_at"]),
        Mutable("cash_registers", update: ["name", "description", "library_id", "starting_float_minor", "library_default", "archived", "updated_at"]),
        Mutable("debit_types", update: ["description", "default_amount_minor", "can_be_sold", "can_be_invoiced", "restricts_checkouts", "archived", "updated_at"]),
        Mutable("credit_types", update: ["description", "can_be_added_manually", "archived", "updated_at"]),
        // version is bumped by a trigger, which needs no privilege of the role that fired it.
        Mutable("payment_types", delete: true, update:
        [
            "description", "counts_as_cash", "allowed_refund", "owner_id", "archived", "updated_at", "updated_by_uuid", "updated_by_name",
        ]),
        Mutable("patrons", update: ["cardnumber", "firstname", "surname", "library_id", "secured", "updated_at", "pin_hash", "pin_changed_at"]),

        // Identities and credentials. A password hash is upgraded at sign-in; expired tokens and idempotency keys
        // are swept by housekeeping, and an expired key is deleted when a request reuses it. A client's service user is
        // made by the client's insert trigger as the owner (migration 0014): the server inserts neither is_service_user
        // nor service_user_id, so it can neither make a service user of its own nor tie a client to a real user.
        Mutable("staff_users",
            insert: ["user_uuid", "username", "password_hash", "role", "library_id", "created_at", "updated_at", "password_changed_at"],
            update: ["password_hash", "role", "library_id", "disabled_at", "password_changed_at", "updated_at"]),
        Mutable("api_clients",
            insert:
            [
                "client_uuid", "client_id", "secret_hash", "name", "scopes", "cash_register_id", "library_id", "disabled_at", "created_at",
                "updated_at", "secret_rotated_at",
            ],
            update: ["name", "scopes", "cash_register_id", "library_id", "disabled_at", "secret_hash", "secret_rotated_at", "updated_at"]),
        Mutable("sip_logins", update: ["password_hash", "patron_password", "overpayment", "fine_item_format", "updated_at", "password_changed_at"]),
        Mutable("sip_login_payment_types", delete: true, update: ["payment_type"]),
        Mutable("access_tokens", delete: true, update: ["revoked_at"]),
        Mutable("idempotency_keys", delete: true, update: ["status_code", "content_type", "response_body", "response_location"]),
        // A keyless command's proof of its commit (migration 0015), asked about when a COMMIT's answer is lost; swept after a day.
        Mutable("commit_markers", delete: true, update: []),
    ];

    /// <summary>
    /// Sequences the server calls by name. Identity columns need nothing here: PostgreSQL draws their values
    /// without checking the inserting role's privileges on the sequence.
    /// </summary>
    public static IReadOnlyList<SequenceAccess> Sequences { get; } =
    [
        // A new patron without an imported id takes nextval (USAGE); an import moves the sequence past the id it
        // kept (setval: UPDATE), reading where it stands first (SELECT last_value).
        new("patrons", "patron_id", "USAGE, SELECT, UPDATE"),
    ];

    static TableAccess AppendOnly(string table, bool insert = true, string[]? update = null) =>
        new(table, insert, update ?? [], Delete: false, IsAppendOnly: true);

    static TableAccess Mutable(string table, string[] update, bool delete = false, string[]? insert = null) =>
        new(table, Insert: true, update, delete, IsAppendOnly: false, insert ?? []);
}

/// <summary>What the runtime role may do to one table, besides reading it.</summary>
/// <param name="IsAppendOnly">
/// Ledger and audit rows: holding more than this on such a table (another column's UPDATE, DELETE, TRUNCATE)
/// is reported at start-up as a role that can rewrite history.
/// </param>
/// <param name="InsertColumns">When <paramref name="Insert"/>, the only columns a new row may name (empty: any column).</param>
public sealed record TableAccess(
    string Table, bool Insert, IReadOnlyList<string> UpdateColumns, bool Delete, bool IsAppendOnly, IReadOnlyList<string>? InsertColumns = null);

/// <summary>Privileges on the sequence behind <paramref name="Table"/>.<paramref name="Column"/>.</summary>
public sealed record SequenceAccess(string Table, string Column, string Privileges);
