using Npgsql;

namespace Fiscus.Server.Http;

/// <summary>
/// The database's constraints are the last word on uniqueness and references (two requests can race past
/// any check made in C#). When one of the constraints a client's input can trip fires, this names it.
/// Constraints not listed here fire only on our own bugs and stay 500s.
/// </summary>
public static class ConstraintFailures
{
    static readonly Dictionary<string, (int Status, string Code, string Message, string? Field)> Known = new(StringComparer.Ordinal)
    {
        ["libraries_pkey"] = (409, "library_exists", "A library with this library_id already exists.", "library_id"),
        ["libraries_library_id_ci_key"] = (409, "library_exists", "A library with this library_id already exists.", "library_id"),
        ["cash_registers_library_name_key"] = (409, "register_name_taken", "This library already has a register with that name.", "name"),
        ["cash_registers_one_default_per_library"] = (409, "default_register_exists", "This library already has a default register.", "library_default"),
        ["patrons_pkey"] = (409, "patron_exists", "A patron with this patron_id already exists.", "patron_id"),
        ["patrons_cardnumber_key"] = (409, "cardnumber_taken", "Another patron has this cardnumber.", "cardnumber"),
        ["debit_types_pkey"] = (409, "debit_type_exists", "A debit type with this code already exists.", "code"),
        ["credit_types_pkey"] = (409, "credit_type_exists", "A credit type with this code already exists.", "code"),
        ["payment_types_pkey"] = (409, "payment_type_exists", "A payment type with this code already exists.", "code"),
        ["payment_types_payment_type_uuid_key"] = (409, "payment_type_exists", "A payment type with this payment_type_id already exists.",
            "payment_type_id"),
        // A FOLIO client deleting a never-used method while a payment names it (the type's key share lock makes this a backstop).
        ["account_lines_payment_type_fkey"] = (400, "unknown_payment_type", "The payment type was deleted while this request was being written.",
            "payment_type"),
        ["cashup_reconciliations_payment_type_fkey"] = (400, "unknown_payment_type",
            "The payment type was deleted while this request was being written.", "payment_type"),
        ["payment_types_owner_name_key"] = (409, "payment_type_name_taken",
            "Another payment type of this owner has this name (names are compared ignoring case and accents).", "description"),
        ["fee_fine_owners_name_key"] = (409, "owner_name_taken", "Another fee/fine owner has this name.", "name"),
        ["staff_users_username_key"] = (409, "username_taken", "Another user has this username.", "username"),
        ["api_clients_name_key"] = (409, "client_name_taken", "Another API client has this name.", "name"),
        // Reached only once the idempotency record of the first use has expired: the ledger still refuses a second recording.
        ["account_lines_client_external_id_key"] = (409, "external_id_used", "This external_id was already recorded by this client.", "external_id"),
        ["account_lines_user_external_id_key"] = (409, "external_id_used", "This external_id was already recorded by this user.", "external_id"),
        // Two shift starts racing past the check in C#.
        ["shifts_one_open_per_user"] = (409, "shift_already_open", "User already has an open shift: end it before starting another.", null),
        ["shifts_one_open_per_register"] = (409, "register_in_use", "Another cashier's open shift is at this register: one drawer, one shift.", null),
    };

    /// <summary>The ledger's own refusals a request can race into (raised by its triggers with these SQLSTATEs).</summary>
    static readonly Dictionary<string, (int Status, string Code, string Message, string? Field)> Raised = new(StringComparer.Ordinal)
    {
        ["FL003"] = (409, "register_session_closed", "The register was cashed up while this request was being written; send it again.", null),
        ["FL004"] = (400, "register_archived", "The cash register was archived while this request was being written.", "cash_register_id"),
        // The payment type was made to count as cash while this payment, taken without a register, was being written.
        ["FL006"] = (409, "payment_type_changed", "The payment type now counts as cash, so the payment needs a cash register; send it again with one.",
            "cash_register_id"),
    };

    public static (int Status, string Code, string Message, string? Field)? TryDescribe(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation
            && exception.ConstraintName is { } name && Known.TryGetValue(name, out var known)
            ? known
            : Raised.TryGetValue(exception.SqlState, out var raised) ? raised : null;
}
