namespace Fiscus.Ledger.Sealing;

/// <summary>
/// One sealed part of a table (migration 0012): the rows of <see cref="Table"/> that <see cref="XidColumn"/> dates, each
/// named by <see cref="Key"/> and encoded as <see cref="Columns"/>.
/// </summary>
/// <param name="Name">What a seal row and a finding call it: the table, or the table and the state it seals (<c>shifts:closed</c>).</param>
/// <param name="XidColumn">The transaction that made the part final, stamped by the table's trigger.</param>
/// <param name="Key">SQL naming the row, as text (its primary key).</param>
/// <param name="Order">SQL ordering the rows within a seal.</param>
/// <param name="Columns">The encoded columns, in this order; <see cref="Timestamps"/> of them are timestamptz.</param>
/// <param name="Final">For a part sealed when its row closes: SQL saying the row is closed (and so must carry its stamp).</param>
public sealed record SealedSource(
    string Name, string Table, string XidColumn, string Key, string Order, IReadOnlyList<string> Columns, IReadOnlyList<string> Timestamps,
    string? Final = null)
{
    /// <summary>
    /// SHA-256 of the row's canonical encoding: a JSON array (json_build_array's text, which writes each type one way: strings
    /// escaped, numbers and booleans as PostgreSQL prints them, a jsonb column as jsonb prints it, keys sorted) of this part's
    /// name and its columns, timestamps in UTC. json rather than jsonb: it writes the same text at half the cost, measured.
    /// Written out here, in the binary, rather than as a function in the database, so a superuser cannot redefine what the
    /// verifier computes.
    /// </summary>
    public string RowHashSql(string alias) =>
        $"sha256(convert_to(json_build_array('{Name}'::text, {string.Join(", ", Columns.Select(c => Encoded(alias, c)))})::text, 'UTF8'))";

    public string KeySql(string alias) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Key, alias);

    public string OrderSql(string alias) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Order, alias);

    public string FinalSql(string alias) => Final is null ? "false" : string.Format(System.Globalization.CultureInfo.InvariantCulture, Final, alias);

    string Encoded(string alias, string column) =>
        Timestamps.Contains(column, StringComparer.Ordinal) ? $"({alias}.{column} AT TIME ZONE 'UTC')" : $"{alias}.{column}";
}

/// <summary>
/// What the seal covers and how each row is encoded (<see cref="Encoding"/> 1). A migration that adds a column to one of
/// these tables must decide whether it is sealed: a test fails until every column is either encoded here or named in
/// <see cref="Unsealed"/>. Encoding a new column changes the hashes of rows already sealed, so it needs a new encoding
/// number, recorded on the seals made with it, and the verifier keeps the old one for the seals before.
/// </summary>
public static class SealedSources
{
    /// <summary>The encoding of the rows described here, recorded on every seal (ledger_seals.encoding).</summary>
    public const short Encoding = 1;

    /// <summary>Columns that change after their row is final, left out of every seal: what offsets move on a line.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Unsealed { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["account_lines"] = ["amount_outstanding_minor", "status"],
    };

    static SealedSource ById(string table, string id, string[] columns, params string[] timestamps) =>
        new(table, table, "seal_xid", $"{{0}}.{id}::text", $"{{0}}.{id}", columns, timestamps);

    /// <summary>Every sealed part, in the order a seal lists them (then by key within each).</summary>
    public static IReadOnlyList<SealedSource> All { get; } =
    [
        ById("account_lines", "account_line_id",
        [
            "account_line_id", "patron_id", "debit_type_code", "credit_type_code", "amount_minor", "payment_type", "cash_register_id",
            "library_id", "item_id", "user_id", "api_client_id", "interface", "description", "internal_note", "external_id", "posted_at",
            "related_account_line_id", "register_session_id", "quantity", "shift_id", "counts_as_cash", "seal_xid",
        ], "posted_at"),
        ById("account_offsets", "account_offset_id",
            ["account_offset_id", "credit_id", "debit_id", "type", "amount_minor", "created_at", "seal_xid"], "created_at"),
        ById("register_movements", "register_movement_id",
        [
            "register_movement_id", "register_session_id", "cash_register_id", "posted_at", "kind", "payment_type", "debit_type_code",
            "credit_type_code", "related_debit_type_code", "count", "amount_minor", "counts_as_cash", "seal_xid",
        ], "posted_at"),
        ById("sales", "sale_id",
            ["sale_id", "cash_register_id", "credit_id", "total_minor", "tendered_minor", "change_minor", "created_at", "seal_xid"], "created_at"),
        // Born open: what its guard keeps from the start (register, float, opening), then the whole session once closed.
        ById("register_sessions", "register_session_id",
            ["register_session_id", "cash_register_id", "float_minor", "opened_at", "seal_xid"], "opened_at"),
        new("register_sessions:closed", "register_sessions", "final_seal_xid", "{0}.register_session_id::text", "{0}.register_session_id",
        [
            "register_session_id", "cash_register_id", "status", "float_minor", "opened_at", "counting_started_at", "closed_at", "seal_xid",
            "final_seal_xid",
        ], ["opened_at", "counting_started_at", "closed_at"], "{0}.status = 'closed'"),
        // A cash-up's session and start are fixed from birth; the rest (who, the count, the frozen summary) once completed.
        ById("cashups", "cashup_id", ["cashup_id", "cash_register_id", "register_session_id", "started_at", "seal_xid"], "started_at"),
        new("cashup_reconciliations", "cashup_reconciliations", "seal_xid", "{0}.cashup_id::text || '/' || {0}.payment_type",
            "{0}.cashup_id, {0}.payment_type COLLATE \"C\"",
            ["cashup_id", "payment_type", "expected_minor", "counted_minor", "difference_minor", "note", "account_line_id", "seal_xid"], []),
        new("cashups:completed", "cashups", "final_seal_xid", "{0}.cashup_id::text", "{0}.cashup_id",
        [
            "cashup_id", "cash_register_id", "register_session_id", "user_id", "api_client_id", "started_at", "completed_at", "amount_minor",
            "note", "summary", "seal_xid", "final_seal_xid",
        ], ["started_at", "completed_at"], "{0}.completed_at IS NOT NULL"),
        // A shift's cashier, register, start cash and the books stamped at its start are fixed from birth; its end once closed.
        new("shifts", "shifts", "seal_xid", "{0}.shift_id::text", "{0}.shift_id",
        [
            "shift_id", "user_id", "cash_register_id", "start_cash_minor", "start_time", "books_cash_start_minor", "books_register_session_id",
            "books_through_line_id", "seal_xid",
        ], ["start_time"]),
        new("shift_cash_transactions", "shift_cash_transactions", "seal_xid", "{0}.cash_transaction_id::text", "{0}.cash_transaction_id",
            ["cash_transaction_id", "shift_id", "account_line_id", "type", "category", "description", "user_id", "created_at", "seal_xid"],
            ["created_at"]),
        new("shifts:closed", "shifts", "final_seal_xid", "{0}.shift_id::text", "{0}.shift_id",
        [
            "shift_id", "user_id", "cash_register_id", "status", "start_cash_minor", "start_time", "end_time", "expected_cash_end_minor",
            "actual_cash_end_minor", "ended_by_user_id", "cash_in_minor", "cash_out_minor", "cash_payments_minor", "cash_refunds_minor",
            "books_cash_start_minor", "books_register_session_id", "books_through_line_id", "seal_xid", "final_seal_xid",
        ], ["start_time", "end_time"], "{0}.status = 'closed'"),
        ById("audit_log", "audit_id",
        [
            "audit_id", "occurred_at", "user_id", "api_client_id", "actor", "action", "entity", "entity_id", "details", "remote_address",
            "request_id", "seal_xid",
        ], "occurred_at"),
    ];

    /// <summary>The part called <paramref name="name"/> in a seal row.</summary>
    public static SealedSource? Find(string name) => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));
}
