using Fiscus.Ledger.Database;
using Npgsql;

namespace Fiscus.Server.Http;

/// <summary>
/// The database's constraints are the last word on uniqueness and references (two requests can race past
/// any check made in C#). When one of the constraints a client's input can trip fires, this names it.
/// Constraints not listed here fire only on our own bugs and stay 500s. The money constraints are the ledger's
/// (<see cref="LedgerRefusals"/>): the command runner answers them itself, as typed failures, for every transport.
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
        ["payment_types_owner_name_key"] = (409, "payment_type_name_taken",
            "Another payment type of this owner has this name (names are compared ignoring case and accents).", "description"),
        ["fee_fine_owners_name_key"] = (409, "owner_name_taken", "Another fee/fine owner has this name.", "name"),
        ["staff_users_username_key"] = (409, "username_taken", "Another user has this username.", "username"),
        ["api_clients_name_key"] = (409, "client_name_taken", "Another API client has this name.", "name"),
    };

    public static (int Status, string Code, string Message, string? Field)? TryDescribe(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation
            && exception.ConstraintName is { } name && Known.TryGetValue(name, out var known)
            ? known
            : LedgerRefusals.Describe(exception) is { } refused
                ? (ApiProblems.StatusOf(refused.Kind), refused.Code, refused.Message, refused.Errors?.Keys.Single())
                : null;
}
