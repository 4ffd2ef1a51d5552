using Npgsql;

namespace Fiscus.Ledger.Database;

/// <summary>
/// The ledger's constraints and triggers are the last word on money (two commands can race past any check made in
/// C#). When one a request can trip fires, this names it as the same typed <see cref="Failure"/> a check in C# would
/// have returned, so every transport answers it alike. Constraints not listed fire only on our own bugs.
/// </summary>
public static class LedgerRefusals
{
    static readonly Dictionary<string, Failure> Constraints = new(StringComparer.Ordinal)
    {
        // A FOLIO client deleting a never-used method while a payment names it (the type's key share lock makes this a backstop).
        ["account_lines_payment_type_fkey"] = Failure.Invalid("unknown_payment_type", "payment_type",
            "The payment type was deleted while this request was being written."),
        ["cashup_reconciliations_payment_type_fkey"] = Failure.Invalid("unknown_payment_type", "payment_type",
            "The payment type was deleted while this request was being written."),
        // Reached only once the idempotency record of the first use has expired: the ledger still refuses a second recording.
        ["account_lines_client_external_id_key"] = Conflict("external_id_used", "This external_id was already recorded by this client.", "external_id"),
        ["account_lines_user_external_id_key"] = Conflict("external_id_used", "This external_id was already recorded by this user.", "external_id"),
        // Two shift starts racing past the check in C#.
        ["shifts_one_open_per_user"] = Failure.Conflict("shift_already_open", "User already has an open shift: end it before starting another."),
        ["shifts_one_open_per_register"] = Failure.Conflict("register_in_use", "Another cashier's open shift is at this register: one drawer, one shift."),
    };

    /// <summary>The ledger's own refusals a command can race into, raised by its triggers with these SQLSTATEs.</summary>
    static readonly Dictionary<string, Failure> Raised = new(StringComparer.Ordinal)
    {
        ["FL003"] = Failure.Conflict("register_session_closed", "The register was cashed up while this request was being written; send it again."),
        ["FL004"] = Failure.Invalid("register_archived", "cash_register_id", "The cash register was archived while this request was being written."),
        // The payment type was made to count as cash while this payment, taken without a register, was being written.
        ["FL006"] = Conflict("payment_type_changed",
            "The payment type now counts as cash, so the payment needs a cash register; send it again with one.", "cash_register_id"),
    };

    /// <summary>The refusal <paramref name="exception"/> stands for, or null when it is not one a request can cause.</summary>
    public static Failure? Describe(PostgresException exception) =>
        exception.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation
            && exception.ConstraintName is { } name && Constraints.TryGetValue(name, out var constraint)
            ? constraint
            : Raised.GetValueOrDefault(exception.SqlState);

    static Failure Conflict(string code, string message, string field) =>
        Failure.Conflict(code, message) with { Errors = new Dictionary<string, string[]> { [field] = [message] } };
}
